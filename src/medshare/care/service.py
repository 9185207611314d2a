"""Tiered care as other capabilities see it: a practitioner's commitments (for overlap rules), and the
periodic check that escalates late referrals, assigns waiting consultations and routes waiting requests."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.care.models import Shift, Teleconsult
from medshare.care.rules import TeleconsultStatus
from medshare.db import utcnow

Commitment = tuple[dt.datetime, dt.datetime, int, str, int]


def practitioner_commitments(session: Session, practitioner_id: int, start: dt.datetime, end: dt.datetime
                             ) -> list[Commitment]:
    """The practitioner's teleconsultations and on-call shifts overlapping [start, end), at every site:
    (start, end, institution_id, kind, id) in time order; kind is "teleconsult" or "night_shift"."""
    out: list[Commitment] = []
    for tc in session.execute(sa.select(Teleconsult.starts_at, Teleconsult.ends_at,
                                        Teleconsult.specialist_institution_id, Teleconsult.id).where(
            Teleconsult.specialist_id == practitioner_id,
            Teleconsult.status.in_((TeleconsultStatus.SCHEDULED, TeleconsultStatus.COMPLETED)),
            Teleconsult.starts_at < end, Teleconsult.ends_at > start)):
        out.append((tc[0], tc[1], tc[2], "teleconsult", tc[3]))
    for shift in session.execute(sa.select(Shift.starts_at, Shift.ends_at, Shift.institution_id, Shift.id).where(
            Shift.practitioner_id == practitioner_id, Shift.cancelled.is_(False), Shift.starts_at < end,
            Shift.ends_at > start)):
        out.append((shift[0], shift[1], shift[2], "night_shift", shift[3]))
    return sorted(out)


def risk_commitments(session: Session, start: dt.datetime, end: dt.datetime) -> list:
    """Every practitioner's teleconsultations and on-call shifts in [start, end) as the risk rules' commitments
    (one practitioner at two sites at once is their overlap rule)."""
    from medshare.risk.rules import Commitment

    out = []
    for tc in session.execute(sa.select(Teleconsult.id, Teleconsult.specialist_id,
                                        Teleconsult.specialist_institution_id, Teleconsult.starts_at,
                                        Teleconsult.ends_at).where(
            Teleconsult.status.in_((TeleconsultStatus.SCHEDULED, TeleconsultStatus.COMPLETED)),
            Teleconsult.starts_at < end, Teleconsult.ends_at > start)):
        out.append(Commitment(tc.specialist_id, tc.specialist_institution_id, tc.starts_at, tc.ends_at,
                              "teleconsultation", f"teleconsult:{tc.id}"))
    for s in session.execute(sa.select(Shift.id, Shift.practitioner_id, Shift.institution_id, Shift.starts_at,
                                       Shift.ends_at).where(Shift.cancelled.is_(False), Shift.starts_at < end,
                                                            Shift.ends_at > start)):
        out.append(Commitment(s.practitioner_id, s.institution_id, s.starts_at, s.ends_at, "rota_shift",
                              f"night_shift:{s.id}"))
    return out


def run_checks(session: Session, *, now: dt.datetime | None = None, gap_days: int = 7) -> dict:
    """The periodic pass: escalate late referrals, assign waiting consultations, route waiting night
    requests, and flag the rota's coverage gaps of the coming days."""
    from medshare.care import nightcare, referrals, teleconsults

    now = now or utcnow()
    escalated = referrals.check_timers(session, now=now)
    assigned = teleconsults.assign_waiting(session, now=now)
    routed = nightcare.route_waiting(session, now=now)
    gaps = nightcare.coverage_gaps(session, start=now, days=gap_days)
    return {"escalated": [r.id for r in escalated], "teleconsults_assigned": assigned, "night_requests_routed": routed,
            "rota_gaps": gaps}
