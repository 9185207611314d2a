"""Every tiered-care page over HTTP with a signed-in session: the desk, panel, rota and night care render
for their roles, forms post and redirect, refused steps come back as the form with the rule named."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, User
from medshare.care import family, nightcare, referrals, teleconsults
from medshare.care.models import Contract, FollowUp
from medshare.care.schemas import ContractIn, ReferralIn, ShiftIn, TeamIn, TeleconsultIn
from medshare.db import transaction
from tests import factories as f
from tests.web.conftest import csrf_of, http_sign_in, make_account, make_institution


def _link(committed, account, **fields) -> None:
    with transaction(committed) as session:
        user = session.get(User, account.user_id)
        for key, value in fields.items():
            setattr(user, key, value)


def test_the_care_pages_render_and_their_forms_work(live_server, committed, platform_admin):
    actor = platform_admin.principal
    centre = make_institution(committed, actor, type="community_health_centre", grade_level=1, grade_class=None)
    hospital = make_institution(committed, actor, type="tertiary_hospital", grade_level=3)
    doctor = make_account(committed, Role.PRACTITIONER, institution_id=centre)
    cardiologist_account = make_account(committed, Role.PRACTITIONER, institution_id=hospital)
    admin = make_account(committed, Role.INSTITUTION_ADMIN, institution_id=centre)
    now = dt.datetime.now(dt.UTC)
    with transaction(committed) as session:
        gp = f.make_practitioner(session, actor, centre, specialty="全科")
        cardiologist = f.make_practitioner(session, actor, hospital, specialty=f.unique("心内科"))
        patient = f.make_patient(session, actor, centre)
        team = family.create_team(session, actor, TeamIn(institution_id=centre, name="一队", leader_id=gp.id))
        family.create_contract(session, actor, ContractIn(team_id=team.id, patient_record_id=patient.id,
                                                          conditions=["hypertension"],
                                                          starts_on=now.date() - dt.timedelta(days=100)))
        follow_up = session.scalar(sa.select(FollowUp).join(Contract, Contract.id == FollowUp.contract_id).where(
            Contract.patient_record_id == patient.id))
        referral = referrals.create_referral(session, actor, ReferralIn(
            patient_record_id=patient.id, condition="hypertension", to_institution_id=hospital))
        tc = teleconsults.request_teleconsult(session, accounts.principal_of(session.get(User, doctor.user_id)),
                                              TeleconsultIn(patient_record_id=patient.id,
                                                            specialty=cardiologist.specialty, case_summary="x"))
        night = nightcare.nights(now, 2)[-1]
        nightcare.add_shift(session, actor, ShiftIn(practitioner_id=gp.id, institution_id=centre,
                                                    starts_at=night[0], ends_at=night[1]))
        ids = {"patient": patient.id, "team": team.id, "follow_up": follow_up.id, "referral": referral.id,
               "tc": tc.id, "gp": gp.id, "cardiologist": cardiologist.id}
    _link(committed, doctor, practitioner_id=ids["gp"])
    _link(committed, cardiologist_account, practitioner_id=ids["cardiologist"])
    assert tc.specialist_id == ids["cardiologist"]

    with http_sign_in(live_server.url, doctor.username) as web:
        for path in ("/care", "/referrals?box=outbox", f"/referrals/{ids['referral']}", "/referrals/new",
                     "/teleconsults", f"/teleconsults/{ids['tc']}", "/teleconsults/new", "/care-teams",
                     f"/care-teams/{ids['team']}?state=overdue", "/rota", "/night-care?queue=mine",
                     "/night-care/new"):
            page = web.get(path)
            assert page.status_code == 200, (path, page.text[:500])
        token = csrf_of(web.get("/care").text)
        # Two uncontrolled follow-ups in a row recommend an up-referral on the panel.
        recorded = web.post(f"/follow-ups/{ids['follow_up']}/record", data={
            "csrf_token": token, "systolic_bp": "156", "diastolic_bp": "98"})
        assert recorded.status_code == 303
        panel = web.get(f"/care-teams/{ids['team']}").text
        assert "Record" in panel
        refused = web.post(f"/referrals/{ids['referral']}/decline", data={"csrf_token": token, "reason": "x"})
        assert refused.status_code == 403  # the sender may not decline its own referral
        bad = web.post("/referrals/new", data={"csrf_token": token, "patient_record_id": str(ids["patient"]),
                                               "condition": "gout"})
        assert bad.status_code == 422 and "known-condition" in bad.text
        asked = web.post("/night-care/new", data={"csrf_token": token, "patient_record_id": str(ids["patient"]),
                                                  "complaint": "high fever", "specialty": "全科"})
        assert asked.status_code == 303
        thread = web.get(asked.headers["location"])
        assert "high fever" in thread.text
    with http_sign_in(live_server.url, cardiologist_account.username) as web:
        desk = web.get("/teleconsults").text
        assert f"/teleconsults/{ids['tc']}" in desk
        page = web.get(f"/teleconsults/{ids['tc']}").text
        assert "Sign and send the opinion" in page
        token = csrf_of(page)
        unsigned = web.post(f"/teleconsults/{ids['tc']}/opinion", data={"csrf_token": token, "opinion": "ok"})
        assert unsigned.status_code == 422 and "active-certificate" in unsigned.text  # no certificate yet
    with http_sign_in(live_server.url, admin.username) as web:
        rota = web.get("/rota").text
        assert "Coverage gaps" in rota and "Put a doctor on call" in rota
