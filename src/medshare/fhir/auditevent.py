"""medshare's audit trail served as FHIR AuditEvent (read-only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from medshare.audit.models import AuditEvent
from medshare.fhir import systems

DICOM_EVENT = "http://dicom.nema.org/resources/ontology/DCM"
REST_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST_SUBTYPE = "http://hl7.org/fhir/restful-interaction"


def _action_code(action: str) -> str:
    """FHIR AuditEvent.action: C create, R read, U update, D delete, E execute."""
    verb = action.rsplit(".", 1)[-1]
    if "read" in verb or verb in ("search", "open"):
        return "R"
    if verb in ("create", "add"):
        return "C"
    if verb in ("delete", "remove", "close"):
        return "D"
    if verb in ("update", "link", "merge", "unmerge"):
        return "U"
    return "E"


def audit_to_fhir(session: Session, event: AuditEvent) -> dict:
    """One audit row as an AuditEvent: who (agent), what (entity), when, why (purposeOfEvent)."""
    from medshare.fhir.mapping import _meta, iso

    details = event.details or {}
    out: dict = {"resourceType": "AuditEvent", "id": str(event.id)}
    _meta(out, 1, event.occurred_at)
    out["type"] = {"system": REST_TYPE, "code": "rest", "display": "RESTful Operation"} \
        if event.channel == "api" else {"system": DICOM_EVENT, "code": "110110", "display": "Patient Record"}
    out["subtype"] = [{"system": "https://medshare.example/fhir/CodeSystem/audit-action", "code": event.action}]
    out["action"] = _action_code(event.action)
    out["recorded"] = iso(event.occurred_at)
    out["outcome"] = "0"
    if details.get("emergency"):
        out["outcomeDesc"] = "emergency access: " + str(details.get("reason", ""))[:200]
    agent: dict = {"requestor": True, "type": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "code": "humanuser"}]}}
    agent["who"] = {"identifier": {"system": "https://medshare.example/fhir/sid/user",
                                   "value": str(event.actor_user_id)}, "display": event.actor_role} \
        if event.actor_user_id is not None else {"display": event.actor_role or "system"}
    agent["role"] = [{"text": event.actor_role or "system"}]
    if event.source_ip:
        agent["network"] = {"address": event.source_ip, "type": "2"}
    purpose = details.get("purpose")
    if purpose:
        agent["purposeOfUse"] = [{"coding": [{"system": systems.PURPOSE_OF_USE, "code": purpose}]}]
        out["purposeOfEvent"] = [{"coding": [{"system": systems.PURPOSE_OF_USE, "code": purpose}]}]
    out["agent"] = [agent]
    out["source"] = {"site": "medshare", "observer": {"display": f"medshare {event.channel or 'internal'}"}}
    if event.institution_id is not None:
        out["source"]["observer"] = {"reference": f"Organization/{event.institution_id}"}
    entities = []
    if event.patient_record_id is not None:
        entities.append({"what": {"reference": f"Patient/{event.patient_record_id}"},
                         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
                         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}})
    ids = details.get("ids") or ([event.object_id] if event.object_id and event.object_id[0].isalnum() else [])
    for key in ids[:50]:
        if event.object_type and event.object_type[0].isupper():
            entities.append({"what": {"reference": f"{event.object_type}/{key}"}})
        else:
            entities.append({"what": {"identifier": {"value": f"{event.object_type}/{key}"}}})
    if details.get("basis"):
        entities.append({"detail": [{"type": "basis", "valueString": str(details["basis"])}]})
    if entities:
        out["entity"] = entities
    return out
