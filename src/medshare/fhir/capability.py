"""The CapabilityStatement and SMART configuration, generated from what is implemented."""

from __future__ import annotations

from medshare import __version__
from medshare.fhir import mapping, search

PARAM_TYPES = {"_id": "token", "_lastUpdated": "date", "identifier": "token", "patient": "reference",
               "subject": "reference", "code": "token", "category": "token", "status": "token", "date": "date",
               "issued": "date", "encounter": "reference", "performer": "reference", "based-on": "reference",
               "result": "reference", "class": "token", "type": "token", "service-provider": "reference",
               "practitioner": "reference", "participant": "reference", "authored": "date",
               "requester": "reference", "intent": "token", "modality": "token", "started": "date",
               "actor": "reference", "name": "string", "family": "string", "organization": "reference",
               "target": "reference", "agent": "reference", "recorded": "date", "birthdate": "date",
               "gender": "token", "active": "token", "subtype": "token", "entity-type": "token"}
VERIFY_DEFINITION = "https://medshare.example/fhir/OperationDefinition/DiagnosticReport-verify"
SCOPE_EXAMPLES = ["system/*.rs", "user/*.cruds", "user/Observation.r", "patient/*.rs"]


def statement(base: str) -> dict:
    """A truthful CapabilityStatement: the types, interactions, search parameters and includes served."""
    resources = []
    for kind in mapping.SUPPORTED:
        interactions = ["read", "vread", "history-instance", "search-type"]
        if kind not in mapping.READ_ONLY:
            interactions += ["create", "update"]
        entry = {
            "type": kind,
            "interaction": [{"code": c} for c in interactions],
            "versioning": "versioned",
            "readHistory": True,
            "updateCreate": kind in mapping.CLINICAL,
            "searchParam": [{"name": name, "type": PARAM_TYPES.get(name, "token")}
                            for name in search.PARAMS.get(kind, {})],
        }
        entry["searchParam"] += [{"name": n, "type": "number"} for n in ("_count", "_offset")]
        entry["searchParam"].append({"name": "_summary", "type": "token",
                                     "documentation": "count only"})
        if search.SORTS.get(kind):
            entry["searchParam"].append({"name": "_sort", "type": "string", "documentation": "by " + ", ".join(
                search.SORTS[kind]) + " (a leading - for descending)"})
        includes = list(search.INCLUDES.get(kind, {}))
        if includes:
            entry["searchInclude"] = includes
        if kind == "Patient":
            entry["operation"] = [{"name": "match",
                                   "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match"}]
        if kind == "DiagnosticReport":
            entry["operation"] = [{"name": "verify", "definition": VERIFY_DEFINITION,
                                   "documentation": "GET or POST [base]/DiagnosticReport/[id]/$verify: the report as "
                                                    "it is now against its author's signature"}]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-23",
        "kind": "instance",
        "software": {"name": "medshare", "version": __version__},
        "implementation": {"description": "medshare shared record", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Reads of patient data beyond the reader's institution need a care relationship, the "
                             "patient's Consent, or an emergency reason (X-Emergency-Reason); every read is audited "
                             "and served as AuditEvent.",
            "security": {
                "cors": False,
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "SMART-on-FHIR"}]}],
                "description": "Bearer tokens of medshare accounts, narrowed by SMART scopes "
                               f"(e.g. {', '.join(SCOPE_EXAMPLES)}) at {base}/auth/token.",
            },
            "resource": resources,
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
        }],
    }


def smart_configuration(base: str) -> dict:
    return {
        "issuer": base,
        "token_endpoint": f"{base}/auth/token",
        "token_endpoint_auth_methods_supported": ["bearer"],  # the caller's own medshare token
        "grant_types_supported": ["urn:ietf:params:oauth:grant-type:token-exchange"],
        "scopes_supported": [*SCOPE_EXAMPLES, "system/*.cruds", "user/*.rs"],
        "capabilities": ["permission-v2", "permission-v1"],
        "code_challenge_methods_supported": [],
    }


def verification_parameters(session, result) -> dict:
    """A report's $verify answer as a Parameters resource: outcome, valid, reasons, signer, certificate, times."""
    from medshare.fhir.mapping import iso
    from medshare.records.models import Provenance

    checked = result.verification
    params = [{"name": "outcome", "valueCode": result.outcome.value},
              {"name": "valid", "valueBoolean": result.outcome.value == "valid"},
              *[{"name": "reason", "valueString": r} for r in result.reasons]]
    if checked is not None:
        signer = {"reference": f"Practitioner/{checked.signature.practitioner_id}"}
        params += [{"name": "signer", "valueReference": signer},
                   {"name": "signedAt", "valueInstant": iso(checked.signature.signed_at)},
                   {"name": "certificateSerial", "valueString": checked.certificate.serial_number},
                   {"name": "certificateStatus", "valueCode": checked.certificate.status.value},
                   {"name": "checkedAt", "valueInstant": iso(checked.checked_at)}]
    provenance = session.get(Provenance, result.report.provenance_id) if result.report.provenance_id else None
    if provenance is not None:
        params.append({"name": "provenance", "valueReference": {"reference": f"Provenance/{provenance.fhir_id}"}})
    return {"resourceType": "Parameters", "parameter": params}
