"""Reading another institution's records: refused outside care; allowed in care, by consent, in an emergency."""

from __future__ import annotations

import datetime as dt

import httpx
import sqlalchemy as sa

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.audit.models import AuditEvent
from medshare.db import transaction, utcnow
from medshare.records import access
from medshare.records.models import Encounter, EncounterStatus
from tests import factories as f
from tests.integration.fhir.conftest import bearer, observation


def person_at_both(committed, world) -> tuple[int, int, str]:
    """A new person registered at hospital A and B (linked by ID); their record ids and A's patient token."""
    with transaction(committed) as session:
        birth = dt.date(1962, 7, 1)
        nid = f.national_id(birth, male=True)
        a = f.make_patient(session, world.admin, world.hospital_a, birth_date=birth, national_id=nid, sex="male").id
        b = f.make_patient(session, world.admin, world.hospital_b, birth_date=birth, national_id=nid, sex="male").id
        token = f.token_for(session, f.make_user(session, Role.PATIENT, patient_record_id=a))
    return a, b, token


def result_at_a(client_a, record_a) -> str:
    response = client_a.post("/fhir/Observation", json=observation(f"Patient/{record_a}"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def events(committed, action: str, record: int) -> list[AuditEvent]:
    with committed() as session:
        return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action,
                                                                AuditEvent.patient_record_id == record)))


def test_outside_a_care_relationship_a_read_is_refused_and_audited(live_server, world, committed):
    record_a, record_b, _ = person_at_both(committed, world)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as a, \
            httpx.Client(base_url=live_server.url, headers=bearer(world.token_b), timeout=30) as b:
        obs = result_at_a(a, record_a)
        refused = b.get(f"/fhir/Observation/{obs}")
        assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
        assert "care relationship" in refused.json()["issue"][0]["diagnostics"]
        search = b.get("/fhir/Observation", params={"patient": f"Patient/{record_b}"}).json()
        assert not [e for e in search["entry"] if e["search"]["mode"] == "match"]
        assert search["entry"][-1]["search"]["mode"] == "outcome"  # says what was withheld
        assert a.get(f"/fhir/Observation/{obs}").status_code == 200  # the own institution reads freely
    assert events(committed, "records.read-refused", record_a)


def test_a_visit_at_the_readers_institution_opens_the_record_and_the_read_is_audited(live_server, world, committed):
    record_a, record_b, _ = person_at_both(committed, world)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as a, \
            httpx.Client(base_url=live_server.url, headers=bearer(world.token_b), timeout=30) as b:
        obs = result_at_a(a, record_a)
        assert b.get(f"/fhir/Observation/{obs}").status_code == 403
        visit = {"resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
                 "subject": {"reference": f"Patient/{record_b}"},
                 "serviceProvider": {"reference": f"Organization/{world.hospital_b}"},
                 "period": {"start": utcnow().isoformat()}}
        assert b.post("/fhir/Encounter", json=visit).status_code == 201
        read = b.get(f"/fhir/Observation/{obs}", headers={"X-Purpose-Of-Use": "TREAT"})
        assert read.status_code == 200
        shared = b.get("/fhir/Observation", params={"patient": f"Patient/{record_b}"}).json()
        assert obs in {e["resource"]["id"] for e in shared["entry"]}
    reads = events(committed, "records.read", record_a)
    assert reads and reads[-1].details["basis"] == "care:encounter" and reads[-1].details["purpose"] == "TREAT"


def test_an_old_visit_is_outside_the_policy_window(committed, world):
    record_a, record_b, _ = person_at_both(committed, world)
    with transaction(committed) as session:
        long_ago = utcnow() - dt.timedelta(days=access.CARE_WINDOW_DAYS + 30)
        session.add(Encounter(status=EncounterStatus.FINISHED, patient_record_id=record_b,
                              institution_id=world.hospital_b, period_start=long_ago, period_end=long_ago,
                              custodian_institution_id=world.hospital_b))
        session.flush()
        person = access.person_of_record(session, record_a)
        assert access.care_relationship(session, access.CareActor(world.hospital_b), person) is None
        assert access.care_relationship(session, access.CareActor(world.hospital_b), person,
                                        at=long_ago + dt.timedelta(days=1)) == "encounter"


def test_a_registered_care_source_counts_like_a_visit(committed, world):
    record_a, record_b, _ = person_at_both(committed, world)
    from medshare.identity.models import PersonLink

    def referrals(actor, since, until):
        return sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == record_b,
                                                     sa.literal(actor.institution_id) == world.hospital_b)

    access.register_care_source("test-referral", referrals)
    try:
        with committed() as session:
            person = access.person_of_record(session, record_a)
            assert access.care_relationship(session, access.CareActor(world.hospital_b), person) == "test-referral"
    finally:
        access._SOURCES.pop("test-referral")


def test_the_patients_consent_opens_the_record_and_a_deny_closes_it(live_server, world, committed):
    record_a, _, patient_token = person_at_both(committed, world)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as a, \
            httpx.Client(base_url=live_server.url, headers=bearer(world.token_b), timeout=30) as b, \
            httpx.Client(base_url=live_server.url, headers=bearer(patient_token), timeout=30) as patient:
        obs = result_at_a(a, record_a)
        consent = {"resourceType": "Consent", "status": "active",
                   "scope": {"coding": [{"code": "patient-privacy"}]},
                   "category": [{"coding": [{"code": "INFA"}]}], "patient": {"reference": f"Patient/{record_a}"},
                   "provision": {"type": "permit", "actor": [{"role": {"coding": [{"code": "IRCP"}]},
                                                              "reference": {"reference":
                                                                            f"Organization/{world.hospital_b}"}}]}}
        created = patient.post("/fhir/Consent", json=consent)
        assert created.status_code == 201, created.text
        assert b.get(f"/fhir/Observation/{obs}").status_code == 200
        consent = created.json()
        consent["provision"]["type"] = "deny"
        assert patient.put(f"/fhir/Consent/{consent['id']}", json=consent).status_code == 200
        assert b.get(f"/fhir/Observation/{obs}").status_code == 403
    reads = events(committed, "records.read", record_a)
    assert any(e.details["basis"] == "consent" for e in reads)


def test_emergency_access_with_a_reason_is_allowed_flagged_and_shown_to_the_patient(live_server, world, committed):
    record_a, _, patient_token = person_at_both(committed, world)
    with httpx.Client(base_url=live_server.url, headers=bearer(world.token_a), timeout=30) as a, \
            httpx.Client(base_url=live_server.url, headers=bearer(world.token_b), timeout=30) as b, \
            httpx.Client(base_url=live_server.url, headers=bearer(patient_token), timeout=30) as patient:
        obs = result_at_a(a, record_a)
        assert b.get(f"/fhir/Observation/{obs}", params={"_emergency": "  "}).status_code == 403
        read = b.get(f"/fhir/Observation/{obs}", headers={"X-Emergency-Reason": "unconscious after a road accident"})
        assert read.status_code == 200
        log = patient.get("/fhir/AuditEvent", params={"patient": f"Patient/{record_a}"}).json()
        emergency = [e["resource"] for e in log["entry"]
                     if e["resource"]["subtype"][0]["code"] == "records.emergency-read"]
        assert emergency and "road accident" in emergency[0]["outcomeDesc"]
        assert emergency[0]["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
        api = patient.get("/api/v1/records/access-log")
        assert api.status_code == 200
        assert any(item["emergency"] and item["reader_institution"] for item in api.json()["items"])
        # The reader does not get to read the trail about it.
        assert b.get("/fhir/AuditEvent", params={"patient": f"Patient/{record_a}"}).status_code == 403
    flagged = events(committed, "records.emergency-read", record_a)
    assert flagged and flagged[0].details["emergency"] is True


def test_smart_scopes_narrow_a_token(live_server, world, committed):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        narrowed = client.post("/fhir/auth/token", headers={"Authorization": f"Bearer {world.token_a}"},
                               data={"scope": "user/Observation.rs system/Encounter.cruds"})
        assert narrowed.status_code == 200, narrowed.text
        token = narrowed.json()["access_token"]
        assert narrowed.json()["scope"] == "user/Observation.rs system/Encounter.cruds"
        headers = bearer(token)
        assert client.get("/fhir/Observation", params={"patient": world.patient_a}, headers=headers).status_code == 200
        refused = client.post("/fhir/Observation", json=observation(f"Patient/{world.patient_a}"), headers=headers)
        assert refused.status_code == 403 and "scopes" in refused.json()["issue"][0]["diagnostics"]
        assert client.get(f"/fhir/Patient/{world.patient_a}", headers=headers).status_code == 403
        wider = client.post("/fhir/auth/token", headers={"Authorization": f"Bearer {token}"},
                            data={"scope": "user/*.cruds"})
        assert wider.status_code == 400  # a token never widens its own scopes
    with committed() as session:
        assert accounts.user_for_token(session, token, accounts.TokenKind.API) is not None


def test_a_booking_of_shared_equipment_is_a_care_relationship_for_requester_and_owner(session, world):
    from medshare.assets import booking as bookings
    from medshare.assets import service as assets
    from medshare.assets.schemas import BookingIn
    from tests.integration.assets.data import ALL_DAY, local_hour, mri_in

    birth = dt.date(1949, 9, 9)
    nid = f.national_id(birth, male=True)
    record_a = f.make_patient(session, world.admin, world.hospital_a, birth_date=birth, national_id=nid, sex="male")
    record_b = f.make_patient(session, world.admin, world.hospital_b, birth_date=birth, national_id=nid, sex="male")
    owner = f.make_institution(session, world.admin)
    person = access.person_of_record(session, record_a.id)
    requester = access.CareActor(world.hospital_b)
    assert access.care_relationship(session, requester, person) is None
    admin_b = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=world.hospital_b))
    admin_owner = accounts.principal_of(f.make_user(session, Role.INSTITUTION_ADMIN, institution_id=owner.id))
    mri = assets.create_asset(session, admin_owner, mri_in(owner.id, hours=ALL_DAY))
    bookings.book(session, admin_b, BookingIn(asset_id=mri.id, exam_code="MRI-HEAD", starts_at=local_hour(2, 9),
                                              patient_record_id=record_b.id))
    assert access.care_relationship(session, requester, person) == "booking"  # it asked for the exam
    assert access.care_relationship(session, access.CareActor(owner.id), person) == "booking"  # it does the exam
    assert access.care_relationship(session, access.CareActor(world.hospital_b), person,
                                    at=utcnow() + dt.timedelta(days=access.CARE_WINDOW_DAYS + 10)) is None
