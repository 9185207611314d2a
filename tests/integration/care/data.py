"""Hospital A's referrals in every state, teleconsultations, a primary-care team's contracts and follow-ups, and
night-care shifts and requests, for the API's authorisation table."""

from __future__ import annotations

import datetime as dt

from medshare.accounts.models import Role
from medshare.care import family, nightcare, referrals, teleconsults
from medshare.care.models import NightRequestStatus
from medshare.care.rules import TeleconsultStatus
from medshare.care.schemas import ContractIn, NightRequestIn, ReferralIn, ShiftIn, TeamIn, TeleconsultIn
from medshare.db import transaction, utcnow
from medshare.pki import service as pki
from tests import factories as f
from tests.factories import SECRET_KEY
from tests.integration.care.conftest import principal

# A night far ahead and of its own, so these shifts never meet another test's.
NIGHT = dt.datetime(2031, 3, 3, 12, tzinfo=dt.UTC)


def add_care(committed, w):
    """A tertiary hospital above A, a community centre below it with a team, and A's care objects in every state."""
    with transaction(committed) as session:
        admin = principal(session, Role.PLATFORM_ADMIN)
        admin_a = principal(session, Role.INSTITUTION_ADMIN, w.hospital_a)
        doctor_a = principal(session, Role.PRACTITIONER, w.hospital_a, w.practitioner_a)
        tertiary = f.make_institution(session, admin, type="tertiary_hospital", grade_level=3).id
        centre = f.make_institution(session, admin, type="community_health_centre", grade_level=1,
                                    grade_class=None).id
        centre_admin = principal(session, Role.INSTITUTION_ADMIN, centre)
        w.care_tertiary, w.care_centre = tertiary, centre
        w.care_gp = f.make_practitioner(session, admin, centre, specialty="全科").id
        w.care_team = family.create_team(session, admin, TeamIn(institution_id=centre, name="团队",
                                                                leader_id=w.care_gp)).id
        w.care_resident = f.make_patient(session, admin, centre).id
        renewable = family.create_contract(session, admin, ContractIn(
            team_id=w.care_team, patient_record_id=f.make_patient(session, admin, centre).id,
            conditions=["hypertension"], starts_on=utcnow().date() - dt.timedelta(days=330)))
        w.care_contract = renewable.id
        w.care_follow_up = session.scalars(sa_follow_ups(renewable.id)).first().id

        def draft(by, record, to):
            return referrals.create_referral(session, by, ReferralIn(
                patient_record_id=record, condition="hypertension", to_institution_id=to,
                observations={"uncontrolled_follow_ups": 2}))

        w.referral_draft = draft(doctor_a, w.referred_patient, tertiary).id
        w.referral_to_send = draft(doctor_a, w.referred_patient, tertiary).id
        w.referral_to_cancel = draft(doctor_a, w.referred_patient, tertiary).id
        centre_patient = f.make_patient(session, admin, centre).id
        inbound = {}
        for name, steps in [("accept", []), ("decline", []), ("arrive", ["accept"]),
                            ("complete", ["accept", "arrive"]), ("down_refer", ["accept", "arrive", "complete"])]:
            referral = draft(centre_admin, centre_patient, w.hospital_a)
            referrals.transition(session, centre_admin, referral, "send")
            for step in steps:
                referrals.transition(session, admin_a, referral, step)
            inbound[name] = referral.id
        w.referral_inbound = inbound

        tc_in = TeleconsultIn(patient_record_id=w.referred_patient, specialty="心内科", case_summary="ECG attached")
        w.tc_cancel = teleconsults.request_teleconsult(session, admin_a, tc_in).id
        answer = teleconsults.request_teleconsult(session, admin_a, tc_in)
        answer.specialist_id, answer.specialist_institution_id = w.practitioner_a, w.hospital_a
        answer.status = TeleconsultStatus.SCHEDULED
        answer.starts_at, answer.ends_at = NIGHT - dt.timedelta(days=30), NIGHT - dt.timedelta(days=30, minutes=-30)
        w.tc_answer = answer.id
        pki.issue_certificate(session, None, w.practitioner_a, secret=SECRET_KEY)

        other = f.make_practitioner(session, admin, w.hospital_a, specialty="全科").id
        w.shift_cancel = nightcare.add_shift(session, admin_a, ShiftIn(
            practitioner_id=other, institution_id=w.hospital_a, starts_at=NIGHT, ends_at=NIGHT
            + dt.timedelta(hours=12))).id
        w.night_requests = {}
        for name in ("message", "close", "escalate"):
            request = nightcare.create_request(session, admin_a, NightRequestIn(
                patient_record_id=w.referred_patient, complaint="fever"))
            request.practitioner_id, request.status = w.practitioner_a, NightRequestStatus.ASSIGNED
            w.night_requests[name] = request.id
    return w


def sa_follow_ups(contract_id: int):
    import sqlalchemy as sa

    from medshare.care.models import FollowUp

    return sa.select(FollowUp).where(FollowUp.contract_id == contract_id, FollowUp.done_at.is_(None))


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The tiered-care API's write routes aimed at hospital A's objects (and a community centre's team)."""
    r, i = "/api/v1/referrals", w.referral_inbound
    nr = "/api/v1/night-requests"
    policy = {"name": "Test condition", "specialty": "心内科", "follow_up_days": 30, "criteria": [
        {"code": "t-up", "direction": "up", "urgency": "urgent", "text": "BP ≥ 200",
         "test": {"field": "systolic_bp", "op": ">=", "value": 200}}]}
    return {
        ("PUT", "/api/v1/referral-policies/{condition}"): (f"/api/v1/referral-policies/{f.unique('cond')[:30]}",
                                                          policy),
        ("POST", r): (r, {"patient_record_id": w.referred_patient, "condition": "hypertension",
                          "to_institution_id": w.care_tertiary, "observations": {"systolic_bp": 186,
                                                                                 "diastolic_bp": 112,
                                                                                 "chest_pain": True}}),
        ("PATCH", r + "/{referral_id}"): (f"{r}/{w.referral_draft}", {"summary": "BP 160/100 twice"}),
        ("POST", r + "/{referral_id}/send"): (f"{r}/{w.referral_to_send}/send", None),
        ("POST", r + "/{referral_id}/cancel"): (f"{r}/{w.referral_to_cancel}/cancel", {"note": "patient declined"}),
        ("POST", r + "/{referral_id}/accept"): (f"{r}/{i['accept']}/accept", None),
        ("POST", r + "/{referral_id}/decline"): (f"{r}/{i['decline']}/decline", {"reason": "no bed"}),
        ("POST", r + "/{referral_id}/arrive"): (f"{r}/{i['arrive']}/arrive", None),
        ("POST", r + "/{referral_id}/complete"): (f"{r}/{i['complete']}/complete", None),
        ("POST", r + "/{referral_id}/down-refer"): (f"{r}/{i['down_refer']}/down-refer", {
            "summary": "BP controlled on amlodipine", "primary_team_id": w.care_team}),
        ("POST", "/api/v1/teleconsults"): ("/api/v1/teleconsults", {
            "patient_record_id": w.referred_patient, "specialty": "心内科", "case_summary": "syncope twice"}),
        ("POST", "/api/v1/teleconsults/{teleconsult_id}/opinion"): (f"/api/v1/teleconsults/{w.tc_answer}/opinion",
                                                                    {"opinion": "Holter monitoring"}),
        ("POST", "/api/v1/teleconsults/{teleconsult_id}/cancel"): (f"/api/v1/teleconsults/{w.tc_cancel}/cancel", None),
        ("POST", "/api/v1/care-teams"): ("/api/v1/care-teams", {"institution_id": w.care_centre, "name": "二队",
                                                                "leader_id": w.care_gp}),
        ("POST", "/api/v1/care-contracts"): ("/api/v1/care-contracts", {
            "team_id": w.care_team, "patient_record_id": w.care_resident, "package": "elderly"}),
        ("POST", "/api/v1/care-contracts/{contract_id}/renew"): (f"/api/v1/care-contracts/{w.care_contract}/renew",
                                                                 {"months": 12}),
        ("POST", "/api/v1/follow-ups/{follow_up_id}/record"): (f"/api/v1/follow-ups/{w.care_follow_up}/record", {
            "observations": {"systolic_bp": 132, "diastolic_bp": 84}, "controlled": True}),
        ("POST", "/api/v1/night-shifts"): ("/api/v1/night-shifts", {
            "practitioner_id": w.practitioner_a, "institution_id": w.hospital_a,
            "starts_at": (NIGHT + dt.timedelta(days=2)).isoformat(),
            "ends_at": (NIGHT + dt.timedelta(days=2, hours=12)).isoformat()}),
        ("POST", "/api/v1/night-shifts/{shift_id}/cancel"): (f"/api/v1/night-shifts/{w.shift_cancel}/cancel", None),
        ("POST", nr): (nr, {"patient_record_id": w.referred_patient, "complaint": "cough all night"}),
        ("POST", nr + "/{request_id}/messages"): (f"{nr}/{w.night_requests['message']}/messages",
                                                  {"body": "Temperature now 38.5"}),
        ("POST", nr + "/{request_id}/close"): (f"{nr}/{w.night_requests['close']}/close", None),
        ("POST", nr + "/{request_id}/escalate"): (f"{nr}/{w.night_requests['escalate']}/escalate", {
            "reason": "chest pain with sweating", "severity": 2}),
    }


ALLOWED = [
    ("regulator", "PUT", "/api/v1/referral-policies/{condition}"),
    ("doctor_a", "POST", "/api/v1/referrals"),
    ("doctor_a", "PATCH", "/api/v1/referrals/{referral_id}"),
    ("doctor_a", "POST", "/api/v1/referrals/{referral_id}/send"),
    ("admin_a", "POST", "/api/v1/referrals/{referral_id}/cancel"),
    ("admin_a", "POST", "/api/v1/referrals/{referral_id}/accept"),
    ("doctor_a", "POST", "/api/v1/referrals/{referral_id}/decline"),
    ("admin_a", "POST", "/api/v1/referrals/{referral_id}/arrive"),
    ("doctor_a", "POST", "/api/v1/referrals/{referral_id}/complete"),
    ("doctor_a", "POST", "/api/v1/referrals/{referral_id}/down-refer"),
    ("doctor_a", "POST", "/api/v1/teleconsults"),
    ("doctor_a", "POST", "/api/v1/teleconsults/{teleconsult_id}/opinion"),
    ("admin_a", "POST", "/api/v1/teleconsults/{teleconsult_id}/cancel"),
    ("platform", "POST", "/api/v1/care-teams"),
    ("platform", "POST", "/api/v1/care-contracts"),
    ("platform", "POST", "/api/v1/care-contracts/{contract_id}/renew"),
    ("platform", "POST", "/api/v1/follow-ups/{follow_up_id}/record"),
    ("admin_a", "POST", "/api/v1/night-shifts"),
    ("admin_a", "POST", "/api/v1/night-shifts/{shift_id}/cancel"),
    ("doctor_a", "POST", "/api/v1/night-requests"),
    ("doctor_a", "POST", "/api/v1/night-requests/{request_id}/messages"),
    ("doctor_a", "POST", "/api/v1/night-requests/{request_id}/close"),
    ("doctor_a", "POST", "/api/v1/night-requests/{request_id}/escalate"),
]
