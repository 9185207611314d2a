"""The FHIR interactions over medshare's tables: read, search, create, update, transaction, batch.

Every write validates the resource (fhir.resources R4B), resolves its references, maps it
onto the domain tables, records a version and the audit event; any error raises FhirError
and the caller's transaction rolls back, so nothing is written. Every read of patient
data goes through medshare.records.access (care relationship, consent, emergency) and is
audited with its purpose.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import DomainError
from medshare.fhir import mapping, search
from medshare.fhir.mapping import CLINICAL, MAPPED, Ctx, find, logical_id, to_fhir, validate
from medshare.fhir.outcome import FhirError, Issue, from_domain_error, outcome
from medshare.identity.models import PatientRecord, PersonLink
from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.records import access as policy
from medshare.records import models as rm
from medshare.registry.models import Practitioner, Registration

PATIENT_KINDS = ("Patient", *[k for k in CLINICAL if k not in ("Location", "Provenance")])
# Order in which a transaction's POST/PUT entries are applied: what others refer to first.
WRITE_ORDER = ["Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "Encounter",
               "ServiceRequest", "ImagingStudy", "Observation", "DiagnosticReport", "Consent", "Provenance"]


@dataclass
class ReadOptions:
    """How a read was asked for: the stated purpose (v3 PurposeOfUse) and an emergency reason."""

    purpose: str = "TREAT"
    emergency_reason: str = ""


# Versions and identifiers


def _save_version(session: Session, principal: Principal, kind: str, row: Any, method: str) -> dict:
    """Record the served form of a clinical row as its newest version; the resource as served."""
    session.flush()
    served = to_fhir(session, kind, row)
    session.add(rm.FhirVersion(resource_type=kind, logical_id=row.fhir_id, version_id=row.version_id,
                               last_updated=row.last_updated, method=method, actor_user_id=principal.user_id,
                               resource=served))
    return served


def _index_identifiers(session: Session, kind: str, key: str, resource: dict) -> None:
    session.execute(sa.delete(rm.FhirIdentifier).where(rm.FhirIdentifier.resource_type == kind,
                                                       rm.FhirIdentifier.logical_id == key))
    for ident in resource.get("identifier") or []:
        if ident.get("value"):
            session.add(rm.FhirIdentifier(resource_type=kind, logical_id=key, system=(ident.get("system") or "")[:200],
                                          value=str(ident["value"])[:200]))


def _alias(session: Session, kind: str, alias: str | None, key: str) -> None:
    if not alias or not mapping.ID_PATTERN.match(alias) or alias == key:
        return
    if mapping._alias(session, kind, alias) is None:
        session.add(rm.FhirAlias(resource_type=kind, alias=alias, logical_id=key))


# Writes


def _uuid_of(full_url: str | None) -> str | None:
    if full_url and full_url.startswith("urn:uuid:"):
        value = full_url[len("urn:uuid:"):]
        return value if mapping.ID_PATTERN.match(value) else None
    return None


def write(ctx: Ctx, kind: str, data: dict, *, key: str | None = None, full_url: str | None = None,
          path: str | None = None, method: str = "POST") -> tuple[Any, bool, dict]:
    """Create (key None) or update (key given; created when absent) one resource: (row, created, served)."""
    where = path or kind
    data = validate(data, kind, path)
    data = mapping.rewrite_refs(data, ctx.refs)
    if key is not None and data.get("id") not in (None, key):
        raise FhirError.one(400, "invalid", f"the resource's id '{data.get('id')}' differs from the URL's '{key}'",
                            f"{where}.id")
    session = ctx.session
    outside = _uuid_of(full_url) or (data.get("id") if method == "POST" else None)
    existing = find(session, kind, key) if key is not None else None
    if existing is None and key is None and outside and kind in MAPPED:
        existing = find(session, kind, outside) if mapping._alias(session, kind, outside) else None
        if existing is not None:  # Synthea's shared organizations and practitioners: the same resource again
            return existing, False, {}
    created = existing is None
    if kind in rm.CLINICAL_MODELS:
        model = rm.CLINICAL_MODELS[kind]
        if created and key is None and outside:
            if session.scalar(sa.select(model.id).where(model.fhir_id == outside)) is not None:
                row = session.scalar(sa.select(model).where(model.fhir_id == outside))
                return row, False, {}
            key = outside
        row = existing or model(fhir_id=key or rm.new_fhir_id(), version_id=0)
        stored = {k: v for k, v in data.items() if k not in ("id", "meta")}
        if data.get("meta"):
            meta = {k: v for k, v in data["meta"].items() if k not in ("versionId", "lastUpdated")}
            if meta:
                stored["meta"] = meta
        with session.no_autoflush:
            results = mapping.FROM_FHIR[kind](ctx, data, row, where)
        if created:
            session.add(row)
        row.resource = stored
        row.version_id = (row.version_id or 0) + 1
        row.last_updated = utcnow()
        session.flush()
        if kind == "DiagnosticReport":
            session.execute(sa.delete(rm.DiagnosticReportResult).where(rm.DiagnosticReportResult.report_id == row.id))
            for position, obs_id in enumerate(results or []):
                session.add(rm.DiagnosticReportResult(report_id=row.id, observation_id=obs_id, position=position))
            session.flush()
            session.expire(row, ["results"])
        patient = getattr(row, "patient_record_id", None)
        record_event(session, ctx.principal, f"records.{'create' if created else 'update'}", kind, row.fhir_id,
                     institution_id=row.custodian_institution_id, patient_record_id=patient,
                     details={"version": row.version_id})
    else:
        handler = {"Patient": mapping.patient_from_fhir, "Organization": mapping.organization_from_fhir,
                   "Practitioner": mapping.practitioner_from_fhir, "PractitionerRole": mapping.role_from_fhir}[kind]
        if created and key is not None:
            raise FhirError.one(405 if kind != "Patient" else 404, "not-supported",
                                f"{kind} ids are assigned by the server: POST a new {kind} instead", f"{where}.id")
        stored_extra = {k: v for k, v in data.items() if k not in ("id", "meta")}
        if kind == "Patient":
            row = handler(ctx, data, existing, where, full_url or "")
        else:
            row = handler(ctx, data, existing, where)
        session.flush()
        key_now = logical_id(kind, row)
        # The JSON as received is kept so that unmapped elements round-trip.
        served = _save_version_with(session, ctx.principal, kind, row, stored_extra, method)
        _index_identifiers(session, kind, key_now, data)
        _alias(session, kind, outside, key_now)
        return row, created, served
    key_now = logical_id(kind, row)
    _index_identifiers(session, kind, key_now, data)
    served = _save_version(session, ctx.principal, kind, row, method)
    return row, created, served


def _save_version_with(session: Session, principal: Principal, kind: str, row: Any, base: dict, method: str) -> dict:
    key = logical_id(kind, row)
    version = mapping.latest_version(session, kind, key)[0]
    has_any = session.scalar(sa.select(sa.func.count()).select_from(rm.FhirVersion).where(
        rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == key))
    version = version + 1 if has_any else 1
    session.add(rm.FhirVersion(resource_type=kind, logical_id=key, version_id=version, last_updated=utcnow(),
                               method=method, actor_user_id=principal.user_id, resource=base))
    session.flush()
    served = {"Patient": mapping.patient_to_fhir, "Organization": mapping.organization_to_fhir,
              "Practitioner": mapping.practitioner_to_fhir, "PractitionerRole": mapping.role_to_fhir}[kind](
        session, row, base)
    session.execute(sa.update(rm.FhirVersion).where(
        rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == key,
        rm.FhirVersion.version_id == version).values(resource=served))
    return served


# Reads


class AccessCache:
    """Access decisions of one request, per (patient record, type), and the reads to audit."""

    def __init__(self, session: Session, principal: Principal, options: ReadOptions) -> None:
        self.session, self.principal, self.options = session, principal, options
        self.decisions: dict[tuple[int, int | None, str], policy.Access | None] = {}
        self.reads: dict[tuple[int, str, int | None], list[str]] = defaultdict(list)
        self.access_of: dict[tuple[int, str, int | None], policy.Access] = {}
        self.errors: dict[tuple[int, int | None, str], str] = {}
        self.interaction = "read"

    def decide(self, kind: str, patient: int, custodian: int | None, *, raise_: bool = True) -> policy.Access | None:
        key = (patient, custodian, kind)
        if key not in self.decisions:
            try:
                self.decisions[key] = policy.decide(self.session, self.principal, patient_record_id=patient,
                                                    custodian_institution_id=custodian, resource_type=kind,
                                                    emergency_reason=self.options.emergency_reason)
            except DomainError as error:
                self.decisions[key] = None
                self.errors[key] = error.message
        if self.decisions[key] is None and raise_:
            # A refused read is on the record too (the route does not roll reads back).
            record_event(self.session, self.principal, "records.read-refused", kind, "-", institution_id=custodian,
                         patient_record_id=patient, details={"purpose": self.options.purpose,
                                                             "emergency": bool(self.options.emergency_reason)})
            raise FhirError.one(403, "forbidden", self.errors[key])
        return self.decisions[key]

    def note(self, kind: str, row: Any, interaction: str) -> bool:
        """Whether row may be shown; if so, its read is remembered for the audit trail."""
        patient = mapping.patient_of(kind, row)
        if kind not in PATIENT_KINDS or patient is None:
            return True
        custodian = row.institution_id if kind == "Patient" else row.custodian_institution_id
        decision = self.decide(kind, patient, custodian, raise_=False)
        if decision is None:
            return False
        group = (patient, kind, custodian)
        self.reads[group].append(logical_id(kind, row))
        self.access_of[group] = decision
        self.interaction = interaction
        return True

    def flush(self) -> None:
        for (patient, kind, custodian), ids in self.reads.items():
            policy.audit_read(self.session, self.principal, self.access_of[(patient, kind, custodian)],
                              resource_type=kind, fhir_ids=ids, patient_record_id=patient,
                              custodian_institution_id=custodian, purpose=self.options.purpose,
                              interaction=self.interaction)
        self.reads.clear()


def _check_type_permission(principal: Principal, kind: str) -> None:
    if kind == "AuditEvent":
        if scope_of(principal, Permission.AUDIT_READ) is None and scope_of(principal,
                                                                           Permission.ACCESS_LOG_READ) is None:
            raise FhirError.one(403, "forbidden", f"the role {principal.role.value} may not read the audit trail")
    elif kind in PATIENT_KINDS and scope_of(principal, Permission.RECORDS_READ) is None:
        raise FhirError.one(403, "forbidden", f"the role {principal.role.value} lacks the permission "
                            f"{Permission.RECORDS_READ.value}")


def _audit_visible(session: Session, principal: Principal, event) -> bool:
    scope = scope_of(principal, Permission.AUDIT_READ)
    if scope is Scope.ANY:
        return True
    if scope is Scope.OWN_INSTITUTION and event.institution_id == principal.institution_id:
        return True
    if scope_of(principal, Permission.ACCESS_LOG_READ) is Scope.OWN_RECORD and principal.patient_record_id:
        return event.patient_record_id in policy.same_person_records(session, principal.patient_record_id)
    return False


def read(session: Session, principal: Principal, kind: str, key: str, options: ReadOptions,
         version: int | None = None) -> dict:
    """One resource (or one of its versions), if the reader may see it; the read is audited."""
    if kind not in mapping.SUPPORTED:
        raise FhirError.one(404, "not-supported", f"{kind} is not served here (see /fhir/metadata)")
    _check_type_permission(principal, kind)
    row = find(session, kind, key)
    if row is None:
        raise FhirError.one(404, "not-found", f"{kind}/{key} does not exist")
    if kind == "AuditEvent" and not _audit_visible(session, principal, row):
        raise FhirError.one(403, "forbidden", "this audit event is outside the reader's reach")
    cache = AccessCache(session, principal, options)
    if kind in PATIENT_KINDS:
        patient = mapping.patient_of(kind, row)
        custodian = row.institution_id if kind == "Patient" else row.custodian_institution_id
        cache.decide(kind, patient, custodian)
        cache.note(kind, row, "vread" if version else "read")
        cache.flush()
    if version is not None:
        stored = session.scalar(sa.select(rm.FhirVersion.resource).where(
            rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == logical_id(kind, row),
            rm.FhirVersion.version_id == version))
        if stored is not None:
            return stored
        current = to_fhir(session, kind, row)  # written outside FHIR (pages, demo, audit): only the current one
        if (current.get("meta") or {}).get("versionId") != str(version):
            raise FhirError.one(404, "not-found", f"{kind}/{key} has no version {version}")
        return current
    return to_fhir(session, kind, row)


def history(session: Session, principal: Principal, kind: str, key: str, options: ReadOptions, base: str) -> dict:
    current = read(session, principal, kind, key, options)
    rows = session.execute(sa.select(rm.FhirVersion).where(
        rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == current["id"])
        .order_by(rm.FhirVersion.version_id.desc())).scalars().all()
    entries = [{"fullUrl": f"{base}/{kind}/{current['id']}", "resource": v.resource,
                "request": {"method": v.method, "url": f"{kind}/{current['id']}"},
                "response": {"status": "201" if v.version_id == 1 else "200",
                             "lastModified": mapping.iso(v.last_updated)}} for v in rows]
    newest = (current.get("meta") or {}).get("versionId")
    if not any(str(v.version_id) == newest for v in rows):
        # Written outside FHIR (pages, the demo, the audit trail): the current state is the newest version known.
        entries.insert(0, {"fullUrl": f"{base}/{kind}/{current['id']}", "resource": current,
                           "request": {"method": "PUT", "url": f"{kind}/{current['id']}"},
                           "response": {"status": "200", "lastModified": (current.get("meta") or {}).get(
                               "lastUpdated")}})
    return {"resourceType": "Bundle", "type": "history", "total": len(entries), "entry": entries}


# Search


def _role_rows(session: Session, query: search.Query) -> list[Any]:
    filters = {name: value for name, _, value in query.filters}
    regs = sa.select(Registration)
    pracs = sa.select(Practitioner)
    if "practitioner" in filters:
        pid = search.int_key(session, filters["practitioner"], "Practitioner")
        regs, pracs = regs.where(Registration.practitioner_id == pid), pracs.where(Practitioner.id == pid)
    if "organization" in filters:
        oid = search.int_key(session, filters["organization"], "Organization")
        regs = regs.where(Registration.institution_id == oid)
        pracs = pracs.where(Practitioner.primary_institution_id == oid)
    if "_id" in filters:
        rows = [find(session, "PractitionerRole", k) for k in filters["_id"].split(",")]
        return [r for r in rows if r is not None]
    return list(session.scalars(pracs.order_by(Practitioner.id).limit(1000))) + \
        list(session.scalars(regs.order_by(Registration.id).limit(1000)))


def _access_filter(session: Session, principal: Principal, kind: str, stmt: sa.Select,
                   query: search.Query, options: ReadOptions) -> tuple[sa.Select, list[Issue]]:
    """Narrow a search of patient data to what the reader may see; issues say what was withheld."""
    scope = scope_of(principal, Permission.RECORDS_READ)
    if scope is Scope.ANY or kind not in PATIENT_KINDS:
        return stmt, []
    patient_col, custodian_col = search.patient_column(kind), search.custodian_column(kind)
    if scope is Scope.OWN_RECORD:
        own = policy.same_person_records(session, principal.patient_record_id) if principal.patient_record_id else []
        return stmt.where(patient_col.in_(own or [-1])), []
    own = custodian_col == principal.institution_id
    if query.patient_records:
        # One person named: decide once for them (care relationship, consent, emergency).
        try:
            policy.decide(session, principal, patient_record_id=query.patient_records[0], custodian_institution_id=-1,
                          resource_type=kind, emergency_reason=options.emergency_reason)
            return stmt, []
        except DomainError as error:
            withheld = session.scalar(sa.select(sa.func.count()).select_from(
                stmt.where(sa.not_(own)).order_by(None).subquery()))
            issues = [Issue("suppressed", f"{withheld} record(s) of other institutions withheld: {error.message}",
                            severity="warning")] if withheld else []
            return stmt.where(own), issues
    if options.emergency_reason:
        raise FhirError.one(400, "invalid", "emergency access names one patient: add patient= to the search",
                            "patient")
    actor = policy.CareActor(principal.institution_id, principal.practitioner_id)
    now = utcnow()
    since = now - dt.timedelta(days=policy.CARE_WINDOW_DAYS)
    until = now + dt.timedelta(days=policy.CARE_WINDOW_DAYS)
    persons = [source(actor, since, until) for source in policy._SOURCES.values()]
    consent_persons = search.person_ids_of(sa.select(rm.Consent.patient_record_id).where(
        rm.Consent.status == rm.ConsentStatus.ACTIVE, rm.Consent.provision == "permit",
        sa.or_(rm.Consent.grantee_institution_id == principal.institution_id,
               rm.Consent.grantee_practitioner_id == principal.practitioner_id,
               sa.and_(rm.Consent.grantee_institution_id.is_(None), rm.Consent.grantee_practitioner_id.is_(None)))))
    reachable = sa.select(PersonLink.patient_record_id).where(
        PersonLink.person_id.in_(sa.union(*persons, consent_persons)))
    return stmt.where(sa.or_(own, patient_col.in_(reachable))), []


def search_bundle(session: Session, principal: Principal, kind: str, params: list[tuple[str, str]],
                  options: ReadOptions, base: str) -> dict:
    """A searchset Bundle: matches (access-filtered), includes, paging links; every shown record audited."""
    if kind not in mapping.SUPPORTED:
        raise FhirError.one(404, "not-supported", f"{kind} is not served here (see /fhir/metadata)")
    _check_type_permission(principal, kind)
    query = search.parse(kind, params)
    cache = AccessCache(session, principal, options)
    issues: list[Issue] = []
    if kind == "PractitionerRole":
        rows = _role_rows(session, query)
        total = len(rows)
        rows = rows[query.offset:query.offset + query.count]
    else:
        stmt = search.statement(session, query)
        if kind == "AuditEvent":
            from medshare.audit.models import AuditEvent
            scope = scope_of(principal, Permission.AUDIT_READ)
            if scope is not Scope.ANY:
                reach = []
                if scope is Scope.OWN_INSTITUTION:
                    reach.append(AuditEvent.institution_id == principal.institution_id)
                if principal.patient_record_id and scope_of(principal, Permission.ACCESS_LOG_READ):
                    reach.append(AuditEvent.patient_record_id.in_(
                        policy.same_person_records(session, principal.patient_record_id)))
                stmt = stmt.where(sa.or_(*reach) if reach else sa.false())
            order = AuditEvent.id.desc()
        else:
            stmt, issues = _access_filter(session, principal, kind, stmt, query, options)
            order = search.MODEL_OF[kind].id
        total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = [] if query.summary_count else list(session.scalars(
            stmt.order_by(*search.order_by(query, order)).limit(query.count).offset(query.offset)))
    bundle: dict = {"resourceType": "Bundle", "type": "searchset", "total": total}
    entries = []
    for row in rows:
        if not cache.note(kind, row, "search"):
            continue
        entries.append({"fullUrl": f"{base}/{kind}/{logical_id(kind, row)}", "resource": to_fhir(session, kind, row),
                        "search": {"mode": "match"}})
    seen = {(kind, logical_id(kind, row)) for row in rows}
    for include in query.includes:
        target, follow = search.INCLUDES[kind][include]
        for item in follow(session, rows):
            inc_kind, inc_row = item if isinstance(item, tuple) else (target, item)
            ident = (inc_kind, logical_id(inc_kind, inc_row))
            if ident in seen or not cache.note(inc_kind, inc_row, "search"):
                continue
            seen.add(ident)
            entries.append({"fullUrl": f"{base}/{inc_kind}/{ident[1]}", "resource": to_fhir(session, inc_kind, inc_row),
                            "search": {"mode": "include"}})
    if issues:
        entries.append({"resource": outcome(issues), "search": {"mode": "outcome"}})
    cache.flush()
    if not query.summary_count:
        bundle["entry"] = entries
    bundle["link"] = _links(base, kind, params, query, total)
    return bundle


def _links(base: str, kind: str, params: list[tuple[str, str]], query: search.Query, total: int) -> list[dict]:
    kept = [(k, v) for k, v in params if k not in ("_offset", "_count")]

    def url(offset: int) -> str:
        return f"{base}/{kind}?" + urlencode([*kept, ("_count", str(query.count)), ("_offset", str(offset))])

    links = [{"relation": "self", "url": url(query.offset)}]
    if query.summary_count:
        return links
    links.append({"relation": "first", "url": url(0)})
    if query.offset + query.count < total:
        links.append({"relation": "next", "url": url(query.offset + query.count)})
    if query.offset > 0:
        links.append({"relation": "previous", "url": url(max(0, query.offset - query.count))})
    last = max(0, (total - 1) // query.count * query.count) if query.count else 0
    links.append({"relation": "last", "url": url(last)})
    return links


# Bundles


ENTRY_URL = re.compile(r"^([A-Z][A-Za-z]+)(?:/([A-Za-z0-9\-.]{1,64}))?(?:\?(.*))?$")


def _entry_request(entry: dict, path: str) -> tuple[str, str, str | None, str | None]:
    request = entry.get("request") or {}
    method = (request.get("method") or "").upper()
    url = (request.get("url") or "").split("/fhir/", 1)[-1]
    match = ENTRY_URL.match(url)
    if method not in ("GET", "POST", "PUT") or not match:
        raise FhirError.one(400, "invalid", f"{path}.request: method GET, POST or PUT with a url Type[/id]",
                            f"{path}.request")
    return method, match.group(1), match.group(2), match.group(3)


def _location(kind: str, row: Any, served: dict) -> str:
    version = (served.get("meta") or {}).get("versionId") or getattr(row, "version_id", 1)
    return f"{kind}/{logical_id(kind, row)}/_history/{version}"


def transaction(session: Session, principal: Principal, bundle: dict, base: str,
                options: ReadOptions | None = None) -> dict:
    """Apply a transaction Bundle all or nothing (urn:uuid references resolved); the transaction-response."""
    _validate_bundle(bundle, "transaction")
    entries = bundle.get("entry") or []
    ctx = Ctx(session, principal)
    plan = []
    for i, entry in enumerate(entries):
        path = f"Bundle.entry[{i}]"
        method, kind, key, query = _entry_request(entry, path)
        resource = entry.get("resource")
        if method in ("POST", "PUT"):
            if not isinstance(resource, dict) or resource.get("resourceType") != kind:
                raise FhirError.one(400, "invalid", f"{path}.resource must be a {kind}", f"{path}.resource")
            if method == "PUT" and not key:
                raise FhirError.one(400, "invalid", f"{path}.request.url: PUT needs Type/id", f"{path}.request.url")
        plan.append((i, method, kind, key, query, entry))
        full_url = entry.get("fullUrl") or ""
        if full_url.startswith("urn:uuid:") and kind in rm.CLINICAL_MODELS and method == "POST":
            uuid = _uuid_of(full_url)
            model = rm.CLINICAL_MODELS[kind]
            taken = uuid is None or session.scalar(sa.select(model.id).where(model.fhir_id == uuid)) is not None
            ctx.refs[full_url] = (kind, rm.new_fhir_id() if taken else uuid)
        elif full_url.startswith("urn:uuid:") and method == "PUT" and key:
            ctx.refs[full_url] = (kind, key)
    # Patients registered by the bundle are registered where their encounters happen.
    encounter_org = {}
    for _, method, kind, _, _, entry in plan:
        if kind == "Encounter" and method == "POST":
            res = entry.get("resource") or {}
            subject = (res.get("subject") or {}).get("reference")
            provider = (res.get("serviceProvider") or {}).get("reference")
            if subject and provider and subject not in encounter_org:
                encounter_org[subject] = provider
    responses: dict[int, dict] = {}
    writes = [p for p in plan if p[1] in ("POST", "PUT")]
    writes.sort(key=lambda p: (WRITE_ORDER.index(p[2]) if p[2] in WRITE_ORDER else len(WRITE_ORDER), p[0]))
    for i, method, kind, key, _, entry in writes:
        path = f"Bundle.entry[{i}].resource"
        full_url = entry.get("fullUrl") or ""
        if kind == "Patient" and full_url in encounter_org:
            found = mapping.resolve(ctx, {"reference": encounter_org[full_url]}, ("Organization",), path)
            if found:
                ctx.patient_institution[full_url] = found[1].id
        resource = dict(entry["resource"])
        if kind in rm.CLINICAL_MODELS and full_url in ctx.refs and method == "POST":
            resource["id"] = ctx.refs[full_url][1]
            row, created, served = write(ctx, kind, resource, key=ctx.refs[full_url][1], path=path, method="POST")
        else:
            row, created, served = write(ctx, kind, resource, key=key if method == "PUT" else None,
                                         full_url=full_url, path=path, method=method)
        if full_url:
            ctx.refs[full_url] = (kind, logical_id(kind, row))
        responses[i] = {"status": "201 Created" if created else "200 OK",
                        "location": _location(kind, row, served) if served else f"{kind}/{logical_id(kind, row)}"}
        if served:
            responses[i]["etag"] = f'W/"{(served.get("meta") or {}).get("versionId", "1")}"'
            responses[i]["lastModified"] = (served.get("meta") or {}).get("lastUpdated")
    out_entries = []
    for i, method, kind, key, query, _entry in plan:
        if method == "GET":
            resource = _get_entry(session, principal, kind, key, query, options or ReadOptions(), base)
            out_entries.append({"resource": resource, "response": {"status": "200 OK"}})
        else:
            out_entries.append({"fullUrl": f"{base}/{responses[i]['location'].split('/_history')[0]}",
                                "response": responses[i]})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": out_entries}


def _get_entry(session, principal, kind, key, query, options, base) -> dict:
    if key:
        return read(session, principal, kind, key, options)
    return search_bundle(session, principal, kind, parse_qsl(query or "", keep_blank_values=True), options, base)


def batch(session: Session, principal: Principal, bundle: dict, base: str, options: ReadOptions | None = None) -> dict:
    """Apply each entry of a batch Bundle on its own (a savepoint each); errors answered per entry."""
    _validate_bundle(bundle, "batch")
    out_entries = []
    for i, entry in enumerate(bundle.get("entry") or []):
        path = f"Bundle.entry[{i}]"
        nested = session.begin_nested()
        try:
            method, kind, key, query = _entry_request(entry, path)
            if method == "GET":
                resource = _get_entry(session, principal, kind, key, query, options or ReadOptions(), base)
                result = {"resource": resource, "response": {"status": "200 OK"}}
            else:
                ctx = Ctx(session, principal)
                row, created, served = write(ctx, kind, dict(entry.get("resource") or {}),
                                             key=key if method == "PUT" else None, full_url=entry.get("fullUrl"),
                                             path=f"{path}.resource", method=method)
                result = {"response": {"status": "201 Created" if created else "200 OK",
                                       "location": _location(kind, row, served)}}
            nested.commit()
        except (FhirError, DomainError) as error:
            nested.rollback()
            failure = error if isinstance(error, FhirError) else from_domain_error(error)
            result = {"response": {"status": str(failure.status), "outcome": outcome(failure.issues)}}
        out_entries.append(result)
    return {"resourceType": "Bundle", "type": "batch-response", "entry": out_entries}


def _validate_bundle(bundle: Any, kind: str) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    from medshare.fhir.outcome import from_validation_error

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError.one(400, "invalid", "POST / takes a Bundle", "Bundle")
    if bundle.get("type") != kind:
        raise FhirError.one(400, "invalid", f"expected a {kind} Bundle", "Bundle.type")
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in bundle.get("entry") or []
                      if isinstance(e, dict)]
    try:
        Bundle.model_validate(shell)
    except ValidationError as error:
        raise from_validation_error("Bundle", error) from error


def patient_match(session: Session, principal: Principal, parameters: dict, base: str) -> dict:
    """Patient/$match: persons of the master patient index like the given Patient, scored."""
    from medshare.fhir import systems
    from medshare.identity.persons import search_persons

    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise FhirError.one(400, "invalid", "$match takes a Parameters resource", "Parameters")
    params = {p.get("name"): p for p in parameters.get("parameter") or []}
    patient = (params.get("resource") or {}).get("resource")
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        raise FhirError.one(400, "required", "give the Patient to match as parameter 'resource'",
                            "Parameters.parameter.where(name='resource')")
    validate(patient, "Patient", "Parameters.parameter[0].resource")
    count = int((params.get("count") or {}).get("valueInteger") or 10)
    only_certain = bool((params.get("onlyCertainMatches") or {}).get("valueBoolean"))
    name = mapping._person_name(mapping._first(patient.get("name")))
    birth = mapping.parse_time(patient.get("birthDate"), "Patient.birthDate")
    national = next((v for s, v in mapping._identifiers(patient) if s == systems.NATIONAL_ID), "")
    phone = next((t.get("value", "") for t in patient.get("telecom") or [] if t.get("system") == "phone"), "")
    try:
        views = search_persons(session, principal, name=name, birth_date=birth.date() if birth else None,
                               national_id=national, phone=phone, limit=count)
    except DomainError as error:
        raise from_domain_error(error) from error
    entries = []
    for view in views:
        record = next((r for r in view.records if r.institution_id == principal.institution_id), view.records[0])
        certain = bool(national) and any(r.national_id == national for r in view.records)
        grade = "certain" if certain else ("probable" if birth and record.birth_date == birth.date() else "possible")
        if only_certain and grade != "certain":
            continue
        entries.append({"fullUrl": f"{base}/Patient/{record.id}", "resource": to_fhir(session, "Patient", record),
                        "search": {"mode": "match", "score": {"certain": 1.0, "probable": 0.8}.get(grade, 0.5),
                                   "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/match-grade",
                                                  "valueCode": grade}]}})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def subject_records(session: Session, patient_record_id: int) -> list[int]:
    return policy.same_person_records(session, patient_record_id)


__all__ = ["PatientRecord", "ReadOptions", "batch", "history", "patient_match", "read", "search_bundle",
           "transaction", "write"]
