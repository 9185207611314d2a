"""Credit events: written as sanctions and complaint findings happen, and derived from other capabilities'
data by refresh (expired licences, no-show rates over policy, referrals completed, quality control passed)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.permissions import Principal
from medshare.registry.models import Licence, Practitioner
from medshare.supervision import rules
from medshare.supervision.models import CreditEvent, SupervisionPolicy
from medshare.supervision.standing import (
    blacklisted_among,
    institution_subject,
    policy,
    practitioner_subject,
    today,
)


def add_event(session: Session, *, kind: str, source: str, occurred_on: dt.date, institution_id: int | None = None,
              practitioner_id: int | None = None, note: str = "") -> bool:
    """Record one credit event unless the same (subject, kind, source) is already there; whether it was new."""
    subject = institution_subject(institution_id) if institution_id is not None else practitioner_subject(
        practitioner_id)
    exists = session.scalar(sa.select(CreditEvent.id).where(CreditEvent.subject == subject, CreditEvent.kind == kind,
                                                            CreditEvent.source == source))
    if exists is not None:
        return False
    session.add(CreditEvent(subject=subject, institution_id=institution_id, practitioner_id=practitioner_id,
                            kind=kind, source=source, occurred_on=occurred_on, note=note[:300]))
    session.flush()
    return True


def set_policy(session: Session, actor: Principal, values: dict) -> dict:
    """Store the region's overrides of the credit policy (validated by merging over the defaults)."""
    from medshare.errors import InvalidInput

    unknown = sorted(set(values) - set(rules.DEFAULT_POLICY))
    if unknown:
        raise InvalidInput.on(unknown[0], "known-policy-key", f"{unknown[0]} is not a policy setting")
    merged = rules.merged_policy(values)
    if not 0 <= float(merged["remediation_factor"]) <= 1:
        raise InvalidInput.on("remediation_factor", "between-0-and-1", "the remediation factor lies in [0, 1]")
    if float(merged["half_life_days"]) <= 0:
        raise InvalidInput.on("half_life_days", "positive", "the half-life must be positive")
    row = session.get(SupervisionPolicy, 1)
    if row is None:
        row = SupervisionPolicy(id=1, values={})
        session.add(row)
    row.values = values
    session.flush()
    record_event(session, actor, "supervision.policy.updated", "supervision_policy", 1,
                 details={"fields": sorted(values)})
    return merged


def refresh(session: Session, *, on: dt.date | None = None) -> dict[str, int]:
    """Derive credit events from the region's data as of a day; idempotent. Returns new events by kind."""
    on = on or today()
    values = policy(session)
    added: dict[str, int] = {}

    def add(**kw) -> None:
        if add_event(session, **kw):
            added[kw["kind"]] = added.get(kw["kind"], 0) + 1

    # Institutions whose every licence has lapsed (one event per lapse, dated the day after).
    newest = (sa.select(Licence.institution_id, sa.func.max(Licence.valid_to).label("valid_to"))
              .group_by(Licence.institution_id).subquery())
    for institution_id, valid_to in session.execute(sa.select(newest.c.institution_id, newest.c.valid_to)
                                                    .where(newest.c.valid_to < on)):
        add(kind="licence.expired", source=f"licence:{valid_to}", occurred_on=valid_to + dt.timedelta(days=1),
            institution_id=institution_id)
    for practitioner_id, valid_to in session.execute(
            sa.select(Practitioner.id, Practitioner.licence_valid_to)
            .where(Practitioner.licence_valid_to < on, Practitioner.active.is_(True))):
        add(kind="licence.expired", source=f"licence:{valid_to}", occurred_on=valid_to + dt.timedelta(days=1),
            practitioner_id=practitioner_id)
    _no_shows(session, on, values, add)
    _referrals(session, on, add)
    _quality_control(session, on, add)
    _override_outliers(session, on, add)
    revoked = revoke_blacklisted_certificates(session)
    if revoked:
        added["certificates_revoked"] = revoked
    return added


def _override_outliers(session: Session, on: dt.date, add) -> None:
    """Repeat-exam override rates far above peers, as the risk rules found them; an alert a regulator dismissed
    (explained) takes its event back."""
    try:
        from medshare.risk.models import AlertStatus, RiskAlert
    except ImportError:
        return
    rows = session.execute(sa.select(RiskAlert.id, RiskAlert.status, RiskAlert.practitioner_id,
                                     RiskAlert.institution_id, RiskAlert.subject_type, RiskAlert.detected_at)
                           .where(RiskAlert.rule == "repeat_override")).all()
    dismissed = [f"risk_alert:{r.id}" for r in rows if r.status is AlertStatus.DISMISSED]
    if dismissed:
        session.execute(sa.delete(CreditEvent).where(CreditEvent.kind == "recognition.repeat_override_outlier",
                                                     CreditEvent.source.in_(dismissed)))
    for row in rows:
        if row.status is AlertStatus.DISMISSED or row.detected_at.date() > on:
            continue
        subject = ({"practitioner_id": row.practitioner_id} if row.subject_type == "practitioner"
                   and row.practitioner_id is not None else {"institution_id": row.institution_id})
        if None in subject.values():
            continue
        add(kind="recognition.repeat_override_outlier", source=f"risk_alert:{row.id}",
            occurred_on=row.detected_at.date(), **subject)


def revoke_blacklisted_certificates(session: Session) -> int:
    """Revoke the signing certificates of every practitioner blacklisted today, whether by a sanction or by a
    credit level the policy blacklists; how many were revoked."""
    try:
        from medshare.pki import service as pki
        from medshare.pki.models import Certificate, CertificateStatus
    except ImportError:
        return 0
    holders = session.scalars(sa.select(Certificate.practitioner_id).where(
        Certificate.status == CertificateStatus.ACTIVE).distinct()).all()
    if not holders:
        return 0
    _, barred = blacklisted_among(session, practitioner_ids=holders)
    return sum(pki.revoke_certificates_of(session, p, "privilege_withdrawn") for p in sorted(barred))


def _no_shows(session: Session, on: dt.date, values: dict, add) -> None:
    from medshare.assets.models import Booking, BookingStatus

    window = values["no_show"]["window_days"]
    since = dt.datetime.combine(on - dt.timedelta(days=window), dt.time(), dt.UTC)
    until = dt.datetime.combine(on, dt.time(), dt.UTC)
    judged = Booking.status.in_([BookingStatus.NO_SHOW, BookingStatus.COMPLETED, BookingStatus.CANCELLED])
    counts: dict[int, list[int]] = {}
    for institution_id, status, starts_at, updated_at in session.execute(
            sa.select(Booking.requester_institution_id, Booking.status, Booking.starts_at, Booking.updated_at)
            .where(Booking.starts_at >= since, Booking.starts_at < until, judged)):
        tally = counts.setdefault(institution_id, [0, 0])
        tally[0] += 1
        # A cancellation counts only when late: within a day of the start.
        if status is BookingStatus.NO_SHOW or (status is BookingStatus.CANCELLED
                                               and updated_at > starts_at - dt.timedelta(days=1)):
            tally[1] += 1
    period = on.isoformat()[:7]
    for institution_id, (total, missed) in counts.items():
        if rules.no_show_rate_over(total, missed, values):
            add(kind="bookings.no_show_rate", source=f"no-show:{period}", occurred_on=on,
                institution_id=institution_id, note=f"{missed} of {total} bookings missed in {window} days")


def _referrals(session: Session, on: dt.date, add) -> None:
    """Completed referrals count for the receiving institution (once the referrals capability exists)."""
    try:
        from medshare.care.models import Referral
    except ImportError:  # the capability is not installed
        return
    target = getattr(Referral, "target_institution_id", None) or getattr(Referral, "to_institution_id", None)
    if target is None or not hasattr(Referral, "completed_at"):
        return
    rows = session.execute(sa.select(Referral.id, target, Referral.completed_at)
                           .where(Referral.completed_at.is_not(None)).order_by(Referral.id.desc()).limit(5000))
    for referral_id, institution_id, completed_at in rows:
        if institution_id is not None and completed_at.date() <= on:
            add(kind="referral.completed", source=f"referral:{referral_id}", occurred_on=completed_at.date(),
                institution_id=institution_id)


def _quality_control(session: Session, on: dt.date, add) -> None:
    """Passed quality control (an accreditation per item) counts for the institution."""
    try:
        from medshare.recognition.models import Accreditation
    except ImportError:
        return
    rows = session.execute(sa.select(Accreditation.id, Accreditation.institution_id, Accreditation.passed_on)
                           .where(Accreditation.withdrawn.is_(False), Accreditation.passed_on <= on))
    for accreditation_id, institution_id, passed_on in rows:
        add(kind="qc.passed", source=f"accreditation:{accreditation_id}", occurred_on=passed_on,
            institution_id=institution_id)
