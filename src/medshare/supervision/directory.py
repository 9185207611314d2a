"""The public trust record shown in the directory: credit level, sanctions in force and past, accreditation,
complaints handled. No login; nothing personal about complainants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.supervision import cases, complaints, rules
from medshare.supervision.models import Sanction
from medshare.supervision.standing import institution_subject, practitioner_subject, standings, today


@dataclass
class TrustRecord:
    standing: rules.Standing
    sanctions_in_force: list[Sanction] = field(default_factory=list)
    sanctions_past: list[Sanction] = field(default_factory=list)
    accreditations: list[dict] = field(default_factory=list)
    complaints: dict | None = None


def _split(rows: list[Sanction], on: dt.date) -> tuple[list[Sanction], list[Sanction]]:
    now, past = [], []
    for s in rows:
        (now if rules.sanction_in_force(s.starts_on, s.ends_on, s.lifted_at is not None, on) else past).append(s)
    return now, past


def accreditations_of(session: Session, institution_id: int, on: dt.date) -> list[dict]:
    """The institution's HR items (mutual recognition accreditation), through the recognition capability."""
    try:
        from medshare.recognition import service as recognition
        from medshare.recognition.models import RecognitionItem
    except ImportError:
        return []
    rows = recognition.list_accreditations(session, institution_id=institution_id)
    names = dict(session.execute(sa.select(RecognitionItem.id, RecognitionItem.name_zh)
                                 .where(RecognitionItem.id.in_({r.item_id for r in rows}))).all()) if rows else {}
    english = dict(session.execute(sa.select(RecognitionItem.id, RecognitionItem.name)
                                   .where(RecognitionItem.id.in_({r.item_id for r in rows}))).all()) if rows else {}
    return [{"item": english.get(r.item_id, ""), "item_zh": names.get(r.item_id) or english.get(r.item_id, ""),
             "passed_on": r.passed_on, "valid_until": r.valid_until, "scheme": r.scheme,
             "in_force": r.passed_on <= on <= r.valid_until} for r in rows]


def institution_trust(session: Session, institution_id: int) -> TrustRecord:
    """What the public sees about an institution's standing."""
    on = today()
    subject = institution_subject(institution_id)
    now, past = _split(cases.sanctions_of(session, subject=subject), on)
    return TrustRecord(standings(session, [subject], on=on)[subject], now, past,
                       accreditations_of(session, institution_id, on),
                       complaints.aggregate(session, institution_id=institution_id))


def practitioner_trust(session: Session, practitioner_id: int) -> TrustRecord:
    """What the public sees about a practitioner's standing."""
    on = today()
    subject = practitioner_subject(practitioner_id)
    now, past = _split(cases.sanctions_of(session, subject=subject), on)
    return TrustRecord(standings(session, [subject], on=on)[subject], now, past)


def levels(session: Session, *, institution_ids=(), practitioner_ids=()) -> dict[str, rules.Standing]:
    """Standing of the entities on one directory page, keyed "i:<id>" / "p:<id>"."""
    subjects = [institution_subject(i) for i in institution_ids] + [practitioner_subject(p) for p in practitioner_ids]
    return standings(session, subjects)


def blacklist(session: Session) -> list[dict]:
    """Every subject blacklisted today, for the public blacklist page."""
    on = today()
    rows = session.execute(sa.select(Sanction.subject).where(
        Sanction.blacklists.is_(True), Sanction.lifted_at.is_(None), Sanction.starts_on <= on,
        sa.or_(Sanction.ends_on.is_(None), Sanction.ends_on > on)).distinct()).scalars().all()
    from medshare.supervision.models import CreditEvent

    marked = session.execute(sa.select(CreditEvent.subject).distinct()).scalars().all()
    found = standings(session, sorted(set(rows) | set(marked)), on=on)
    return [{"subject": s, "kind": "institution" if s.startswith("i:") else "practitioner", "id": int(s[2:]),
             "standing": st} for s, st in found.items() if st.blacklisted]
