"""The demo region's mutual recognition and signatures: catalogue, accreditation, certificates, history.

* The default catalogue (published provincial windows, documented region defaults).
* Accreditation (the HR mark): like Zhejiang's lists, most grade-2 and grade-3 hospitals and
  third-party labs passed the provincial quality control (EQA) for the common lab items (90 %
  of such pairs), hospitals with CT for the imaging items (85 %), primary care for a few basic
  items (30 %); each for a year from a date in the last ten months.
* The platform CA and a certificate (platform-held key) for every active doctor, and the
  chest-CT reports of the last 30 days signed by their interpreting radiologist.
* Three months of order-time checks at the institutions where the records extension's
  patients are seen: each order is judged against the results then on record, accepted when a
  result was recognisable (about three in four, as in published Zhejiang figures), otherwise
  repeated with a reason or ordered new; one order in ten placed without a look-up, so the
  dashboard has overlooked orders to show.
Deterministic from the region's seed; bulk inserts only.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.pki import keys
from medshare.pki import service as pki
from medshare.pki.models import Certificate, CertificateStatus, Signature, SignatureMode
from medshare.pki.reports import DOCUMENT_TYPE, payload
from medshare.recognition import rules
from medshare.recognition import service as recognition
from medshare.recognition.models import Accreditation, Decision, RecognitionCheck, RepeatReason
from medshare.records import models as rm
from medshare.registry.models import Institution, Practitioner
from medshare.settings import get_settings

LAB_ACCREDITED = {"tertiary_hospital", "secondary_hospital", "third_party_lab"}
CT_ACCREDITED = {"tertiary_hospital", "secondary_hospital", "imaging_centre"}
PRIMARY = {"primary_hospital", "community_health_centre", "township_health_centre"}
BASIC_ITEMS = {"2823-3", "2951-2", "2075-0", "2345-7", "58410-2"}
ORDERS = {"small": 400, "city": 3_000, "province": 6_000}
SIGNED_REPORT_DAYS = 30
MAX_SIGNED = {"small": 60, "city": 300, "province": 600}
ACCEPT_SHARE = 0.75
OVERLOOKED_SHARE = 0.10
REASON_WEIGHTS = {RepeatReason.CONDITION_CHANGED: 30, RepeatReason.CRITICAL_DECISION: 20,
                  RepeatReason.EMERGENCY: 15, RepeatReason.PATIENT_REQUEST: 15, RepeatReason.FAST_CHANGING: 10,
                  RepeatReason.QUALITY_DOUBT: 7, RepeatReason.FORENSIC: 3}


def _accredit(session: Session, rng: random.Random, today: dt.date) -> int:
    items = recognition.list_items(session)
    rows = []
    for institution_id, kind, grade in session.execute(sa.select(Institution.id, Institution.type,
                                                                 Institution.grade_level)):
        kind = getattr(kind, "value", kind)
        for item in items:
            exam = item.category.value == "exam"
            if exam:
                share = 0.85 if kind in CT_ACCREDITED and item.code.startswith(("CT-", "DR-", "US-", "MR-")) else 0
                if item.code.startswith("MR-") and kind != "tertiary_hospital":
                    share = 0
            elif kind in LAB_ACCREDITED or (grade or 0) >= 2:
                share = 0.9
            elif kind in PRIMARY and item.code in BASIC_ITEMS:
                share = 0.3
            else:
                share = 0
            if share and rng.random() < share:
                passed = today - dt.timedelta(days=rng.randint(20, 300))
                rows.append({"institution_id": institution_id, "item_id": item.id, "passed_on": passed,
                             "valid_until": passed + dt.timedelta(days=365), "scheme": "省临床检验中心室间质评"
                             if not exam else "省医学影像质控中心", "withdrawn": False})
    if rows:
        session.execute(sa.insert(Accreditation), rows)
    return len(rows)


def _certificates(session: Session, now: dt.datetime, secret: str) -> dict[int, tuple[int, object]]:
    """A certificate with a platform-held key for every active doctor: practitioner id -> (certificate id, key)."""
    authority = pki.ensure_authority(session, secret=secret, now=now - dt.timedelta(days=730))
    ca_key = keys.decrypt_key(authority.encrypted_key_pem, secret, pki.CA_PURPOSE)
    ca_cert = keys.load_certificate(authority.certificate_pem)
    names = dict(session.execute(sa.select(Institution.id, Institution.name)).all())
    held = set(session.scalars(sa.select(Certificate.practitioner_id)))
    doctors = session.execute(sa.select(Practitioner.id, Practitioner.name, Practitioner.licence_number,
                                        Practitioner.primary_institution_id, Practitioner.profession)
                              .where(Practitioner.active.is_(True), Practitioner.profession == "doctor")
                              .order_by(Practitioner.id)).all()
    rows, signer_keys = [], {}
    for p in doctors:
        if p.id in held:
            continue
        key = keys.new_key()
        subject = keys.Subject(p.name, p.licence_number, names.get(p.primary_institution_id, ""), "doctor")
        # Issued a year ago for two years, so the history's signatures fall inside the validity.
        issued = now - dt.timedelta(days=365)
        cert = keys.issue(ca_key, ca_cert, key.public_key(), subject, issued, issued + dt.timedelta(days=730))
        rows.append({"authority_id": authority.id, "practitioner_id": p.id, "serial_number": keys.serial_hex(cert),
                     "subject": cert.subject.rfc4514_string(), "certificate_pem": keys.pem(cert),
                     "encrypted_key_pem": keys.encrypt_key(key, secret, pki.SIGNER_PURPOSE),
                     "not_before": cert.not_valid_before_utc, "not_after": cert.not_valid_after_utc,
                     "status": CertificateStatus.ACTIVE.value, "created_at": issued})
        signer_keys[p.id] = key
    if not rows:
        return {}
    ids = session.execute(sa.insert(Certificate).returning(Certificate.id, sort_by_parameter_order=True),
                          rows).scalars().all()
    return {row["practitioner_id"]: (cid, signer_keys[row["practitioner_id"]]) for cid, row in zip(ids, rows,
                                                                                                     strict=True)}


def _sign_recent_reports(session: Session, issued: dict, now: dt.datetime, limit: int) -> int:
    """The last month's chest-CT reports, signed by their interpreting radiologist, with a Provenance each."""
    reports = session.scalars(sa.select(rm.DiagnosticReport).where(
        rm.DiagnosticReport.code == "CT-CHEST-PLAIN", rm.DiagnosticReport.status == "final",
        rm.DiagnosticReport.provenance_id.is_(None),
        rm.DiagnosticReport.interpreter_practitioner_id.in_(list(issued)),
        rm.DiagnosticReport.effective_at >= now - dt.timedelta(days=SIGNED_REPORT_DAYS))
        .order_by(rm.DiagnosticReport.id).limit(limit)).all()
    for report in reports:
        certificate_id, key = issued[report.interpreter_practitioner_id]
        data = payload(session, report)
        at = min(now, (report.issued or report.effective_at) + dt.timedelta(minutes=20))
        signature = Signature(certificate_id=certificate_id, practitioner_id=report.interpreter_practitioner_id,
                              document_type=DOCUMENT_TYPE, document_id=report.fhir_id, digest_sha256=keys.digest(data),
                              algorithm=keys.ALGORITHM, signature_b64=keys.sign(key, data), mode=SignatureMode.SERVER,
                              signed_at=at)
        provenance = rm.Provenance(
            target_type=DOCUMENT_TYPE, target_fhir_id=report.fhir_id, target_version_id=report.version_id,
            targets=[{"reference": f"DiagnosticReport/{report.fhir_id}"}], recorded=at, activity="sign",
            agent_practitioner_id=report.interpreter_practitioner_id,
            agent_institution_id=report.performer_institution_id, signature_type="1.2.840.10065.1.12.1.1",
            signature_when=at, signature_format="application/jose", signature_data=signature.signature_b64,
            custodian_institution_id=report.custodian_institution_id, resource={"resourceType": "Provenance"})
        session.add_all([signature, provenance])
        session.flush()
        report.provenance_id = provenance.id
    session.flush()
    return len(reports)


def _orders(session: Session, rng: random.Random, now: dt.datetime, wanted: int, items: dict) -> list[tuple]:
    """(record, institution, item, when) of later orders at another of the person's institutions after a result,
    some inside the item's window and some after it, as patients move between institutions."""
    from medshare.identity.models import PatientRecord, PersonLink

    person_of: dict[int, int] = {}
    records: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for record, institution, person in session.execute(
            sa.select(PatientRecord.id, PatientRecord.institution_id, PersonLink.person_id)
            .join(PersonLink, PersonLink.patient_record_id == PatientRecord.id)):
        person_of[record] = person
        records[person].append((record, institution))
    results = []
    for model, codes in ((rm.Observation, [c for c, i in items.items() if i.result_kind.value == "Observation"]),
                         (rm.DiagnosticReport, [c for c, i in items.items() if i.result_kind.value != "Observation"])):
        results += session.execute(sa.select(model.code, model.patient_record_id, model.effective_at,
                                             model.performer_institution_id)
                                   .where(model.code.in_(codes), model.effective_at.is_not(None))
                                   .order_by(model.id)).all()
    rng.shuffle(results)
    out = []
    for code, record, made, performer in results:
        if len(out) >= wanted:
            break
        elsewhere = [(r, i) for r, i in records.get(person_of.get(record), []) if i != performer]
        if not elsewhere:
            continue
        item = items[code]
        when = made + dt.timedelta(days=rng.uniform(0.2, 1.6 * item.validity_days))
        if when >= now:
            continue
        order_record, institution = rng.choice(elsewhere)
        out.append((order_record, institution, item, when, [r for r, _ in records[person_of[record]]]))
    return out


def _history(session: Session, rng: random.Random, now: dt.datetime, orders: int) -> tuple[list, list]:
    """Order-time checks and decisions as patients move between institutions; some orders placed without looking."""
    items = {i.code: i for i in recognition.list_items(session)}
    tz = recognition.region_tz()
    doctors: dict[int, list[int]] = defaultdict(list)
    for pid, institution in session.execute(sa.select(Practitioner.id, Practitioner.primary_institution_id)
                                            .where(Practitioner.profession == "doctor")):
        doctors[institution].append(pid)
    checks, overlooked = [], []
    policy, site_cache = recognition.scope(session), {}
    for record, institution, item, at, same_person in _orders(session, rng, now, orders, items):
        doctor = rng.choice(doctors[institution]) if doctors.get(institution) else None
        found = recognition.candidates(session, item, record, institution, now=at, records=same_person,
                                       policy=policy, site_cache=site_cache)
        if rng.random() < OVERLOOKED_SHARE:
            overlooked.append({"status": "active", "intent": "order", "category": "laboratory"
                               if item.category.value == "lab" else "imaging", "code_system": item.code_system,
                               "code": item.code, "code_display": item.name, "patient_record_id": record,
                               "requester_practitioner_id": doctor, "requester_institution_id": institution,
                               "authored_on": at, "custodian_institution_id": institution, "last_updated": at,
                               "fhir_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "resource": {}})
            continue
        recognisable = [c for c in found if c.recognisable]
        row = {"item_id": item.id, "patient_record_id": record, "person_id": None, "institution_id": institution,
               "practitioner_id": doctor, "user_id": None, "checked_at": at, "month": rules.month_of(at, tz),
               "candidates": [c.as_dict(at) for c in found], "recognisable_count": len(recognisable),
               "decided_at": at + dt.timedelta(minutes=rng.randint(1, 10)), "fee_fen": item.fee_fen,
               "repeat_note": "", "decision": Decision.NEW.value, "repeat_reason": None,
               "accepted_kind": None, "accepted_id": None, "accepted_institution_id": None}
        if recognisable and rng.random() < ACCEPT_SHARE:
            chosen = recognisable[0]
            row |= {"decision": Decision.ACCEPTED.value, "accepted_kind": chosen.kind, "accepted_id": chosen.id,
                    "accepted_institution_id": chosen.institution_id}
        elif recognisable:
            reason = rng.choices(list(REASON_WEIGHTS), weights=list(REASON_WEIGHTS.values()))[0]
            row |= {"decision": Decision.REPEATED.value, "repeat_reason": reason.value}
        checks.append(row)
    return checks, overlooked


def extend(session: Session, context) -> dict[str, int]:
    """Catalogue, accreditation, certificates and signed CT reports, and three months of recognition history."""
    region = context.region
    rng = random.Random(f"{region.seed}:recognition")
    now = dt.datetime.combine(region.today, dt.time(10), dt.UTC)
    items = recognition.ensure_catalogue(session)
    accredited = _accredit(session, rng, region.today)
    issued = _certificates(session, now, get_settings().resolved_secret_key())
    signed = _sign_recent_reports(session, issued, now, MAX_SIGNED.get(region.scale, 60))
    checks, overlooked = _history(session, rng, now, ORDERS.get(region.scale, 400))
    if checks:
        from medshare.identity.models import PersonLink

        links = dict(session.execute(sa.select(PersonLink.patient_record_id, PersonLink.person_id)).all())
        user = _demo_user(session)
        for row in checks:
            row["person_id"] = links.get(row["patient_record_id"])
            row["user_id"] = user
        checks = [r for r in checks if r["user_id"] is not None]
        if checks:
            session.execute(sa.insert(RecognitionCheck), checks)
    if overlooked:
        session.execute(sa.insert(rm.ServiceRequest), overlooked)
    counts = defaultdict(int)
    for row in checks:
        counts[row["decision"]] += 1
    return {"recognition items": items, "accreditations": accredited, "certificates": len(issued),
            "signed reports": signed, "recognition checks": len(checks),
            "recognitions": counts[Decision.ACCEPTED.value], "orders without look-up": len(overlooked)}


def _demo_user(session: Session) -> int | None:
    """The account the history's checks are recorded under (the platform admin of the demo)."""
    from medshare.accounts.models import User

    return session.scalar(sa.select(User.id).order_by(User.id).limit(1))
