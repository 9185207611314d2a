"""The one policy check every capability calls before letting an institution or a practitioner act.

ensure_in_good_standing(session, institution_id=..., practitioner_id=..., action=...) raises
NotInGoodStanding (HTTP 403, code "not-in-good-standing") while the subject is blacklisted: by a
blacklisting sanction in force, or by a credit level the policy blacklists. The exits: a regulator
approves a remediation, or the sanction expires.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.errors import Forbidden
from medshare.supervision import rules
from medshare.supervision.models import CreditEvent, Remediation, RemediationStatus, Sanction, SupervisionPolicy


class NotInGoodStanding(Forbidden):
    code = "not-in-good-standing"


def institution_subject(institution_id: int) -> str:
    return f"i:{institution_id}"


def practitioner_subject(practitioner_id: int) -> str:
    return f"p:{practitioner_id}"


def today() -> dt.date:
    """The region's calendar day (UTC date is close enough for day-granular policy)."""
    return dt.datetime.now(dt.UTC).date()


def policy(session: Session) -> dict:
    """The region's supervision policy (stored overrides on the defaults)."""
    stored = session.scalar(sa.select(SupervisionPolicy.values).where(SupervisionPolicy.id == 1))
    return rules.merged_policy(stored)


def standings(session: Session, subjects: list[str], *, on: dt.date | None = None,
              policy_values: dict | None = None) -> dict[str, rules.Standing]:
    """Standing of many subjects in three queries (for directory pages and checks alike)."""
    on = on or today()
    values = policy_values or policy(session)
    if not subjects:
        return {}
    events: dict[str, list[rules.Event]] = {s: [] for s in subjects}
    for subject, kind, occurred_on in session.execute(
            sa.select(CreditEvent.subject, CreditEvent.kind, CreditEvent.occurred_on)
            .where(CreditEvent.subject.in_(subjects), CreditEvent.occurred_on <= on)):
        events[subject].append(rules.Event(kind, occurred_on))
    active: dict[str, list[rules.ActiveSanction]] = {s: [] for s in subjects}
    for row in session.execute(
            sa.select(Sanction.subject, Sanction.id, Sanction.kind, Sanction.blacklists, Sanction.starts_on,
                      Sanction.ends_on)
            .where(Sanction.subject.in_(subjects), Sanction.lifted_at.is_(None), Sanction.starts_on <= on,
                   sa.or_(Sanction.ends_on.is_(None), Sanction.ends_on > on))):
        active[row.subject].append(rules.ActiveSanction(row.id, row.kind.value, row.blacklists, row.ends_on))
    remediated = dict(session.execute(
        sa.select(Remediation.subject, sa.func.max(Remediation.decided_at))
        .where(Remediation.subject.in_(subjects), Remediation.status == RemediationStatus.APPROVED)
        .group_by(Remediation.subject)).all())
    return {s: rules.standing(events[s], active[s], on, values,
                              remediated[s].date() if remediated.get(s) else None) for s in subjects}


def standing_of(session: Session, *, institution_id: int | None = None, practitioner_id: int | None = None,
                on: dt.date | None = None) -> rules.Standing:
    """One subject's score, level, blacklisting and the reasons."""
    subject = institution_subject(institution_id) if institution_id is not None else practitioner_subject(
        practitioner_id)
    return standings(session, [subject], on=on)[subject]


ACTIONS = {
    "list_assets": "list shared assets",
    "book": "book shared assets",
    "receive_referrals": "receive referrals",
    "receive_allocations": "receive supply allocations",
    "consult": "give teleconsultations",
    "sign": "sign reports",
    "hold_certificate": "be issued a signing certificate",
}


def ensure_in_good_standing(session: Session, *, institution_id: int | None = None,
                            practitioner_id: int | None = None, action: str = "act") -> None:
    """Raise NotInGoodStanding when the institution or the practitioner is blacklisted; else return."""
    subjects = []
    if institution_id is not None:
        subjects.append(("institution", institution_id, institution_subject(institution_id)))
    if practitioner_id is not None:
        subjects.append(("practitioner", practitioner_id, practitioner_subject(practitioner_id)))
    if not subjects:
        return
    found = standings(session, [s for _, _, s in subjects])
    for label, ident, subject in subjects:
        state = found[subject]
        if state.blacklisted:
            doing = ACTIONS.get(action, action)
            raise NotInGoodStanding(f"{label} {ident} is blacklisted ({'; '.join(state.reasons)}) and cannot "
                                    f"{doing}; the blacklist ends when a regulator approves a remediation or "
                                    "the sanction expires")


def blacklisted_among(session: Session, *, institution_ids=(), practitioner_ids=()) -> tuple[set[int], set[int]]:
    """The same check over many subjects at once, for lists (search results, pools, allocation runs): which of
    the institutions and which of the practitioners are blacklisted today."""
    institutions, practitioners = sorted(set(institution_ids)), sorted(set(practitioner_ids))
    found = standings(session, [institution_subject(i) for i in institutions]
                      + [practitioner_subject(p) for p in practitioners])
    return ({i for i in institutions if found[institution_subject(i)].blacklisted},
            {p for p in practitioners if found[practitioner_subject(p)].blacklisted})


def ensure_actor_in_good_standing(session: Session, actor, action: str) -> None:
    """ensure_in_good_standing for an account: its institution, and its practitioner when it is one."""
    ensure_in_good_standing(session, institution_id=actor.institution_id,
                            practitioner_id=getattr(actor, "practitioner_id", None), action=action)
