"""Blacklisting through the one policy check, and its exits, on both databases (service level)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.assets import booking as bookings
from medshare.assets import service as assets
from medshare.assets.schemas import BookingIn
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.supervision import cases, complaints, credit, directory
from medshare.supervision.models import ActionKind, CaseStatus, ComplaintStatus, Sanction, SanctionKind
from medshare.supervision.standing import NotInGoodStanding, ensure_in_good_standing, standing_of, today
from tests import factories as f
from tests.integration.assets.conftest import mri_in


def _suspend(session, scene, *, days: int = 30, on_practitioner: bool = False):
    case = cases.open_case(session, scene.health, institution_id=scene.hospital, title="unlicensed imaging",
                           practitioner_id=scene.doctor_id if on_practitioner else None)
    action = cases.act(session, scene.health, case, kind=ActionKind.SUSPENSION, text="suspended",
                       ends_on=today() + dt.timedelta(days=days), on_practitioner=on_practitioner)
    return case, session.get(Sanction, action.sanction_id)


def _booking_on_other(session, scene):
    asset = assets.create_asset(session, scene.other_admin, mri_in(scene.other))
    start = dt.datetime.combine(today() + dt.timedelta(days=3), dt.time(2), dt.UTC)  # 10:00 in Shanghai
    return BookingIn(asset_id=asset.id, exam_code="MRI-HEAD", starts_at=start)


def test_a_suspended_institution_cannot_list_or_book_until_the_suspension_expires(session, scene):
    data = _booking_on_other(session, scene)
    _, sanction = _suspend(session, scene)
    with pytest.raises(NotInGoodStanding, match="list shared assets"):
        assets.create_asset(session, scene.admin, mri_in(scene.hospital))
    with pytest.raises(NotInGoodStanding, match="book shared assets") as refused:
        bookings.book(session, scene.admin, data)
    assert refused.value.status == 403 and refused.value.code == "not-in-good-standing"
    # Expiry: on the end date the suspension no longer applies (its credit mark stays, level C).
    later = standing_of(session, institution_id=scene.hospital, on=sanction.ends_on)
    assert not later.blacklisted and later.level == "C"
    sanction.ends_on = today()  # the suspension ran its course
    session.flush()
    assert assets.create_asset(session, scene.admin, mri_in(scene.hospital)).id
    assert bookings.book(session, scene.admin, data)[1]


def test_a_blacklisted_institution_leaves_the_list_by_an_approved_remediation(session, scene):
    case = cases.open_case(session, scene.health, institution_id=scene.hospital, title="fraudulent billing")
    cases.act(session, scene.health, case, kind=ActionKind.SANCTION, sanction_kind=SanctionKind.BLACKLIST,
              text="blacklisted")
    cases.act(session, scene.insurance, case, kind=ActionKind.FINE, fine_fen=500_000, text="recover funds")
    state = standing_of(session, institution_id=scene.hospital)
    assert state.blacklisted and state.level == "D"
    assert any(row["id"] == scene.hospital for row in directory.blacklist(session))
    with pytest.raises(Forbidden):
        cases.request_remediation(session, scene.other_admin, institution_id=scene.hospital, plan="not ours to fix")
    remediation = cases.request_remediation(session, scene.admin, institution_id=scene.hospital,
                                            plan="billing audited, staff retrained, refunds paid")
    with pytest.raises(Conflict):
        cases.request_remediation(session, scene.admin, institution_id=scene.hospital, plan="a second request")
    with pytest.raises(Forbidden):
        cases.decide_remediation(session, scene.admin, remediation, approve=True)
    cases.decide_remediation(session, scene.market, remediation, approve=True, note="checked on site")
    after = standing_of(session, institution_id=scene.hospital)
    assert not after.blacklisted and after.level == "A"
    ensure_in_good_standing(session, institution_id=scene.hospital, action="book")
    assert remediation.decided_department == "market"
    # The record stays public: the blacklisting is now a past sanction, lifted.
    trust = directory.institution_trust(session, scene.hospital)
    assert {s.kind for s in trust.sanctions_past} == {SanctionKind.BLACKLIST}
    assert {s.kind for s in trust.sanctions_in_force} == {SanctionKind.FINE}


def test_a_rejected_remediation_keeps_the_blacklist(session, scene):
    _suspend(session, scene)
    remediation = cases.request_remediation(session, scene.admin, institution_id=scene.hospital, plan="we promise")
    cases.decide_remediation(session, scene.health, remediation, approve=False, note="no evidence")
    assert standing_of(session, institution_id=scene.hospital).blacklisted


def test_a_blacklisted_practitioner_cannot_book_and_loses_their_certificates(session, scene):
    from medshare.pki import service as pki
    from medshare.pki.models import CertificateStatus

    certificate = pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY)
    data = _booking_on_other(session, scene)
    _suspend(session, scene, on_practitioner=True)
    session.refresh(certificate)
    assert certificate.status is CertificateStatus.REVOKED
    with pytest.raises(NotInGoodStanding, match="practitioner"):
        bookings.book(session, scene.doctor, data)
    # The institution itself is not blacklisted by its doctor's suspension.
    ensure_in_good_standing(session, institution_id=scene.hospital, action="book")


def test_regulators_of_several_departments_act_on_one_case_and_the_institution_answers_and_appeals(session, scene):
    case = cases.open_case(session, scene.health, institution_id=scene.hospital, title="expired reagents",
                           finding="reagents past expiry in the lab")
    cases.act(session, scene.market, case, kind=ActionKind.FINDING, text="invoices missing for reagents")
    fine = cases.act(session, scene.market, case, kind=ActionKind.FINE, fine_fen=2_000_000, text="fine")
    with pytest.raises(Forbidden):
        cases.act(session, scene.other_admin, case, kind=ActionKind.RESPONSE, text="not our case")
    with pytest.raises(Forbidden):
        cases.act(session, scene.admin, case, kind=ActionKind.FINE, fine_fen=1, text="self-fine")
    cases.act(session, scene.admin, case, kind=ActionKind.RESPONSE, text="stock destroyed, supplier changed")
    assert case.status is CaseStatus.ANSWERED
    cases.act(session, scene.admin, case, kind=ActionKind.APPEAL, text="the invoices exist",
              sanction_id=fine.sanction_id)
    assert case.status is CaseStatus.APPEALED
    with pytest.raises(Conflict):
        cases.act(session, scene.health, case, kind=ActionKind.CLOSURE)
    cases.act(session, scene.market, case, kind=ActionKind.APPEAL_UPHELD, text="invoices found",
              sanction_id=fine.sanction_id)
    assert session.get(Sanction, fine.sanction_id).lifted_reason == "appeal upheld"
    cases.act(session, scene.health, case, kind=ActionKind.CLOSURE, text="done")
    actions = cases.actions_of(session, case.id)
    assert [(a.kind.value, a.department) for a in actions] == [
        ("finding", "health"), ("finding", "market"), ("fine", "market"), ("response", None), ("appeal", None),
        ("appeal_upheld", "market"), ("closure", "health")]
    assert actions[3].actor_institution_id == scene.hospital
    assert standing_of(session, institution_id=scene.hospital).score == 100.0  # the upheld fine took its mark back
    with pytest.raises(Conflict):
        cases.act(session, scene.health, case, kind=ActionKind.FINDING, text="too late")


def test_bad_sanctions_are_refused_naming_the_field(session, scene):
    case = cases.open_case(session, scene.health, institution_id=scene.hospital, title="x case")
    for kwargs, field in [({"kind": ActionKind.FINE}, "fine_fen"), ({"kind": ActionKind.SUSPENSION}, "ends_on"),
                          ({"kind": ActionKind.SANCTION}, "sanction_kind"),
                          ({"kind": ActionKind.SANCTION, "sanction_kind": SanctionKind.BLACKLIST,
                            "on_practitioner": True}, "on_practitioner")]:
        with pytest.raises(InvalidInput) as error:
            cases.act(session, scene.health, case, **kwargs)
        assert error.value.problems[0].field == field
    assert cases.sanctions_of(session, case_id=case.id) == []


def test_substantiated_complaints_count_and_the_aggregate_is_public(session, scene):
    source = complaints.source_hash("k", "10.0.0.1")
    rows = [complaints.file_complaint(session, institution_id=scene.hospital, category="billing",
                                      text=f"charged twice for one scan #{i}", source=source) for i in range(3)]
    with pytest.raises(complaints.TooManyComplaints):
        complaints.file_complaint(session, institution_id=scene.hospital, category="billing",
                                  text="a fourth complaint within the hour", source=source)
    complaints.file_complaint(session, institution_id=scene.hospital, category="waiting",
                              text="a different person complains", source=complaints.source_hash("k", "10.0.0.2"))
    with pytest.raises(InvalidInput):
        complaints.file_complaint(session, institution_id=scene.hospital, category="nonsense", text="short",
                                  source=source)
    complaints.handle(session, scene.health, rows[0], status=ComplaintStatus.SUBSTANTIATED, resolution="refunded")
    complaints.handle(session, scene.health, rows[1], status=ComplaintStatus.UNSUBSTANTIATED, resolution="no double")
    summary = complaints.aggregate(session, institution_id=scene.hospital)
    assert summary["total"] == 4 and summary["by_status"]["substantiated"] == 1 and summary["decided"] == 2
    assert summary["by_category"]["billing"] == 3
    assert standing_of(session, institution_id=scene.hospital).score == 92.0


def test_refresh_derives_expired_licences_once(session, scene):
    from medshare.registry import service as registry
    from medshare.registry.schemas import LicenceIn

    institution = registry.get_institution(session, scene.other)
    registry.add_licence(session, scene.health, institution, LicenceIn(
        number="LAPSED-1", valid_from=dt.date(2020, 1, 1), valid_to=today() - dt.timedelta(days=2)))
    first = credit.refresh(session)
    assert first.get("licence.expired", 0) >= 1
    assert credit.refresh(session).get("licence.expired", 0) == 0
    assert standing_of(session, institution_id=scene.other).score < 100
    count = session.scalar(sa.text("SELECT count(*) FROM supervision_credit_events WHERE subject = :s"),
                           {"s": f"i:{scene.other}"})
    assert count == 1


def test_a_practitioner_blacklisted_by_credit_level_loses_their_certificate_and_gets_no_new_one(session, scene):
    from medshare.pki import service as pki
    from medshare.pki.models import CertificateStatus

    certificate = pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY)
    # No blacklisting sanction: three fines and a lapsed licence bring the score below level C.
    for n in range(3):
        credit.add_event(session, kind="sanction.fine", source=f"test-fine:{n}", occurred_on=today(),
                         practitioner_id=scene.doctor_id)
    credit.add_event(session, kind="licence.expired", source="test-licence", occurred_on=today(),
                     practitioner_id=scene.doctor_id)
    state = standing_of(session, practitioner_id=scene.doctor_id)
    assert state.blacklisted and state.level == "D" and not state.sanctions_in_force
    assert credit.refresh(session).get("certificates_revoked", 0) >= 1  # other tests' committed doctors may join
    session.refresh(certificate)
    assert certificate.status is CertificateStatus.REVOKED and certificate.revocation_reason.value == \
        "privilege_withdrawn"
    with pytest.raises(NotInGoodStanding, match="be issued a signing certificate"):
        pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY)
    remediation = cases.request_remediation(session, scene.admin, practitioner_id=scene.doctor_id,
                                            plan="licence renewed, fines paid, retrained")
    cases.decide_remediation(session, scene.health, remediation, approve=True)
    assert pki.issue_certificate(session, None, scene.doctor_id, secret=f.SECRET_KEY).status is \
        CertificateStatus.ACTIVE


def test_repeat_exam_overrides_far_above_peers_count_against_credit_until_the_alert_is_dismissed(session, scene):
    from medshare.risk.models import AlertStatus, RiskAlert, RiskRun

    run = RiskRun(window_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), window_end=dt.datetime(2026, 4, 1,
                                                                                                tzinfo=dt.UTC))
    session.add(run)
    session.flush()
    alert = RiskAlert(rule="repeat_override", fingerprint=f.unique("repeat_override:practitioner:"),
                      subject_type="practitioner", subject_id=scene.doctor_id, practitioner_id=scene.doctor_id,
                      institution_id=scene.hospital, summary="45 of 120 repeated", first_run_id=run.id,
                      last_run_id=run.id, detected_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    session.add(alert)
    session.flush()
    assert credit.refresh(session).get("recognition.repeat_override_outlier", 0) >= 1
    assert standing_of(session, practitioner_id=scene.doctor_id).score == pytest.approx(90.0, abs=0.05)  # a day's decay
    assert credit.refresh(session).get("recognition.repeat_override_outlier", 0) == 0  # once
    alert.status = AlertStatus.DISMISSED
    session.flush()
    credit.refresh(session)
    assert standing_of(session, practitioner_id=scene.doctor_id).score == 100.0


def test_a_blacklisted_owners_listings_leave_search_and_take_no_booking_until_it_is_lifted(session, scene):
    from medshare.assets.service import search_slots

    marker = f.unique("cap-")
    asset = assets.create_asset(session, scene.admin, mri_in(scene.hospital, capabilities=["3T", marker]))
    start = dt.datetime.combine(today() + dt.timedelta(days=3), dt.time(2), dt.UTC)
    data = BookingIn(asset_id=asset.id, exam_code="MRI-HEAD", starts_at=start)

    def found() -> set[int]:
        return {s["asset_id"] for s in search_slots(session, scene.other_admin, capabilities=[marker], limit=5)}

    assert found() == {asset.id}
    _suspend(session, scene)
    assert found() == set()
    with pytest.raises(NotInGoodStanding, match="cannot list shared assets"):
        bookings.book(session, scene.other_admin, data)
    remediation = cases.request_remediation(session, scene.admin, institution_id=scene.hospital, plan="fixed")
    cases.decide_remediation(session, scene.health, remediation, approve=True)
    assert found() == {asset.id}
    assert bookings.book(session, scene.other_admin, data)[1]
