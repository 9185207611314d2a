"""FHIR search parameters as SQL over the mapped tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.models import AuditEvent
from medshare.fhir.mapping import TYPE_ID, parse_time
from medshare.fhir.outcome import FhirError
from medshare.identity.models import PatientRecord, PersonLink
from medshare.records import models as rm
from medshare.registry.models import Institution, Practitioner

IGNORED = {"_format", "_pretty"}
RESULT = {"_count", "_offset", "_summary", "_include", "_sort", "_total", "_elements"}
MAX_COUNT = 200
# Modifiers a parameter supports (any other is refused, never silently ignored).
MODIFIERS = {"name": ("exact", "contains"), "family": ("exact", "contains")}
DEFAULT_COUNT = 20


@dataclass
class Query:
    """A parsed search: the filters (name, modifier, values) and the result parameters."""

    kind: str
    filters: list[tuple[str, str, str]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    summary_count: bool = False
    includes: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)  # parameter names, "-" first for descending
    patient_records: list[int] | None = None  # the patient named by patient=/subject=, as all their records


def parse(kind: str, params: list[tuple[str, str]]) -> Query:
    query = Query(kind)
    known = PARAMS.get(kind, {})
    for name, value in params:
        base, _, modifier = name.partition(":")
        if name in IGNORED:
            continue
        if base == "_count":
            if not value.isdigit():
                raise FhirError.one(400, "invalid", "_count must be a whole number", "_count")
            query.count = min(int(value), MAX_COUNT)
        elif base == "_offset":
            if not value.isdigit():
                raise FhirError.one(400, "invalid", "_offset must be a whole number", "_offset")
            query.offset = int(value)
        elif base == "_summary":
            if value == "count":
                query.summary_count = True
            elif value != "false":
                raise FhirError.one(400, "not-supported", "_summary supports count and false", "_summary")
        elif base == "_include":
            if value not in INCLUDES.get(kind, {}):
                raise FhirError.one(400, "not-supported", f"_include={value} is not supported for {kind} "
                                    f"(supported: {', '.join(INCLUDES.get(kind, {})) or 'none'})", "_include")
            query.includes.append(value)
        elif base == "_sort":
            for key in (k.strip() for k in value.split(",") if k.strip()):
                if key.lstrip("-") not in SORTS.get(kind, {}):
                    raise FhirError.one(400, "not-supported", f"_sort={key} is not supported for {kind} (supported: "
                                        f"{', '.join(SORTS.get(kind, {})) or 'none'})", "_sort")
                query.sort.append(key)
        elif base in ("_total", "_elements"):
            continue  # the total is always given; every element is returned
        elif base in known or base in COMMON:
            if modifier and modifier not in MODIFIERS.get(base, ()):
                raise FhirError.one(400, "not-supported", f"the modifier :{modifier} is not supported for {base} "
                                    f"(supported: {', '.join(MODIFIERS.get(base, ())) or 'none'})", name)
            query.filters.append((base, modifier, value))
        else:
            raise FhirError.one(400, "not-supported", f"unknown search parameter '{name}' for {kind} "
                                f"(see /fhir/metadata)", name)
    return query


# Value parsers


def date_range(value: str, name: str) -> tuple[str, dt.datetime, dt.datetime]:
    """(prefix, low, high): the prefix and the instant range [low, high) the value's precision covers."""
    prefix = value[:2] if value[:2] in ("eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap") else "eq"
    text = value[2:] if value[:2] == prefix else value
    low = parse_time(text, name)
    if low is None:
        raise FhirError.one(400, "invalid", f"{name}: a date is needed", name)
    if len(text) == 4:
        high = low.replace(year=low.year + 1)
    elif len(text) == 7:
        high = (low + dt.timedelta(days=32)).replace(day=1)
    elif len(text) == 10:
        high = low + dt.timedelta(days=1)
    else:
        high = low + dt.timedelta(seconds=1)
    return prefix, low, high


def date_clause(column, value: str, name: str):
    prefix, low, high = date_range(value, name)
    if isinstance(getattr(column, "type", None), sa.Date) and not isinstance(column.type, sa.DateTime):
        # A date column (birthDate): compare days; a range ending inside a day ends with that day.
        low, high = low.date(), (high - dt.timedelta(microseconds=1)).date() + dt.timedelta(days=1)
    if prefix == "eq":
        return sa.and_(column >= low, column < high)
    if prefix == "ne":
        return sa.or_(column < low, column >= high)
    if prefix in ("lt", "eb"):
        return column < low
    if prefix == "le":
        return column < high
    if prefix in ("gt", "sa"):
        return column >= high
    if prefix == "ge":
        return column >= low
    margin = max((high - low) / 10, dt.timedelta(days=1))  # ap: approximately
    return sa.and_(column >= low - margin, column < high + margin)


def token_clause(system_col, code_col, value: str):
    if "|" in value:
        system, _, code = value.partition("|")
        parts = []
        if system:
            parts.append(system_col == system) if system_col is not None else None
        elif system_col is not None:
            parts.append(system_col == "")
        if code:
            parts.append(code_col == code)
        return sa.and_(*parts) if parts else sa.true()
    return code_col == value


def any_of(values: str, make: Callable[[str], Any]):
    """OR over a comma-separated list of values."""
    return sa.or_(*[make(v) for v in values.split(",") if v != ""])


def ref_key(value: str, kind: str) -> str:
    match = TYPE_ID.match(value)
    if match:
        found_kind, key = match.groups()
        if found_kind != kind:
            return ""  # names another type: matches nothing
        return key
    return value


def int_key(session: Session, value: str, kind: str) -> int:
    from medshare.fhir.mapping import find
    key = ref_key(value, kind)
    row = find(session, kind, key) if key else None
    return row.id if row is not None else -1


def patient_records(session: Session, value: str) -> list[int]:
    """Every record of the person whose record the value names (the shared record), or [] when unknown."""
    from medshare.fhir.mapping import find
    from medshare.records.access import same_person_records

    keys = []
    for v in value.split(","):
        key = ref_key(v, "Patient")
        row = find(session, "Patient", key) if key else None
        if row is not None:
            keys.extend(same_person_records(session, row.id))
    return sorted(set(keys))


def _fhir_id_of(session: Session, model, value: str, kind: str) -> int:
    key = ref_key(value, kind)
    return (session.scalar(sa.select(model.id).where(model.fhir_id == key)) or -1) if key else -1


def _provenance_target(session, m, modifier, value):
    def one(v: str):
        match = TYPE_ID.match(v)
        if match:
            return sa.and_(rm.Provenance.target_type == match.group(1), rm.Provenance.target_fhir_id == match.group(2))
        return rm.Provenance.target_fhir_id == v
    return any_of(value, one)


# Parameters per type: name -> function(session, column owner, modifier, value) -> clause


def _identifier(kind: str, id_col):
    def clause(session, m, modifier, value):
        def one(v):
            system, bar, code = v.partition("|")
            q = sa.select(rm.FhirIdentifier.logical_id).where(rm.FhirIdentifier.resource_type == kind)
            if bar:
                q = q.where(rm.FhirIdentifier.value == code)
                if system:
                    q = q.where(rm.FhirIdentifier.system == system)
            else:
                q = q.where(rm.FhirIdentifier.value == v)
            return id_col.in_(q) if kind in rm.CLINICAL_MODELS else sa.cast(id_col, sa.String).in_(q)
        return any_of(value, one)
    return clause


def _patient_param(column):
    def clause(session, m, modifier, value):
        return column.in_(patient_records(session, value) or [-1])
    return clause


def _date(column):
    return lambda session, m, modifier, value: date_clause(column, value, "date")


def _token(system_col, code_col):
    return lambda session, m, modifier, value: any_of(value, lambda v: token_clause(system_col, code_col, v))


def _exact(column):
    return lambda session, m, modifier, value: any_of(value, lambda v: column == v)


def _org(column):
    return lambda session, m, modifier, value: any_of(
        value, lambda v: column == int_key(session, v, "Organization"))


def _prac(column):
    return lambda session, m, modifier, value: any_of(
        value, lambda v: column == int_key(session, v, "Practitioner"))


def _clinical_ref(column, model, kind):
    return lambda session, m, modifier, value: any_of(
        value, lambda v: column == _fhir_id_of(session, model, v, kind))


def _performer(inst_col, prac_col):
    def clause(session, m, modifier, value):
        def one(v):
            match = TYPE_ID.match(v)
            if match and match.group(1) == "Practitioner":
                return prac_col == int_key(session, v, "Practitioner")
            return inst_col == int_key(session, v, "Organization")
        return any_of(value, one)
    return clause


def _contains(column):
    from medshare.db import like_escaped
    return lambda session, m, modifier, value: column.ilike(
        (like_escaped(value) + "%") if modifier != "contains" else f"%{like_escaped(value)}%", escape="\\") \
        if modifier != "exact" else column == value


def _report_result(session, m, modifier, value):
    obs = [_fhir_id_of(session, rm.Observation, v, "Observation") for v in value.split(",")]
    return rm.DiagnosticReport.id.in_(sa.select(rm.DiagnosticReportResult.report_id).where(
        rm.DiagnosticReportResult.observation_id.in_(obs)))


def _clinical_common(model, kind):
    return {
        "_id": lambda s, m, mod, v: model.fhir_id.in_(v.split(",")),
        "_lastUpdated": lambda s, m, mod, v: date_clause(model.last_updated, v, "_lastUpdated"),
        "identifier": _identifier(kind, model.fhir_id),
    }


O, D, E, S = rm.Observation, rm.DiagnosticReport, rm.Encounter, rm.ServiceRequest  # noqa: E741
PARAMS: dict[str, dict[str, Callable]] = {
    "Observation": {
        **_clinical_common(O, "Observation"),
        "patient": _patient_param(O.patient_record_id), "subject": _patient_param(O.patient_record_id),
        "code": _token(O.code_system, O.code), "category": _token(None, O.category),
        "date": _date(O.effective_at), "status": _exact(O.status), "encounter": _clinical_ref(O.encounter_id, E,
                                                                                               "Encounter"),
        "performer": _performer(O.performer_institution_id, O.performer_practitioner_id),
        "based-on": _clinical_ref(O.based_on_id, S, "ServiceRequest"),
    },
    "DiagnosticReport": {
        **_clinical_common(D, "DiagnosticReport"),
        "patient": _patient_param(D.patient_record_id), "subject": _patient_param(D.patient_record_id),
        "code": _token(D.code_system, D.code), "category": _token(None, D.category),
        "date": _date(D.effective_at), "issued": _date(D.issued), "status": _exact(D.status),
        "encounter": _clinical_ref(D.encounter_id, E, "Encounter"),
        "performer": _performer(D.performer_institution_id, D.performer_practitioner_id),
        "result": _report_result, "based-on": _clinical_ref(D.based_on_id, S, "ServiceRequest"),
    },
    "Encounter": {
        **_clinical_common(E, "Encounter"),
        "patient": _patient_param(E.patient_record_id), "subject": _patient_param(E.patient_record_id),
        "date": _date(E.period_start), "status": _exact(E.status), "class": _token(None, E.class_code),
        "type": _token(E.type_system, E.type_code), "service-provider": _org(E.institution_id),
        "practitioner": _prac(E.practitioner_id), "participant": _prac(E.practitioner_id),
    },
    "ServiceRequest": {
        **_clinical_common(S, "ServiceRequest"),
        "patient": _patient_param(S.patient_record_id), "subject": _patient_param(S.patient_record_id),
        "code": _token(S.code_system, S.code), "category": _token(None, S.category), "status": _exact(S.status),
        "authored": _date(S.authored_on), "requester": _performer(S.requester_institution_id,
                                                                   S.requester_practitioner_id),
        "encounter": _clinical_ref(S.encounter_id, E, "Encounter"), "intent": _exact(S.intent),
    },
    "ImagingStudy": {
        **_clinical_common(rm.ImagingStudy, "ImagingStudy"),
        "patient": _patient_param(rm.ImagingStudy.patient_record_id),
        "subject": _patient_param(rm.ImagingStudy.patient_record_id),
        "modality": _token(None, rm.ImagingStudy.modality), "started": _date(rm.ImagingStudy.started),
        "status": _exact(rm.ImagingStudy.status),
    },
    "Consent": {
        **_clinical_common(rm.Consent, "Consent"),
        "patient": _patient_param(rm.Consent.patient_record_id), "status": _exact(rm.Consent.status),
        "date": _date(rm.Consent.date_time),
        "actor": _performer(rm.Consent.grantee_institution_id, rm.Consent.grantee_practitioner_id),
    },
    "Location": {
        **_clinical_common(rm.Location, "Location"),
        "name": _contains(rm.Location.name), "organization": _org(rm.Location.institution_id),
        "status": _exact(rm.Location.status),
    },
    "Provenance": {
        **_clinical_common(rm.Provenance, "Provenance"),
        "target": _provenance_target,
        "agent": _performer(rm.Provenance.agent_institution_id, rm.Provenance.agent_practitioner_id),
        "recorded": _date(rm.Provenance.recorded),
    },
    "Patient": {
        "_id": lambda s, m, mod, v: PatientRecord.id.in_([int(x) if x.isdigit() else -1 for x in v.split(",")]),
        "_lastUpdated": lambda s, m, mod, v: date_clause(PatientRecord.updated_at, v, "_lastUpdated"),
        "identifier": lambda s, m, mod, v: any_of(v, lambda x: _patient_identifier(x)),
        "name": _contains(PatientRecord.name), "family": _contains(PatientRecord.name),
        "birthdate": _date(PatientRecord.birth_date), "gender": _exact(PatientRecord.sex),
        "organization": _org(PatientRecord.institution_id), "active": lambda s, m, mod, v: PatientRecord.active
        == (v == "true"),
    },
    "Organization": {
        "_id": lambda s, m, mod, v: Institution.id.in_([int(x) if x.isdigit() else -1 for x in v.split(",")]),
        "_lastUpdated": lambda s, m, mod, v: date_clause(Institution.updated_at, v, "_lastUpdated"),
        "identifier": lambda s, m, mod, v: any_of(v, lambda x: sa.or_(
            Institution.code == x.partition("|")[2] if "|" in x else Institution.code == x,
            _identifier("Organization", Institution.id)(s, m, mod, x))),
        "name": _contains(Institution.name), "type": _token(None, Institution.type),
    },
    "Practitioner": {
        "_id": lambda s, m, mod, v: Practitioner.id.in_([int(x) if x.isdigit() else -1 for x in v.split(",")]),
        "_lastUpdated": lambda s, m, mod, v: date_clause(Practitioner.updated_at, v, "_lastUpdated"),
        "identifier": lambda s, m, mod, v: any_of(v, lambda x: sa.or_(
            Practitioner.licence_number == (x.partition("|")[2] if "|" in x else x),
            _identifier("Practitioner", Practitioner.id)(s, m, mod, x))),
        "name": _contains(Practitioner.name), "active": lambda s, m, mod, v: Practitioner.active == (v == "true"),
    },
    "PractitionerRole": {"practitioner": None, "organization": None, "_id": None},
    "AuditEvent": {
        "_id": lambda s, m, mod, v: AuditEvent.id.in_([int(x) if x.isdigit() else -1 for x in v.split(",")]),
        "patient": _patient_param(AuditEvent.patient_record_id), "date": _date(AuditEvent.occurred_at),
        "subtype": _exact(AuditEvent.action), "agent": lambda s, m, mod, v: AuditEvent.actor_user_id.in_(
            [int(x) for x in v.split(",") if x.isdigit()] or [-1]),
        "entity-type": _exact(AuditEvent.object_type),
    },
}
COMMON: set[str] = set()


def _patient_identifier(value: str):
    from medshare.fhir import systems
    system, bar, code = value.partition("|")
    if not bar:
        code, system = value, ""
    clauses = []
    if system in ("", systems.NATIONAL_ID):
        clauses.append(PatientRecord.national_id == code)
    if system in ("", systems.LOCAL_PATIENT):
        clauses.append(PatientRecord.local_id == code)
    q = sa.select(rm.FhirIdentifier.logical_id).where(rm.FhirIdentifier.resource_type == "Patient",
                                                       rm.FhirIdentifier.value == code)
    if system:
        q = q.where(rm.FhirIdentifier.system == system)
    clauses.append(sa.cast(PatientRecord.id, sa.String).in_(q))
    return sa.or_(*clauses)


# What _include follows: "Type:param" -> (target type, function(session, rows) -> rows of target type)
def _inc_patient(session, rows):
    ids = {r.patient_record_id for r in rows}
    return list(session.scalars(sa.select(PatientRecord).where(PatientRecord.id.in_(ids)))) if ids else []


def _inc_results(session, rows):
    out = []
    for r in rows:
        out.extend(r.results)
    return out


def _inc_performer(session, rows):
    inst = {r.performer_institution_id for r in rows if r.performer_institution_id}
    prac = {r.performer_practitioner_id for r in rows if r.performer_practitioner_id}
    out = [("Organization", i) for i in session.scalars(sa.select(Institution).where(Institution.id.in_(inst)))] \
        if inst else []
    out += [("Practitioner", p) for p in session.scalars(sa.select(Practitioner).where(Practitioner.id.in_(prac)))] \
        if prac else []
    return out


def _inc_encounter(session, rows):
    ids = {r.encounter_id for r in rows if r.encounter_id}
    return list(session.scalars(sa.select(rm.Encounter).where(rm.Encounter.id.in_(ids)))) if ids else []


INCLUDES: dict[str, dict[str, tuple[str, Callable]]] = {
    "DiagnosticReport": {"DiagnosticReport:result": ("Observation", _inc_results),
                         "DiagnosticReport:subject": ("Patient", _inc_patient),
                         "DiagnosticReport:patient": ("Patient", _inc_patient),
                         "DiagnosticReport:performer": ("*", _inc_performer),
                         "DiagnosticReport:encounter": ("Encounter", _inc_encounter)},
    "Observation": {"Observation:subject": ("Patient", _inc_patient), "Observation:patient": ("Patient", _inc_patient),
                    "Observation:performer": ("*", _inc_performer),
                    "Observation:encounter": ("Encounter", _inc_encounter)},
    "Encounter": {"Encounter:subject": ("Patient", _inc_patient), "Encounter:patient": ("Patient", _inc_patient)},
    "ServiceRequest": {"ServiceRequest:subject": ("Patient", _inc_patient),
                       "ServiceRequest:patient": ("Patient", _inc_patient)},
}


MODEL_OF = {**rm.CLINICAL_MODELS, "Patient": PatientRecord, "Organization": Institution,
            "Practitioner": Practitioner, "AuditEvent": AuditEvent}


def _sorts() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {kind: {"_id": model.id, "_lastUpdated": model.last_updated}
                                      for kind, model in rm.CLINICAL_MODELS.items()}
    out["Observation"].update(date=O.effective_at, code=O.code, status=O.status)
    out["DiagnosticReport"].update(date=D.effective_at, issued=D.issued, code=D.code, status=D.status)
    out["Encounter"].update(date=E.period_start, status=E.status)
    out["ServiceRequest"].update(authored=S.authored_on, code=S.code, status=S.status)
    out["ImagingStudy"].update(started=rm.ImagingStudy.started)
    out["Consent"].update(date=rm.Consent.date_time)
    out["Location"].update(name=rm.Location.name)
    out["Provenance"].update(recorded=rm.Provenance.recorded)
    out["Patient"] = {"_id": PatientRecord.id, "_lastUpdated": PatientRecord.updated_at,
                      "name": PatientRecord.name, "birthdate": PatientRecord.birth_date}
    out["Organization"] = {"_id": Institution.id, "_lastUpdated": Institution.updated_at, "name": Institution.name}
    out["Practitioner"] = {"_id": Practitioner.id, "_lastUpdated": Practitioner.updated_at, "name": Practitioner.name}
    out["AuditEvent"] = {"_id": AuditEvent.id, "date": AuditEvent.occurred_at}
    return out


# What _sort orders by, per type: parameter name -> column (ties broken by the row id).
SORTS: dict[str, dict[str, Any]] = _sorts()


def order_by(query: Query, default) -> list:
    """The ORDER BY of a search: its _sort keys (nulls last either way), then the row id as the tie-break."""
    model = MODEL_OF[query.kind]
    clauses = []
    for key in query.sort:
        column = SORTS[query.kind][key.lstrip("-")]
        clauses += [column.is_(None), column.desc() if key.startswith("-") else column.asc()]
    if not clauses:
        return [default]
    return [*clauses, model.id.desc() if query.kind == "AuditEvent" else model.id]


def statement(session: Session, query: Query) -> sa.Select:
    """SELECT of the matching rows (before access filtering and paging)."""
    model = MODEL_OF[query.kind]
    stmt = sa.select(model)
    params = PARAMS[query.kind]
    for name, modifier, value in query.filters:
        stmt = stmt.where(params[name](session, model, modifier, value))
        if name in ("patient", "subject"):
            query.patient_records = patient_records(session, value)
    return stmt


def patient_column(kind: str):
    """The column naming the patient record of a row of kind (None: not patient data)."""
    if kind == "Patient":
        return PatientRecord.id
    model = MODEL_OF.get(kind)
    return getattr(model, "patient_record_id", None) if model is not None and kind != "AuditEvent" else None


def custodian_column(kind: str):
    if kind == "Patient":
        return PatientRecord.institution_id
    model = rm.CLINICAL_MODELS.get(kind)
    return model.custodian_institution_id if model is not None else None


def person_ids_of(records) -> sa.Select:
    return sa.select(PersonLink.person_id).where(PersonLink.patient_record_id.in_(records))
