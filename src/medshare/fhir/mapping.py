"""FHIR R4 resources to and from medshare's tables.

Patient, Organization, Practitioner and PractitionerRole are the identity and registry
tables (PatientRecord, Institution, Practitioner, Registration); the clinical resources
are the records tables. Reading builds the resource from the columns, over the JSON as
last received (so unmapped elements round-trip); writing validates the resource with the
fhir.resources R4B models, resolves its references and sets the columns.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import DomainError
from medshare.fhir import systems
from medshare.fhir.outcome import FhirError, Issue, from_domain_error, from_validation_error, invalid
from medshare.identity.models import PatientRecord, PersonLink
from medshare.permissions import Permission, Principal, authorize
from medshare.records import models as rm
from medshare.registry.models import Institution, InstitutionType, Practitioner, Profession, Registration, Title

MAPPED = ("Patient", "Organization", "Practitioner", "PractitionerRole")
CLINICAL = tuple(rm.CLINICAL_MODELS)
READ_ONLY = ("AuditEvent",)
SUPPORTED = MAPPED + CLINICAL + READ_ONLY
PATIENT_DATA = CLINICAL  # resources whose every read is about a patient (Location/Provenance have none: see below)
ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
TYPE_ID = re.compile(r"^(?:.*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/\d+)?$")


class AdministrativeGender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class RequestIntent(enum.StrEnum):
    PROPOSAL = "proposal"
    PLAN = "plan"
    DIRECTIVE = "directive"
    ORDER = "order"
    ORIGINAL_ORDER = "original-order"
    REFLEX_ORDER = "reflex-order"
    FILLER_ORDER = "filler-order"
    INSTANCE_ORDER = "instance-order"
    OPTION = "option"


class RequestPriority(enum.StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


class LocationStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    INACTIVE = "inactive"


class ImagingStatus(enum.StrEnum):
    REGISTERED = "registered"
    AVAILABLE = "available"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


# Times


def parse_time(value: str | None, path: str) -> dt.datetime | None:
    """A FHIR date, dateTime or instant as an aware UTC datetime (a date is its midnight UTC)."""
    if not value:
        return None
    try:
        if len(value) == 4:
            return dt.datetime(int(value), 1, 1, tzinfo=dt.UTC)
        if len(value) == 7:
            return dt.datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=dt.UTC)
        if len(value) == 10:
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise invalid(path, f"not a FHIR dateTime: {error}") from error
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Validation


def validate(resource: Any, expected: str | None = None, path: str | None = None) -> dict:
    """The resource, checked against the R4B model of its type; FhirError (422) naming the bad elements."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if not isinstance(resource, dict):
        raise invalid(path or "Resource", "a resource must be a JSON object")
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise invalid(f"{path or 'Resource'}.resourceType", "resourceType is required")
    if expected and kind != expected:
        raise invalid(f"{path or kind}.resourceType", f"expected a {expected}, got a {kind}")
    if kind not in SUPPORTED:
        raise FhirError.one(422 if path else 404, "not-supported", f"{kind} is not served here "
                            f"(see /fhir/metadata)", f"{path or kind}.resourceType")
    if kind in READ_ONLY:
        raise FhirError.one(405, "not-supported", f"{kind} is read-only", f"{path or kind}")
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except ValidationError as error:
        failure = from_validation_error(kind, error)
        raise failure.at(path) if path else failure from error
    return resource


def _bound(value: str | None, allowed: type, path: str, required: bool = True) -> str | None:
    """A code of a required binding: one of allowed's values, or FhirError (code-invalid)."""
    if value is None:
        if required:
            raise FhirError.one(422, "required", f"{path} is required", path)
        return None
    values = {m.value for m in allowed}
    if value not in values:
        raise FhirError.one(422, "code-invalid", f"{path}: '{value}' is not one of {', '.join(sorted(values))}", path)
    return value


# References


@dataclass
class Ctx:
    """A write in progress: who writes, and the urn:uuid fullUrls of a Bundle resolved so far."""

    session: Session
    principal: Principal
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # fullUrl -> (type, logical id)
    patient_institution: dict[str, int] = field(default_factory=dict)  # Patient fullUrl -> institution hint


def logical_id(kind: str, row: Any) -> str:
    if kind in ("Patient", "Organization", "Practitioner"):
        return str(row.id)
    if kind == "PractitionerRole":
        return f"pri-{row.id}" if isinstance(row, Practitioner) else f"reg-{row.id}"
    if kind == "AuditEvent":
        return str(row.id)
    return row.fhir_id


def _alias(session: Session, kind: str, alias: str) -> str | None:
    return session.scalar(sa.select(rm.FhirAlias.logical_id).where(rm.FhirAlias.resource_type == kind,
                                                                     rm.FhirAlias.alias == alias))


def find(session: Session, kind: str, key: str) -> Any | None:
    """The row behind Type/key (a local id or a known alias), or None."""
    if kind in rm.CLINICAL_MODELS:
        model = rm.CLINICAL_MODELS[kind]
        return session.scalar(sa.select(model).where(model.fhir_id == key))
    if kind == "AuditEvent":
        from medshare.audit.models import AuditEvent
        return session.get(AuditEvent, int(key)) if key.isdigit() else None
    if kind == "PractitionerRole":
        prefix, _, number = key.partition("-")
        if not number.isdigit():
            return None
        return session.get(Practitioner if prefix == "pri" else Registration, int(number)) \
            if prefix in ("pri", "reg") else None
    model = {"Patient": PatientRecord, "Organization": Institution, "Practitioner": Practitioner}.get(kind)
    if model is None:
        return None
    if not key.isdigit():
        key = _alias(session, kind, key) or ""
    return session.get(model, int(key)) if key.isdigit() else None


def resolve(ctx: Ctx, reference: dict | None, allowed: tuple[str, ...], path: str,
            required: bool = False) -> tuple[str, Any] | None:
    """The (type, row) a Reference names: a Bundle fullUrl, Type/id, or an earlier urn:uuid alias."""
    if not reference or not reference.get("reference"):
        if required:
            raise FhirError.one(422, "required", f"{path} is required", path)
        return None
    text = reference["reference"]
    kinds: tuple[str, ...]
    if text.startswith("urn:uuid:"):
        if text in ctx.refs:
            kind, key = ctx.refs[text]
            kinds = (kind,)
        else:
            key, kinds = text[len("urn:uuid:"):], allowed
    else:
        match = TYPE_ID.match(text)
        if not match:
            raise invalid(f"{path}.reference", f"'{text}' is not a reference this server resolves")
        kind, key = match.groups()
        kinds = (kind,)
    for kind in kinds:
        if kind not in allowed:
            raise invalid(f"{path}.reference", f"must refer to {' or '.join(allowed)}, not {kind}")
        row = find(ctx.session, kind, key)
        if row is not None:
            return kind, row
    raise FhirError.one(422, "not-found", f"{path}: '{text}' names no resource here", f"{path}.reference")


def ref(kind: str, row: Any, display: str | None = None) -> dict:
    out = {"reference": f"{kind}/{logical_id(kind, row)}"}
    if display:
        out["display"] = display
    return out


def rewrite_refs(value: Any, refs: dict[str, tuple[str, str]]) -> Any:
    """A copy of value with urn:uuid references of the Bundle replaced by Type/id."""
    if isinstance(value, dict):
        out = {k: rewrite_refs(v, refs) for k, v in value.items()}
        target = out.get("reference")
        if isinstance(target, str) and target in refs:
            kind, key = refs[target]
            out["reference"] = f"{kind}/{key}"
        return out
    if isinstance(value, list):
        return [rewrite_refs(v, refs) for v in value]
    return value


# Small element helpers


def _coding(concept: dict | None, prefer: str | None = None) -> dict:
    codings = (concept or {}).get("coding") or []
    if prefer:
        for c in codings:
            if c.get("system") == prefer:
                return c
    return codings[0] if codings else {}


def _first(items: list | None) -> dict:
    return items[0] if items else {}


def concept(original: dict | None, system: str, code: str, display: str) -> dict | None:
    """The original CodeableConcept when it still says the same code, else one built from the columns."""
    if not code and not display:
        return None
    if original and any(c.get("code") == code and (c.get("system") or "") == system
                        for c in original.get("coding") or []):
        return original
    out: dict = {}
    if code:
        coding = {"code": code}
        if system:
            coding = {"system": system, **coding}
        if display:
            coding["display"] = display
        out["coding"] = [coding]
    if display:
        out["text"] = display
    return out


def _put(out: dict, key: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        out.pop(key, None)
    else:
        out[key] = value


def _person_name(name: dict) -> str:
    if name.get("text"):
        return name["text"].strip()
    family = (name.get("family") or "").strip()
    given = " ".join(name.get("given") or []).strip()
    if re.search(r"[\u4e00-\u9fff]", family + given):
        return family + given
    return " ".join(p for p in (given, family) if p)


def _human_name(text: str, original: list | None) -> list:
    if original and _person_name(original[0]) == text:
        return original
    if re.search(r"[\u4e00-\u9fff]", text) and len(text) >= 2:
        return [{"text": text, "family": text[0], "given": [text[1:]]}]
    given, _, family = text.rpartition(" ")
    return [{"text": text, "family": family or text, **({"given": [given]} if given else {})}]


def _telecom(value: str, original: list | None) -> list | None:
    rest = [t for t in original or [] if t.get("system") != "phone"]
    return ([{"system": "phone", "value": value}] if value else []) + rest or None


def _address_text(address: dict) -> str:
    if address.get("text"):
        return address["text"]
    parts = [*address.get("line", []), address.get("city"), address.get("district"), address.get("state"),
             address.get("postalCode"), address.get("country")]
    return ", ".join(p for p in parts if p)


def _address(text: str, original: list | None) -> list | None:
    if original and _address_text(original[0]) == text:
        return original
    return [{"text": text}] if text else None


def _identifiers(resource: dict) -> list[tuple[str, str]]:
    return [(i.get("system") or "", i["value"]) for i in resource.get("identifier") or [] if i.get("value")]


def _meta(out: dict, version: int, updated: dt.datetime) -> None:
    meta = dict(out.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = iso(updated)
    out["meta"] = meta


def _authorize(ctx: Ctx, permission: Permission, institutions: list[int | None], path: str) -> None:
    try:
        authorize(ctx.principal, permission, institutions=institutions,
                  patient_record_id=ctx.principal.patient_record_id)
    except DomainError as error:
        raise FhirError.one(403, "forbidden", error.message, path) from error


# The FHIR element a domain schema's field comes from (for the path of an error).
DOMAIN_FIELDS = {"name": "name", "sex": "gender", "birth_date": "birthDate", "national_id": "identifier",
                 "local_id": "identifier", "phone": "telecom", "address": "address", "institution_id":
                 "managingOrganization", "valid_from": "period.start", "valid_to": "period.end"}


def _domain(call, path: str):
    """Run a medshare service call, its errors as FHIR errors located under path (at the FHIR element)."""
    from pydantic import ValidationError

    def where(field: str) -> str:
        return f"{path}.{DOMAIN_FIELDS.get(field, field)}" if field else path

    try:
        return call()
    except DomainError as error:
        failure = from_domain_error(error)
        for issue in failure.issues:
            issue.expression = [where(e) for e in issue.expression] or [path]
        raise failure from error
    except ValidationError as error:  # a mapped value the domain schema refuses
        issues = []
        for e in error.errors():
            field = str(e.get("loc", ("",))[0]) if e.get("loc") else ""
            issues.append(Issue("value", f"{where(field)}: {e.get('msg', 'invalid')}", [where(field)]))
        raise FhirError(422, issues) from error


# Versions (meta) of the mapped resources


def latest_version(session: Session, kind: str, key: str) -> tuple[int, dt.datetime | None]:
    row = session.execute(sa.select(rm.FhirVersion.version_id, rm.FhirVersion.last_updated).where(
        rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == key)
        .order_by(rm.FhirVersion.version_id.desc()).limit(1)).first()
    return (row.version_id, row.last_updated) if row else (1, None)


def stored_json(session: Session, kind: str, key: str) -> dict:
    """The JSON of the newest stored version (for unmapped elements of mapped resources)."""
    value = session.scalar(sa.select(rm.FhirVersion.resource).where(
        rm.FhirVersion.resource_type == kind, rm.FhirVersion.logical_id == key)
        .order_by(rm.FhirVersion.version_id.desc()).limit(1))
    return dict(value or {})


# Mapped resources: Patient, Organization, Practitioner, PractitionerRole


def patient_to_fhir(session: Session, record: PatientRecord, base: dict | None = None) -> dict:
    out = dict(base if base is not None else stored_json(session, "Patient", str(record.id)))
    out.update(resourceType="Patient", id=str(record.id))
    version, updated = latest_version(session, "Patient", str(record.id))
    _meta(out, version, updated or record.updated_at)
    idents = [i for i in out.get("identifier") or []
              if i.get("system") not in (systems.NATIONAL_ID, systems.LOCAL_PATIENT)]
    idents.insert(0, {"system": systems.LOCAL_PATIENT, "value": record.local_id,
                      "assigner": {"reference": f"Organization/{record.institution_id}"}})
    if record.national_id:
        idents.insert(1, {"system": systems.NATIONAL_ID, "value": record.national_id})
    out["identifier"] = idents
    out["active"] = record.active
    out["name"] = _human_name(record.name, out.get("name"))
    out["gender"] = record.sex
    _put(out, "birthDate", record.birth_date.isoformat() if record.birth_date else None)
    _put(out, "telecom", _telecom(record.phone, out.get("telecom")))
    _put(out, "address", _address(record.address, out.get("address")))
    out["managingOrganization"] = {"reference": f"Organization/{record.institution_id}"}
    person = session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == record.id))
    if person is not None:
        others = session.scalars(sa.select(PersonLink.patient_record_id).where(
            PersonLink.person_id == person, PersonLink.patient_record_id != record.id)
            .order_by(PersonLink.patient_record_id)).all()
        _put(out, "link", [{"other": {"reference": f"Patient/{o}"}, "type": "seealso"} for o in others])
    return out


def patient_from_fhir(ctx: Ctx, data: dict, row: PatientRecord | None, path: str, full_url: str = "") -> PatientRecord:
    from medshare.identity import service as identity
    from medshare.identity.schemas import PatientRecordIn, PatientRecordPatch

    name = _person_name(_first(data.get("name")))
    if not name:
        raise FhirError.one(422, "required", f"{path}.name: a patient needs a name", f"{path}.name")
    sex = _bound(data.get("gender") or "unknown", AdministrativeGender, f"{path}.gender")
    birth = parse_time(data.get("birthDate"), f"{path}.birthDate")
    phone = next((t.get("value", "") for t in data.get("telecom") or [] if t.get("system") == "phone"), "")
    try:
        from medshare.identity import rules as id_rules
        phone = id_rules.check_phone(phone)
    except DomainError:
        phone = ""  # a number outside the mainland plan stays in the stored JSON only
    national = next((v for s, v in _identifiers(data) if s == systems.NATIONAL_ID), None)
    address = _address_text(_first(data.get("address")))[:300]
    values = {"name": name[:100], "sex": sex, "birth_date": birth.date() if birth else None,
              "national_id": national, "phone": phone, "address": address}
    if row is not None:
        return _domain(lambda: identity.update_patient_record(ctx.session, ctx.principal, row,
                                                              PatientRecordPatch(**values)), path)
    institution = None
    managing = resolve(ctx, data.get("managingOrganization"), ("Organization",), f"{path}.managingOrganization")
    if managing:
        institution = managing[1].id
    institution = institution or ctx.patient_institution.get(full_url) or ctx.principal.institution_id
    if institution is None:
        raise FhirError.one(422, "required", f"{path}.managingOrganization: say which institution registers "
                            "the patient", f"{path}.managingOrganization")
    local = next((v for s, v in _identifiers(data) if s == systems.LOCAL_PATIENT), None)
    if local is None:
        local = next((i["value"] for i in data.get("identifier") or []
                      if _coding(i.get("type")).get("code") == "MR" and i.get("value")), None)
    local = (local or data.get("id") or rm.new_fhir_id())[:64]
    existing = ctx.session.scalar(sa.select(PatientRecord).where(PatientRecord.institution_id == institution,
                                                                 PatientRecord.local_id == local))
    if existing is not None:  # the same registration sent again: an update, not a second record
        return _domain(lambda: identity.update_patient_record(ctx.session, ctx.principal, existing,
                                                              PatientRecordPatch(**values)), path)
    return _domain(lambda: identity.create_patient_record(
        ctx.session, ctx.principal, PatientRecordIn(institution_id=institution, local_id=local, **values)), path)


def organization_to_fhir(session: Session, inst: Institution, base: dict | None = None) -> dict:
    out = dict(base if base is not None else stored_json(session, "Organization", str(inst.id)))
    out.update(resourceType="Organization", id=str(inst.id))
    version, updated = latest_version(session, "Organization", str(inst.id))
    _meta(out, version, updated or inst.updated_at)
    idents = [i for i in out.get("identifier") or [] if i.get("system") != systems.INSTITUTION_CODE]
    out["identifier"] = [{"system": systems.INSTITUTION_CODE, "value": inst.code}, *idents]
    out["active"] = inst.status.value == "active"
    out["name"] = inst.name
    if inst.name_en and inst.name_en != inst.name:
        out["alias"] = [inst.name_en]
    kept = [t for t in out.get("type") or [] if _coding(t).get("system") != systems.INSTITUTION_TYPE]
    out["type"] = [{"coding": [{"system": systems.INSTITUTION_TYPE, "code": inst.type.value}]}, *kept]
    exts = [e for e in out.get("extension") or [] if e.get("url") not in (systems.EXT_GRADE, systems.EXT_DIVISION)]
    if inst.grade_level:
        exts.append({"url": systems.EXT_GRADE, "valueString": f"{inst.grade_level}{inst.grade_class or ''}"})
    exts.append({"url": systems.EXT_DIVISION, "valueCode": inst.division_code})
    out["extension"] = exts
    _put(out, "telecom", _telecom(inst.phone, out.get("telecom")))
    _put(out, "address", _address(inst.address, out.get("address")))
    return out


def organization_from_fhir(ctx: Ctx, data: dict, row: Institution | None, path: str) -> Institution:
    name = (data.get("name") or "").strip()
    if not name:
        raise FhirError.one(422, "required", f"{path}.name: an organization needs a name", f"{path}.name")
    kind = _coding(_first(data.get("type")), systems.INSTITUTION_TYPE)
    kind_code = kind.get("code") if kind.get("system") == systems.INSTITUTION_TYPE else None
    if kind_code is not None:
        _bound(kind_code, InstitutionType, f"{path}.type[0].coding[0].code")
    ext = {e.get("url"): e for e in data.get("extension") or []}
    grade = (ext.get(systems.EXT_GRADE) or {}).get("valueString") or ""
    division = (ext.get(systems.EXT_DIVISION) or {}).get("valueCode") or "000000"
    phone = next((t.get("value", "") for t in data.get("telecom") or [] if t.get("system") == "phone"), "")[:40]
    address = _address_text(_first(data.get("address")))[:300]
    if row is not None:
        _authorize(ctx, Permission.INSTITUTION_UPDATE, [row.id], path)
        row.name, row.phone, row.address = name[:200], phone, address
        if kind_code:
            row.type = InstitutionType(kind_code)
        ctx.session.flush()
        record_event(ctx.session, ctx.principal, "institution.update", "institution", row.id, institution_id=row.id,
                     details={"via": "fhir"})
        return row
    _authorize(ctx, Permission.INSTITUTION_CREATE, [], path)
    code = next((v for s, v in _identifiers(data) if s == systems.INSTITUTION_CODE), None)
    code = code or next((v for _, v in _identifiers(data) if len(v) <= 32), None)
    code = code or ("F" + (data.get("id") or rm.new_fhir_id()).replace("-", ""))[:32]
    existing = ctx.session.scalar(sa.select(Institution).where(Institution.code == code))
    if existing is not None:
        return existing
    # An organization from outside the region's registry (e.g. Synthea's US providers) carries no
    # medshare type, grade or GB/T 2260 division: it is registered as a hospital of unknown grade in
    # division 000000 (unknown), which the registry's pages show as such.
    institution = Institution(code=code, name=name[:200], name_en="", phone=phone, address=address,
                              type=InstitutionType(kind_code or InstitutionType.SECONDARY_HOSPITAL.value),
                              grade_level=int(grade[0]) if grade[:1] in ("1", "2", "3") else None,
                              grade_class=grade[1:2] or None if grade[:1] in ("1", "2", "3") else None,
                              division_code=division[:6])
    ctx.session.add(institution)
    ctx.session.flush()
    record_event(ctx.session, ctx.principal, "institution.create", "institution", institution.id,
                 institution_id=institution.id, details={"via": "fhir"})
    return institution


def practitioner_to_fhir(session: Session, p: Practitioner, base: dict | None = None) -> dict:
    out = dict(base if base is not None else stored_json(session, "Practitioner", str(p.id)))
    out.update(resourceType="Practitioner", id=str(p.id))
    version, updated = latest_version(session, "Practitioner", str(p.id))
    _meta(out, version, updated or p.updated_at)
    idents = [i for i in out.get("identifier") or [] if i.get("system") != systems.LICENCE]
    out["identifier"] = [{"system": systems.LICENCE, "value": p.licence_number}, *idents]
    out["active"] = p.active
    out["name"] = _human_name(p.name, out.get("name"))
    out["gender"] = p.sex
    quals = [q for q in out.get("qualification") or []
             if _coding(q.get("code")).get("system") not in (systems.PROFESSION, systems.TITLE)]
    out["qualification"] = [{"code": {"coding": [{"system": systems.PROFESSION, "code": p.profession.value}]}},
                            {"code": {"coding": [{"system": systems.TITLE, "code": p.title.value}]}}, *quals]
    exts = [e for e in out.get("extension") or [] if e.get("url") != systems.EXT_PRIMARY_INSTITUTION]
    out["extension"] = [*exts, {"url": systems.EXT_PRIMARY_INSTITUTION,
                                "valueReference": {"reference": f"Organization/{p.primary_institution_id}"}}]
    return out


def practitioner_from_fhir(ctx: Ctx, data: dict, row: Practitioner | None, path: str) -> Practitioner:
    name = _person_name(_first(data.get("name")))
    if not name:
        raise FhirError.one(422, "required", f"{path}.name: a practitioner needs a name", f"{path}.name")
    sex = _bound(data.get("gender") or "unknown", AdministrativeGender, f"{path}.gender")
    quals = {(_coding(q.get("code")).get("system")): _coding(q.get("code")).get("code")
             for q in data.get("qualification") or []}
    profession = _bound(quals.get(systems.PROFESSION) or "doctor", Profession, f"{path}.qualification")
    title = _bound(quals.get(systems.TITLE) or "attending", Title, f"{path}.qualification")
    if row is not None:
        _authorize(ctx, Permission.PRACTITIONER_WRITE, [row.primary_institution_id], path)
        row.name, row.sex, row.active = name[:100], sex, data.get("active", True)
        row.profession, row.title = Profession(profession), Title(title)
        ctx.session.flush()
        record_event(ctx.session, ctx.principal, "practitioner.update", "practitioner", row.id,
                     institution_id=row.primary_institution_id, details={"via": "fhir"})
        return row
    licence = next((v for s, v in _identifiers(data) if s == systems.LICENCE), None)
    if licence is None:
        npi = next((v for s, v in _identifiers(data) if s == systems.NPI), None)
        licence = f"NPI-{npi}" if npi else None
    licence = (licence or ("F" + (data.get("id") or rm.new_fhir_id()).replace("-", "")))[:32]
    existing = ctx.session.scalar(sa.select(Practitioner).where(Practitioner.licence_number == licence))
    if existing is not None:
        return existing
    ext = {e.get("url"): e for e in data.get("extension") or []}
    primary = None
    if systems.EXT_PRIMARY_INSTITUTION in ext:
        found = resolve(ctx, ext[systems.EXT_PRIMARY_INSTITUTION].get("valueReference"), ("Organization",),
                        f"{path}.extension")
        primary = found[1].id if found else None
    if primary is None and data.get("address"):
        # Synthea's convention: a practitioner's address is their hospital's.
        primary = ctx.session.scalar(sa.select(Institution.id).where(
            Institution.address == _address_text(data["address"][0])[:300]).order_by(Institution.id).limit(1))
    primary = primary or ctx.principal.institution_id
    if primary is None:
        raise FhirError.one(422, "required", f"{path}.extension: give the primary institution "
                            f"({systems.EXT_PRIMARY_INSTITUTION})", f"{path}.extension")
    _authorize(ctx, Permission.PRACTITIONER_WRITE, [primary], path)
    practitioner = Practitioner(licence_number=licence, name=name[:100], name_pinyin="", sex=sex,
                                profession=Profession(profession), title=Title(title), primary_institution_id=primary,
                                active=data.get("active", True))
    ctx.session.add(practitioner)
    ctx.session.flush()
    record_event(ctx.session, ctx.principal, "practitioner.create", "practitioner", practitioner.id,
                 institution_id=primary, details={"via": "fhir"})
    return practitioner


def role_to_fhir(session: Session, row: Registration | Practitioner, base: dict | None = None) -> dict:
    key = logical_id("PractitionerRole", row)
    out = dict(base if base is not None else stored_json(session, "PractitionerRole", key))
    out.update(resourceType="PractitionerRole", id=key)
    version, updated = latest_version(session, "PractitionerRole", key)
    _meta(out, version, updated or row.updated_at)
    if isinstance(row, Practitioner):
        out.update(active=row.active, practitioner={"reference": f"Practitioner/{row.id}"},
                   organization={"reference": f"Organization/{row.primary_institution_id}"})
        out["code"] = [{"coding": [{"system": systems.PROFESSION, "code": row.profession.value}]}]
        _put(out, "specialty", [{"text": row.specialty}] if row.specialty else None)
        return out
    out.update(active=not row.ended and row.valid_to >= utcnow().date(),
               practitioner={"reference": f"Practitioner/{row.practitioner_id}"},
               organization={"reference": f"Organization/{row.institution_id}"},
               period={"start": row.valid_from.isoformat(), "end": row.valid_to.isoformat()})
    return out


def role_from_fhir(ctx: Ctx, data: dict, row: Any, path: str) -> Registration | Practitioner:
    from medshare.registry import service as registry
    from medshare.registry.schemas import RegistrationIn

    if row is not None:
        if isinstance(row, Registration) and data.get("active") is False and not row.ended:
            return _domain(lambda: registry.end_registration(ctx.session, ctx.principal, row), path)
        return row
    practitioner = resolve(ctx, data.get("practitioner"), ("Practitioner",), f"{path}.practitioner", required=True)[1]
    org = resolve(ctx, data.get("organization"), ("Organization",), f"{path}.organization", required=True)[1]
    if org.id == practitioner.primary_institution_id:
        return practitioner
    period = data.get("period") or {}
    start = parse_time(period.get("start"), f"{path}.period.start") or utcnow()
    end = parse_time(period.get("end"), f"{path}.period.end") or start + dt.timedelta(days=365)
    return _domain(lambda: registry.add_registration(ctx.session, ctx.principal, practitioner, RegistrationIn(
        institution_id=org.id, valid_from=start.date(), valid_to=end.date())), path)


# Clinical resources


def _performers(ctx: Ctx, refs: list | None, path: str) -> tuple[int | None, int | None]:
    """(institution id, practitioner id) of a performer list."""
    institution = practitioner = None
    for i, r in enumerate(refs or []):
        found = resolve(ctx, r, ("Organization", "Practitioner", "PractitionerRole"), f"{path}[{i}]")
        if not found:
            continue
        kind, row = found
        if kind == "Organization":
            institution = institution or row.id
        elif kind == "Practitioner":
            practitioner = practitioner or row.id
        elif isinstance(row, Registration):
            practitioner, institution = practitioner or row.practitioner_id, institution or row.institution_id
        else:
            practitioner, institution = practitioner or row.id, institution or row.primary_institution_id
    return institution, practitioner


def _subject(ctx: Ctx, data: dict, path: str, key: str = "subject", required: bool = True) -> PatientRecord | None:
    found = resolve(ctx, data.get(key), ("Patient",), f"{path}.{key}", required=required)
    return found[1] if found else None


def _row_ref(ctx: Ctx, data: Any, kind: str, path: str) -> Any | None:
    found = resolve(ctx, data, (kind,), path)
    return found[1] if found else None


def _custodian(ctx: Ctx, *candidates: int | None) -> int | None:
    for c in candidates:
        if c is not None:
            return c
    return ctx.principal.institution_id


def _check_write(ctx: Ctx, custodian: int | None, patient: PatientRecord | None, path: str) -> None:
    if patient is not None and ctx.principal.patient_record_id is not None:
        # A patient writes (consents) only about themselves.
        from medshare.records.access import same_person_records
        if ctx.principal.patient_record_id not in same_person_records(ctx.session, patient.id):
            raise FhirError.one(403, "forbidden", "a patient writes only about their own records", path)
        return
    _authorize(ctx, Permission.RECORDS_WRITE, [custodian, patient.institution_id if patient else None], path)


def encounter_from_fhir(ctx: Ctx, data: dict, row: rm.Encounter, path: str) -> None:
    patient = _subject(ctx, data, path)
    row.status = _bound(data.get("status"), rm.EncounterStatus, f"{path}.status")
    row.class_code = (data.get("class") or {}).get("code") or "AMB"
    kind = _coding(_first(data.get("type")))
    row.type_system, row.type_code = kind.get("system") or "", kind.get("code") or ""
    row.type_display = (kind.get("display") or _first(data.get("type")).get("text") or "")[:200]
    institution = _row_ref(ctx, data.get("serviceProvider"), "Organization", f"{path}.serviceProvider")
    _, practitioner = _performers(ctx, [p.get("individual") for p in data.get("participant") or []
                                        if p.get("individual")], f"{path}.participant")
    location = _first(data.get("location")).get("location")
    loc = _row_ref(ctx, location, "Location", f"{path}.location[0].location") if location else None
    period = data.get("period") or {}
    row.period_start = parse_time(period.get("start"), f"{path}.period.start")
    row.period_end = parse_time(period.get("end"), f"{path}.period.end")
    reason = _coding(_first(data.get("reasonCode")))
    row.reason_code, row.reason_display = reason.get("code") or "", (reason.get("display") or "")[:200]
    row.patient_record_id = patient.id
    row.institution_id = institution.id if institution else None
    row.practitioner_id = practitioner
    row.location_id = loc.id if loc else None
    row.custodian_institution_id = _custodian(ctx, row.institution_id, patient.institution_id)
    _check_write(ctx, row.custodian_institution_id, patient, path)


def encounter_to_fhir(session: Session, row: rm.Encounter, out: dict) -> None:
    out["status"] = str(row.status)
    out["class"] = {"system": systems.ACT_CODE, "code": row.class_code}
    first = concept(_first(out.get("type")), row.type_system, row.type_code, row.type_display)
    _put(out, "type", [first, *(out.get("type") or [])[1:]] if first else None)
    out["subject"] = {"reference": f"Patient/{row.patient_record_id}"}
    _put(out, "serviceProvider", {"reference": f"Organization/{row.institution_id}"} if row.institution_id else None)
    if row.practitioner_id:
        out["participant"] = [{"individual": {"reference": f"Practitioner/{row.practitioner_id}"}},
                              *[p for p in out.get("participant") or []
                                if (p.get("individual") or {}).get("reference", "").split("/")[0] != "Practitioner"]]
    period = {k: v for k, v in (("start", iso(row.period_start)), ("end", iso(row.period_end))) if v}
    _put(out, "period", period or None)
    if row.location_id:
        out["location"] = [{"location": ref("Location", session.get(rm.Location, row.location_id))}]


def service_request_from_fhir(ctx: Ctx, data: dict, row: rm.ServiceRequest, path: str) -> None:
    patient = _subject(ctx, data, path)
    row.status = _bound(data.get("status"), rm.RequestStatus, f"{path}.status")
    row.intent = _bound(data.get("intent"), RequestIntent, f"{path}.intent")
    row.priority = _bound(data.get("priority") or "routine", RequestPriority, f"{path}.priority")
    row.category = _coding(_first(data.get("category"))).get("code") or ""
    code = _coding(data.get("code"), systems.LOINC)
    row.code_system, row.code = code.get("system") or "", code.get("code") or ""
    row.code_display = (code.get("display") or (data.get("code") or {}).get("text") or "")[:200]
    encounter = _row_ref(ctx, data.get("encounter"), "Encounter", f"{path}.encounter")
    found = resolve(ctx, data.get("requester"), ("Practitioner", "PractitionerRole", "Organization"),
                    f"{path}.requester")
    requester_inst, requester = _performers(ctx, [data["requester"]], f"{path}.requester") if found else (None, None)
    performer_inst, _ = _performers(ctx, data.get("performer"), f"{path}.performer")
    row.authored_on = parse_time(data.get("authoredOn"), f"{path}.authoredOn")
    row.occurrence_at = parse_time(data.get("occurrenceDateTime"), f"{path}.occurrenceDateTime")
    row.reason_text = (_first(data.get("reasonCode")).get("text") or "")[:500]
    row.patient_record_id, row.encounter_id = patient.id, encounter.id if encounter else None
    row.requester_practitioner_id, row.requester_institution_id = requester, requester_inst
    row.performer_institution_id = performer_inst
    row.custodian_institution_id = _custodian(ctx, requester_inst, encounter.institution_id if encounter else None,
                                              None) or patient.institution_id
    _check_write(ctx, row.custodian_institution_id, patient, path)


def service_request_to_fhir(session: Session, row: rm.ServiceRequest, out: dict) -> None:
    out.update(status=str(row.status), intent=row.intent, priority=row.priority)
    if row.category:
        out["category"] = [concept(_first(out.get("category")), _coding(_first(out.get("category"))).get("system")
                                   or "", row.category, "") or {"coding": [{"code": row.category}]}]
    _put(out, "code", concept(out.get("code"), row.code_system, row.code, row.code_display))
    out["subject"] = {"reference": f"Patient/{row.patient_record_id}"}
    _put(out, "encounter", ref("Encounter", session.get(rm.Encounter, row.encounter_id)) if row.encounter_id else None)
    if row.requester_practitioner_id:
        out["requester"] = {"reference": f"Practitioner/{row.requester_practitioner_id}"}
    elif row.requester_institution_id:
        out["requester"] = {"reference": f"Organization/{row.requester_institution_id}"}
    _put(out, "performer", [{"reference": f"Organization/{row.performer_institution_id}"}]
         if row.performer_institution_id else None)
    _put(out, "authoredOn", iso(row.authored_on))
    _put(out, "occurrenceDateTime", iso(row.occurrence_at))
    reasons = out.get("reasonCode") or []
    if row.reason_text and _first(reasons).get("text") != row.reason_text:
        # e.g. why mutual recognition fulfilled the order by a prior result, or why it was repeated
        out["reasonCode"] = [{"text": row.reason_text}, *reasons[1:]]


def observation_from_fhir(ctx: Ctx, data: dict, row: rm.Observation, path: str) -> None:
    patient = _subject(ctx, data, path)
    row.status = _bound(data.get("status"), rm.ObservationStatus, f"{path}.status")
    row.category = _coding(_first(data.get("category"))).get("code") or ""
    code = _coding(data.get("code"), systems.LOINC)
    row.code_system, row.code = code.get("system") or "", code.get("code") or ""
    row.code_display = (code.get("display") or (data.get("code") or {}).get("text") or "")[:200]
    row.value_kind, row.value_quantity, row.value_unit, row.value_unit_code = rm.ValueKind.NONE, None, "", ""
    row.value_string = row.value_code_system = row.value_code = row.value_code_display = ""
    if "valueQuantity" in data:
        q = data["valueQuantity"]
        row.value_kind, row.value_quantity = rm.ValueKind.QUANTITY, q.get("value")
        row.value_unit, row.value_unit_code = (q.get("unit") or q.get("code") or "")[:40], (q.get("code") or "")[:40]
    elif "valueString" in data:
        row.value_kind, row.value_string = rm.ValueKind.STRING, data["valueString"]
    elif "valueCodeableConcept" in data:
        c = _coding(data["valueCodeableConcept"])
        row.value_kind, row.value_code_system, row.value_code = rm.ValueKind.CODEABLE, c.get("system") or "", \
            c.get("code") or ""
        row.value_code_display = (c.get("display") or data["valueCodeableConcept"].get("text") or "")[:200]
    elif "valueBoolean" in data:
        row.value_kind, row.value_string = rm.ValueKind.BOOLEAN, "true" if data["valueBoolean"] else "false"
    elif "valueInteger" in data:
        row.value_kind, row.value_quantity = rm.ValueKind.INTEGER, float(data["valueInteger"])
    rr = _first(data.get("referenceRange"))
    row.reference_low = (rr.get("low") or {}).get("value")
    row.reference_high = (rr.get("high") or {}).get("value")
    row.reference_text = (rr.get("text") or "")[:200]
    row.interpretation = (_coding(_first(data.get("interpretation"))).get("code") or "")[:8]
    row.effective_at = parse_time(data.get("effectiveDateTime") or (data.get("effectivePeriod") or {}).get("start")
                                  or data.get("effectiveInstant"), f"{path}.effectiveDateTime")
    row.issued = parse_time(data.get("issued"), f"{path}.issued")
    encounter = _row_ref(ctx, data.get("encounter"), "Encounter", f"{path}.encounter")
    based = _row_ref(ctx, _first(data.get("basedOn")) or None, "ServiceRequest", f"{path}.basedOn[0]")
    row.performer_institution_id, row.performer_practitioner_id = _performers(ctx, data.get("performer"),
                                                                              f"{path}.performer")
    row.patient_record_id = patient.id
    row.encounter_id = encounter.id if encounter else None
    row.based_on_id = based.id if based else None
    row.components = data.get("component") or []
    row.custodian_institution_id = _custodian(ctx, row.performer_institution_id,
                                              encounter.institution_id if encounter else None, None) \
        or patient.institution_id
    _check_write(ctx, row.custodian_institution_id, patient, path)


def observation_to_fhir(session: Session, row: rm.Observation, out: dict) -> None:
    out["status"] = str(row.status)
    if row.category:
        cat = _first(out.get("category"))
        out["category"] = [concept(cat, _coding(cat).get("system") or systems.OBS_CATEGORY, row.category, "")
                           or {"coding": [{"system": systems.OBS_CATEGORY, "code": row.category}]},
                           *(out.get("category") or [])[1:]]
    out["code"] = concept(out.get("code"), row.code_system, row.code, row.code_display) or {"text": ""}
    for key in ("valueQuantity", "valueString", "valueCodeableConcept", "valueBoolean", "valueInteger"):
        out.pop(key, None)
    kind = row.value_kind
    if kind == rm.ValueKind.QUANTITY and row.value_quantity is not None:
        q = {"value": row.value_quantity}
        if row.value_unit:
            q["unit"] = row.value_unit
        if row.value_unit_code:
            q.update(system=systems.UCUM, code=row.value_unit_code)
        out["valueQuantity"] = q
    elif kind == rm.ValueKind.STRING:
        out["valueString"] = row.value_string
    elif kind == rm.ValueKind.CODEABLE:
        out["valueCodeableConcept"] = concept(out.get("valueCodeableConcept"), row.value_code_system, row.value_code,
                                              row.value_code_display)
    elif kind == rm.ValueKind.BOOLEAN:
        out["valueBoolean"] = row.value_string == "true"
    elif kind == rm.ValueKind.INTEGER and row.value_quantity is not None:
        out["valueInteger"] = int(row.value_quantity)
    rr: dict = {}
    if row.reference_low is not None:
        rr["low"] = {"value": row.reference_low, **({"unit": row.value_unit} if row.value_unit else {})}
    if row.reference_high is not None:
        rr["high"] = {"value": row.reference_high, **({"unit": row.value_unit} if row.value_unit else {})}
    if row.reference_text:
        rr["text"] = row.reference_text
    _put(out, "referenceRange", [rr] if rr else None)
    _put(out, "interpretation", [{"coding": [{"system": systems.INTERPRETATION, "code": row.interpretation}]}]
         if row.interpretation else None)
    out.pop("effectivePeriod", None)
    out.pop("effectiveInstant", None)
    _put_result_context(session, out, row)
    _put(out, "component", row.components or None)


def report_from_fhir(ctx: Ctx, data: dict, row: rm.DiagnosticReport, path: str) -> list[int]:
    patient = _subject(ctx, data, path)
    row.status = _bound(data.get("status"), rm.ReportStatus, f"{path}.status")
    row.category = _coding(_first(data.get("category"))).get("code") or ""
    code = _coding(data.get("code"), systems.LOINC)
    row.code_system, row.code = code.get("system") or "", code.get("code") or ""
    row.code_display = (code.get("display") or (data.get("code") or {}).get("text") or "")[:200]
    row.conclusion = data.get("conclusion") or ""
    row.conclusion_code = _coding(_first(data.get("conclusionCode"))).get("code") or ""
    row.effective_at = parse_time(data.get("effectiveDateTime") or (data.get("effectivePeriod") or {}).get("start"),
                                  f"{path}.effectiveDateTime")
    row.issued = parse_time(data.get("issued"), f"{path}.issued")
    encounter = _row_ref(ctx, data.get("encounter"), "Encounter", f"{path}.encounter")
    based = _row_ref(ctx, _first(data.get("basedOn")) or None, "ServiceRequest", f"{path}.basedOn[0]")
    row.performer_institution_id, row.performer_practitioner_id = _performers(ctx, data.get("performer"),
                                                                              f"{path}.performer")
    _, row.interpreter_practitioner_id = _performers(ctx, data.get("resultsInterpreter"), f"{path}.resultsInterpreter")
    study = _row_ref(ctx, _first(data.get("imagingStudy")) or None, "ImagingStudy", f"{path}.imagingStudy[0]")
    results = []
    for i, r in enumerate(data.get("result") or []):
        obs = _row_ref(ctx, r, "Observation", f"{path}.result[{i}]")
        if obs.patient_record_id not in _same(ctx, patient.id):
            raise invalid(f"{path}.result[{i}]", "a report's results are about the report's subject")
        results.append(obs.id)
    row.patient_record_id = patient.id
    row.encounter_id = encounter.id if encounter else None
    row.based_on_id = based.id if based else None
    row.imaging_study_id = study.id if study else None
    row.custodian_institution_id = _custodian(ctx, row.performer_institution_id,
                                              encounter.institution_id if encounter else None, None) \
        or patient.institution_id
    _check_write(ctx, row.custodian_institution_id, patient, path)
    return results


def _same(ctx: Ctx, record_id: int) -> set[int]:
    from medshare.records.access import same_person_records
    return set(same_person_records(ctx.session, record_id))


def report_to_fhir(session: Session, row: rm.DiagnosticReport, out: dict) -> None:
    out["status"] = str(row.status)
    if row.category:
        cat = _first(out.get("category"))
        out["category"] = [concept(cat, _coding(cat).get("system") or systems.DR_CATEGORY, row.category, "")
                           or {"coding": [{"system": systems.DR_CATEGORY, "code": row.category}]},
                           *(out.get("category") or [])[1:]]
    out["code"] = concept(out.get("code"), row.code_system, row.code, row.code_display) or {"text": ""}
    _put(out, "conclusion", row.conclusion)
    out.pop("effectivePeriod", None)
    _put_result_context(session, out, row)
    _put(out, "resultsInterpreter", [{"reference": f"Practitioner/{row.interpreter_practitioner_id}"}]
         if row.interpreter_practitioner_id else None)
    displays = {r.get("reference"): r.get("display") for r in out.get("result") or []}
    results = []
    for obs in row.results:
        item = ref("Observation", obs)
        if displays.get(item["reference"]):
            item["display"] = displays[item["reference"]]
        results.append(item)
    _put(out, "result", results or None)
    _put(out, "imagingStudy", [ref("ImagingStudy", session.get(rm.ImagingStudy, row.imaging_study_id))]
         if row.imaging_study_id else None)
    if row.provenance_id:
        prov = session.get(rm.Provenance, row.provenance_id)
        exts = [e for e in out.get("extension") or [] if e.get("url") != PROVENANCE_EXT]
        out["extension"] = [*exts, {"url": PROVENANCE_EXT, "valueReference": ref("Provenance", prov)}]


PROVENANCE_EXT = "http://hl7.org/fhir/StructureDefinition/event-basedOn-provenance"


def imaging_from_fhir(ctx: Ctx, data: dict, row: rm.ImagingStudy, path: str) -> None:
    patient = _subject(ctx, data, path)
    row.status = _bound(data.get("status"), ImagingStatus, f"{path}.status")
    modality = _coding({"coding": data.get("modality") or []})
    row.modality = (modality.get("code") or "")[:16]
    proc = _coding(_first(data.get("procedureCode")))
    row.procedure_code, row.procedure_display = proc.get("code") or "", (proc.get("display") or "")[:200]
    row.description = (data.get("description") or "")[:500]
    row.started = parse_time(data.get("started"), f"{path}.started")
    row.number_of_series, row.number_of_instances = data.get("numberOfSeries"), data.get("numberOfInstances")
    encounter = _row_ref(ctx, data.get("encounter"), "Encounter", f"{path}.encounter")
    based = _row_ref(ctx, _first(data.get("basedOn")) or None, "ServiceRequest", f"{path}.basedOn[0]")
    where = _row_ref(ctx, data.get("location"), "Location", f"{path}.location")
    row.series = data.get("series") or []
    row.patient_record_id = patient.id
    row.encounter_id = encounter.id if encounter else None
    row.based_on_id = based.id if based else None
    row.institution_id = (where.institution_id if where else None) or (encounter.institution_id if encounter
                                                                        else None)
    row.custodian_institution_id = _custodian(ctx, row.institution_id, None) or patient.institution_id
    _check_write(ctx, row.custodian_institution_id, patient, path)


def imaging_to_fhir(session: Session, row: rm.ImagingStudy, out: dict) -> None:
    out["status"] = row.status
    _put(out, "modality", [{"system": systems.DICOM_MODALITY, "code": row.modality}] if row.modality else None)
    out["subject"] = {"reference": f"Patient/{row.patient_record_id}"}
    _put(out, "encounter", ref("Encounter", session.get(rm.Encounter, row.encounter_id)) if row.encounter_id else None)
    _put(out, "started", iso(row.started))
    _put(out, "numberOfSeries", row.number_of_series)
    _put(out, "numberOfInstances", row.number_of_instances)
    _put(out, "description", row.description)
    _put(out, "series", row.series or None)


def consent_from_fhir(ctx: Ctx, data: dict, row: rm.Consent, path: str) -> None:
    patient = _subject(ctx, data, path, key="patient")
    row.status = _bound(data.get("status"), rm.ConsentStatus, f"{path}.status")
    row.scope = _coding(data.get("scope")).get("code") or "patient-privacy"
    row.category = _coding(_first(data.get("category"))).get("code") or "INFA"
    provision = data.get("provision") or {}
    row.provision = provision.get("type") or "permit"
    if row.provision not in ("permit", "deny"):
        raise FhirError.one(422, "code-invalid", f"{path}.provision.type must be permit or deny",
                            f"{path}.provision.type")
    period = provision.get("period") or {}
    row.period_start = parse_time(period.get("start"), f"{path}.provision.period.start")
    row.period_end = parse_time(period.get("end"), f"{path}.provision.period.end")
    row.grantee_institution_id = row.grantee_practitioner_id = None
    for i, actor in enumerate(provision.get("actor") or []):
        found = resolve(ctx, actor.get("reference"), ("Organization", "Practitioner", "PractitionerRole"),
                        f"{path}.provision.actor[{i}].reference")
        inst, prac = _performers(ctx, [actor.get("reference")], f"{path}.provision.actor[{i}].reference") \
            if found else (None, None)
        row.grantee_institution_id = row.grantee_institution_id or (inst if not prac else None)
        row.grantee_practitioner_id = row.grantee_practitioner_id or prac
    row.resource_types = sorted({c.get("code") for c in provision.get("class") or [] if c.get("code")})
    row.date_time = parse_time(data.get("dateTime"), f"{path}.dateTime") or utcnow()
    row.patient_record_id = patient.id
    row.recorded_by_user_id = ctx.principal.user_id
    row.custodian_institution_id = patient.institution_id
    _check_write(ctx, ctx.principal.institution_id or patient.institution_id, patient, path)


def consent_to_fhir(session: Session, row: rm.Consent, out: dict) -> None:
    out["status"] = str(row.status)
    out["scope"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": row.scope}]}
    out["category"] = out.get("category") or [{"coding": [{"system": systems.ACT_CODE, "code": row.category}]}]
    out["patient"] = {"reference": f"Patient/{row.patient_record_id}"}
    out["dateTime"] = iso(row.date_time)
    provision = dict(out.get("provision") or {})
    provision["type"] = row.provision
    period = {k: v for k, v in (("start", iso(row.period_start)), ("end", iso(row.period_end))) if v}
    _put(provision, "period", period or None)
    actors = []
    role = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]}
    if row.grantee_institution_id:
        actors.append({"role": role, "reference": {"reference": f"Organization/{row.grantee_institution_id}"}})
    if row.grantee_practitioner_id:
        actors.append({"role": role, "reference": {"reference": f"Practitioner/{row.grantee_practitioner_id}"}})
    _put(provision, "actor", actors or None)
    _put(provision, "class", [{"system": "http://hl7.org/fhir/resource-types", "code": t}
                              for t in row.resource_types] or None)
    out["provision"] = provision
    out.setdefault("policyRule", {"coding": [{"system": systems.ACT_CODE, "code": "OPTIN"}]})


def location_from_fhir(ctx: Ctx, data: dict, row: rm.Location, path: str) -> None:
    name = (data.get("name") or "").strip()
    if not name:
        raise FhirError.one(422, "required", f"{path}.name: a location needs a name", f"{path}.name")
    row.name, row.status = name[:200], _bound(data.get("status") or "active", LocationStatus, f"{path}.status")
    row.type_code = _coding(_first(data.get("type"))).get("code") or ""
    org = _row_ref(ctx, data.get("managingOrganization"), "Organization", f"{path}.managingOrganization")
    row.institution_id = org.id if org else ctx.principal.institution_id
    row.address = _address_text(data.get("address") or {})[:300]
    pos = data.get("position") or {}
    row.latitude, row.longitude = pos.get("latitude"), pos.get("longitude")
    row.custodian_institution_id = row.institution_id
    _authorize(ctx, Permission.INSTITUTION_UPDATE if ctx.principal.role.value != "practitioner"
               else Permission.RECORDS_WRITE, [row.institution_id], path)


def location_to_fhir(session: Session, row: rm.Location, out: dict) -> None:
    out.update(name=row.name, status=row.status)
    _put(out, "managingOrganization", {"reference": f"Organization/{row.institution_id}"}
         if row.institution_id else None)
    if row.address and _address_text(out.get("address") or {}) != row.address:
        out["address"] = {"text": row.address}
    if row.latitude is not None:
        out["position"] = {"latitude": row.latitude, "longitude": row.longitude}


def provenance_from_fhir(ctx: Ctx, data: dict, row: rm.Provenance, path: str) -> None:
    targets = data.get("target") or []
    resolved = []
    for i, t in enumerate(targets):
        kind, target = resolve(ctx, t, SUPPORTED, f"{path}.target[{i}]", required=True)
        resolved.append((kind, target))
    row.targets = [ref(k, t) for k, t in resolved]
    row.target_type, target = resolved[0] if resolved else ("", None)
    row.target_fhir_id = logical_id(row.target_type, target) if target is not None else ""
    row.recorded = parse_time(data.get("recorded"), f"{path}.recorded") or utcnow()
    row.activity = _coding(data.get("activity")).get("code") or ""
    agent = _first(data.get("agent"))
    row.agent_institution_id, row.agent_practitioner_id = _performers(ctx, [agent.get("who")] if agent else [],
                                                                      f"{path}.agent[0].who")
    sig = _first(data.get("signature"))
    row.signature_type = _coding({"coding": sig.get("type") or []}).get("code") or ""
    row.signature_when = parse_time(sig.get("when"), f"{path}.signature[0].when")
    row.signature_format = sig.get("sigFormat") or ""
    row.signature_data = sig.get("data")
    row.custodian_institution_id = _custodian(ctx, row.agent_institution_id,
                                              getattr(target, "custodian_institution_id", None))
    _authorize(ctx, Permission.RECORDS_WRITE, [row.custodian_institution_id], path)


def provenance_to_fhir(session: Session, row: rm.Provenance, out: dict) -> None:
    out["target"] = row.targets
    out["recorded"] = iso(row.recorded)
    agents = []
    if row.agent_practitioner_id:
        agents.append({"who": {"reference": f"Practitioner/{row.agent_practitioner_id}"}})
    if row.agent_institution_id:
        agents.append({"who": {"reference": f"Organization/{row.agent_institution_id}"}})
    out["agent"] = agents or out.get("agent") or [{"who": {"display": "unknown"}}]
    if row.signature_data is not None:
        sig = dict(_first(out.get("signature")))
        sig.update(when=iso(row.signature_when), data=row.signature_data)
        sig["type"] = sig.get("type") or [{"system": "urn:iso-astm:E1762-95:2013", "code": row.signature_type}]
        sig["who"] = sig.get("who") or (agents[0]["who"] if agents else {"display": "unknown"})
        if row.signature_format:
            sig["sigFormat"] = row.signature_format
        out["signature"] = [sig]


FROM_FHIR = {
    "Encounter": encounter_from_fhir, "ServiceRequest": service_request_from_fhir,
    "Observation": observation_from_fhir, "DiagnosticReport": report_from_fhir,
    "ImagingStudy": imaging_from_fhir, "Consent": consent_from_fhir, "Location": location_from_fhir,
    "Provenance": provenance_from_fhir,
}
TO_FHIR = {
    "Encounter": encounter_to_fhir, "ServiceRequest": service_request_to_fhir,
    "Observation": observation_to_fhir, "DiagnosticReport": report_to_fhir,
    "ImagingStudy": imaging_to_fhir, "Consent": consent_to_fhir, "Location": location_to_fhir,
    "Provenance": provenance_to_fhir,
}


def clinical_to_fhir(session: Session, kind: str, row: rm.FhirResource) -> dict:
    out = dict(row.resource or {})
    out["resourceType"], out["id"] = kind, row.fhir_id
    _meta(out, row.version_id, row.last_updated)
    TO_FHIR[kind](session, row, out)
    return out


def to_fhir(session: Session, kind: str, row: Any) -> dict:
    """The resource a row is served as."""
    if kind in rm.CLINICAL_MODELS:
        return clinical_to_fhir(session, kind, row)
    if kind == "Patient":
        return patient_to_fhir(session, row)
    if kind == "Organization":
        return organization_to_fhir(session, row)
    if kind == "Practitioner":
        return practitioner_to_fhir(session, row)
    if kind == "PractitionerRole":
        return role_to_fhir(session, row)
    if kind == "AuditEvent":
        from medshare.fhir.auditevent import audit_to_fhir
        return audit_to_fhir(session, row)
    raise FhirError.one(404, "not-supported", f"{kind} is not served here")


def patient_of(kind: str, row: Any) -> int | None:
    """The patient record a row is about (None: not patient data)."""
    if kind == "Patient":
        return row.id
    return getattr(row, "patient_record_id", None)


def _put_result_context(session: Session, out: dict, row) -> None:
    """What an Observation and a DiagnosticReport share: when, whose, in which encounter, on which order, by whom."""
    _put(out, "effectiveDateTime", iso(row.effective_at))
    _put(out, "issued", iso(row.issued))
    out["subject"] = {"reference": f"Patient/{row.patient_record_id}"}
    _put(out, "encounter", ref("Encounter", session.get(rm.Encounter, row.encounter_id)) if row.encounter_id else None)
    _put(out, "basedOn", [ref("ServiceRequest", session.get(rm.ServiceRequest, row.based_on_id))]
         if row.based_on_id else None)
    performers = []
    if row.performer_institution_id:
        performers.append({"reference": f"Organization/{row.performer_institution_id}"})
    if row.performer_practitioner_id:
        performers.append({"reference": f"Practitioner/{row.performer_practitioner_id}"})
    _put(out, "performer", performers or None)
