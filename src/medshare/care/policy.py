"""The region's referral policy per condition: the defaults of rules.py, replaced condition by condition."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.care import rules
from medshare.care.models import ConditionPolicyRow
from medshare.db import utcnow
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal, authorize

DEFAULTS = {p.code: p for p in rules.DEFAULT_POLICIES}


def policies(session: Session) -> dict[str, rules.ConditionPolicy]:
    """Every condition's policy in force: the region's own where set, else the default."""
    out = dict(DEFAULTS)
    for row in session.scalars(sa.select(ConditionPolicyRow)):
        out[row.condition] = rules.ConditionPolicy.from_dict(row.data)
    return out


def policy_for(session: Session, condition: str, field: str = "condition") -> rules.ConditionPolicy:
    """The policy of one condition, or InvalidInput naming the known ones."""
    found = policies(session)
    if condition not in found:
        raise InvalidInput.on(field, "known-condition",
                              f"{condition!r} has no referral policy; known: {', '.join(sorted(found))}")
    return found[condition]


def set_policy(session: Session, actor: Principal, condition: str, data: dict) -> rules.ConditionPolicy:
    """Replace (or add) one condition's referral policy; the stored form is checked first."""
    authorize(actor, Permission.CARE_POLICY_WRITE)
    data = {**data, "code": condition}
    if not isinstance(condition, str) or not condition or len(condition) > 40:
        raise InvalidInput.on("condition", "length", "a condition code has 1 to 40 characters")
    parsed = rules.ConditionPolicy.from_dict(data)
    row = session.get(ConditionPolicyRow, condition)
    if row is None:
        row = ConditionPolicyRow(condition=condition, data=parsed.as_dict())
        session.add(row)
    row.data = parsed.as_dict()
    row.updated_by_user_id = actor.user_id
    row.updated_at = utcnow()
    session.flush()
    record_event(session, actor, "care.policy.set", "condition_policy", condition,
                 details={"criteria": len(parsed.criteria)})
    return parsed
