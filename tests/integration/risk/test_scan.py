"""Every risk rule over generated data: the planted cases are found with their evidence, clean data raises nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.assets.models import Booking
from medshare.audit.models import AuditEvent
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.permissions import Principal
from medshare.risk import service as risk
from medshare.risk.models import AlertStatus, RiskAlert
from tests.integration.risk.conftest import NOW, generate

POLICY = risk.RiskPolicy(lookback_days=90, lookahead_days=30)


def alerts_of(session, run) -> list[RiskAlert]:
    return list(session.scalars(sa.select(RiskAlert).where(RiskAlert.last_run_id == run.id)))


@pytest.mark.parametrize("seed", [1, 2])
def test_clean_generated_data_raises_no_alert_of_any_rule(session, monkeypatch, seed):
    world = generate(session, seed=seed, planted=False, monkeypatch=monkeypatch)
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    assert alerts_of(session, run) == []
    assert {rule: c["found"] for rule, c in run.counts.items()} == {
        "overlap": 0, "repeat_override": 0, "no_show": 0, "workload": 0}


def test_each_planted_case_is_found_and_nothing_else(session, monkeypatch):
    world = generate(session, seed=3, planted=True, monkeypatch=monkeypatch)
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    found = {(a.rule, a.subject_type, a.subject_id) for a in alerts_of(session, run)}
    assert found == {("overlap", "practitioner", world.double_booked),
                     ("workload", "practitioner", world.overworked),
                     ("no_show", "institution", world.no_show_requester),
                     ("repeat_override", "practitioner", world.override_outlier)}
    by_rule = {a.rule: a for a in alerts_of(session, run)}
    overlap = by_rule["overlap"].evidence
    assert {c["site_institution_id"] for c in overlap["commitments"]} == set(world.sites[:2])
    assert overlap["overlap_minutes"] == 60
    assert by_rule["overlap"].institution_id == world.sites[0]  # the practitioner's primary site
    no_show = by_rule["no_show"].evidence
    assert no_show["events"] / no_show["trials"] == pytest.approx(no_show["rate"], abs=1e-3)
    assert no_show["q_value"] <= 0.01 and no_show["rate"] > 1.5 * no_show["peer_rate"]
    assert by_rule["workload"].evidence["minutes"] == 18 * 60
    override = by_rule["repeat_override"].evidence
    assert (override["events"], override["trials"], override["group"]) == (45, 120, "practitioner/lab")
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "risk.scan", AuditEvent.object_id == str(run.id))) == 1


def test_a_rescan_refreshes_alerts_and_keeps_a_regulators_decision(session, monkeypatch):
    world = generate(session, seed=4, planted=True, monkeypatch=monkeypatch)
    first = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    alerts = {a.rule: a for a in alerts_of(session, first)}
    risk.dismiss(session, world.regulator, alerts["workload"], reason="a charity clinic marathon, approved")
    risk.refer(session, world.regulator, alerts["overlap"], case_ref="JS-2033-007", note="with the police")
    second = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    assert second.counts["overlap"] == {"found": 1, "new": 0}
    assert session.scalar(sa.select(sa.func.count()).select_from(RiskAlert).where(
        RiskAlert.first_run_id.in_([first.id, second.id]))) == 4
    session.refresh(alerts["workload"])
    assert alerts["workload"].status is AlertStatus.DISMISSED
    assert alerts["workload"].last_run_id == second.id
    assert alerts["overlap"].case_ref == "JS-2033-007" and alerts["overlap"].status is AlertStatus.REFERRED


def test_alert_decisions_follow_their_rules(session, monkeypatch):
    world = generate(session, seed=5, planted=True, monkeypatch=monkeypatch)
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    alert = alerts_of(session, run)[0]
    with pytest.raises(InvalidInput) as refused:
        risk.dismiss(session, world.regulator, alert, reason=" ")
    assert refused.value.problems[0].field == "reason"
    assert alert.status is AlertStatus.OPEN
    risk.dismiss(session, world.regulator, alert, reason="explained by a locum contract")
    with pytest.raises(Conflict):
        risk.refer(session, world.regulator, alert, case_ref="JS-1")
    risk.reopen(session, world.regulator, alert, reason="new complaint")
    risk.refer(session, world.regulator, alert, case_ref="JS-1")
    assert (alert.status, alert.case_ref, alert.decided_by_user_id) == (
        AlertStatus.REFERRED, "JS-1", world.regulator.user_id)
    with pytest.raises(Conflict):
        risk.dismiss(session, world.regulator, alert, reason="too late")


def test_only_regulators_scan_and_read_alerts(session):
    hospital_admin = Principal(user_id=1, username="a", role=Role.INSTITUTION_ADMIN, institution_id=1)
    with pytest.raises(Forbidden):
        risk.scan(session, hospital_admin, now=NOW)
    with pytest.raises(Forbidden):
        risk.list_alerts(session, hospital_admin)


def test_referring_without_a_case_number_opens_a_joint_supervision_case(session, monkeypatch):
    from medshare.supervision.models import SupervisionCase

    world = generate(session, seed=6, planted=True, monkeypatch=monkeypatch)
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    alert = next(a for a in alerts_of(session, run) if a.rule == "overlap")
    risk.refer(session, world.regulator, alert, note="two sites, same hours")
    assert alert.status is AlertStatus.REFERRED and alert.case_ref.startswith("case:")
    case = session.get(SupervisionCase, int(alert.case_ref.split(":")[1]))
    assert (case.institution_id, case.practitioner_id) == (alert.institution_id, world.double_booked)
    assert f"#{alert.id}" in case.title


def test_a_rota_shift_at_one_site_during_a_room_session_at_another_is_an_overlap(session, monkeypatch):
    from medshare.care.models import Shift

    world = generate(session, seed=1, planted=False, monkeypatch=monkeypatch)
    booked = session.execute(sa.text(
        "SELECT b.id, b.requester_practitioner_id, a.owner_institution_id, b.starts_at FROM bookings b "
        "JOIN assets a ON a.id = b.asset_id WHERE b.requester_practitioner_id IS NOT NULL "
        "AND b.starts_at >= :since ORDER BY b.id LIMIT 1"), {"since": NOW - dt.timedelta(days=90)}).one()
    booking = session.get(Booking, booked[0])
    other_site = next(s for s in world.sites if s != booked[2])
    session.add(Shift(practitioner_id=booked[1], institution_id=other_site, specialty="全科",
                      starts_at=booking.starts_at - dt.timedelta(hours=1),
                      ends_at=booking.starts_at + dt.timedelta(hours=1)))
    session.flush()
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    [alert] = alerts_of(session, run)
    assert alert.rule == "overlap" and alert.subject_id == booked[1]
    assert {c["source"] for c in alert.evidence["commitments"]} == {"booking", "rota_shift"}


def test_a_teleconsultation_at_one_site_during_a_room_session_at_another_is_an_overlap(session, monkeypatch):
    from medshare.care.models import Teleconsult, TeleconsultStatus

    world = generate(session, seed=2, planted=False, monkeypatch=monkeypatch)
    booked = session.execute(sa.text(
        "SELECT b.id, b.requester_practitioner_id, a.owner_institution_id, b.starts_at FROM bookings b "
        "JOIN assets a ON a.id = b.asset_id WHERE b.requester_practitioner_id IS NOT NULL "
        "AND b.starts_at >= :since ORDER BY b.id LIMIT 1"), {"since": NOW - dt.timedelta(days=90)}).one()
    booking = session.get(Booking, booked[0])
    other_site = next(s for s in world.sites if s != booked[2])
    patient = session.execute(sa.text("SELECT id FROM patient_records ORDER BY id DESC LIMIT 1")).scalar()
    session.add(Teleconsult(requester_institution_id=other_site, patient_record_id=patient, specialty="心内科",
                            urgency="routine", case_summary="x", status=TeleconsultStatus.COMPLETED,
                            specialist_id=booked[1], specialist_institution_id=other_site,
                            starts_at=booking.starts_at + dt.timedelta(minutes=30),
                            ends_at=booking.starts_at + dt.timedelta(minutes=60)))
    session.flush()
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    [alert] = alerts_of(session, run)
    assert alert.rule == "overlap" and alert.subject_id == booked[1]
    assert {c["source"] for c in alert.evidence["commitments"]} == {"booking", "teleconsultation"}
    assert alert.evidence["overlap_minutes"] == 30


def test_reports_signed_faster_than_anyone_reads_them_are_an_implausible_workload(session, monkeypatch):
    from medshare.pki.models import Certificate, CertificateAuthority, CertificateStatus, Signature, SignatureMode

    world = generate(session, seed=1, planted=False, monkeypatch=monkeypatch)
    doctor = session.execute(sa.text("SELECT requester_practitioner_id FROM bookings WHERE "
                                     "requester_practitioner_id IS NOT NULL LIMIT 1")).scalar()
    authority = session.scalar(sa.select(CertificateAuthority).limit(1))
    if authority is None:
        from medshare.pki import service as pki
        from tests import factories as f

        authority = pki.ensure_authority(session, secret=f.SECRET_KEY)
    certificate = Certificate(authority_id=authority.id, practitioner_id=doctor, serial_number="ab" * 8,
                              subject="CN=test", certificate_pem="-", not_before=NOW - dt.timedelta(days=400),
                              not_after=NOW + dt.timedelta(days=400), status=CertificateStatus.ACTIVE)
    session.add(certificate)
    session.flush()
    burst = NOW - dt.timedelta(days=5, hours=20)
    session.add_all([Signature(certificate_id=certificate.id, practitioner_id=doctor, document_type="DiagnosticReport",
                               document_id=f"r{k}", digest_sha256="0" * 64, signature_b64="x",
                               mode=SignatureMode.SERVER, signed_at=burst + dt.timedelta(minutes=2 * k))
                     for k in range(25)])  # 25 CT reports in 50 minutes
    session.flush()
    run = risk.scan(session, world.regulator, now=NOW, policy=POLICY)
    [alert] = alerts_of(session, run)
    assert (alert.rule, alert.subject_id) == ("workload", doctor)
    assert alert.evidence["peak_per_hour"] == 25 and alert.evidence["refs"][0].startswith("signature:")
