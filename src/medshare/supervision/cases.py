"""Joint supervision: regulators of several departments act on one shared case; the institution responds
and appeals in it. Sanctions move credit; blacklisting ones revoke a practitioner's certificates. The exit
from the blacklist: a remediation approved by a regulator, or the sanction's expiry."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.supervision import credit
from medshare.supervision.models import (
    ActionKind,
    CaseAction,
    CaseStatus,
    Department,
    RegulatorDepartment,
    Remediation,
    RemediationStatus,
    Sanction,
    SanctionKind,
    SupervisionCase,
)
from medshare.supervision.standing import institution_subject, policy, practitioner_subject, today

REGULATOR_ACTIONS = {ActionKind.FINDING, ActionKind.SANCTION, ActionKind.FINE, ActionKind.SUSPENSION}
SANCTION_OF_ACTION = {ActionKind.FINE: SanctionKind.FINE, ActionKind.SUSPENSION: SanctionKind.SUSPENSION}


def department_of(session: Session, actor: Principal) -> Department:
    """The department a regulator acts for (health unless set)."""
    value = session.scalar(sa.select(RegulatorDepartment.department)
                           .where(RegulatorDepartment.user_id == actor.user_id))
    return value or Department.HEALTH


def set_department(session: Session, actor: Principal, user_id: int, department: Department) -> None:
    """Attach a regulator account to a department."""
    from medshare.accounts.models import Role, User

    authorize(actor, Permission.SUPERVISION_ACT)
    user = session.get(User, user_id)
    if user is None or user.role is not Role.REGULATOR:
        raise InvalidInput.on("user_id", "regulator-account", "the account is not a regulator's")
    row = session.get(RegulatorDepartment, user_id)
    if row is None:
        session.add(RegulatorDepartment(user_id=user_id, department=department))
    else:
        row.department = department
    session.flush()
    record_event(session, actor, "supervision.department.set", "user", user_id, details={"department": department})


def get_case(session: Session, case_id: int) -> SupervisionCase:
    case = session.get(SupervisionCase, case_id)
    if case is None:
        raise NotFound(f"no supervision case {case_id}")
    return case


def read_case(session: Session, actor: Principal, case_id: int) -> SupervisionCase:
    """A case the actor may see: any for regulators, their own institution's for its accounts."""
    case = get_case(session, case_id)
    authorize(actor, Permission.SUPERVISION_READ, institutions=[case.institution_id])
    return case


def list_cases(session: Session, actor: Principal, *, status: CaseStatus | None = None,
               institution_id: int | None = None, limit: int = 50, offset: int = 0
               ) -> tuple[list[SupervisionCase], int]:
    """Cases, newest first, narrowed to the actor's institution unless they may see all."""
    from medshare.permissions import Scope, scope_of

    scope = scope_of(actor, Permission.SUPERVISION_READ)
    if scope is None:
        authorize(actor, Permission.SUPERVISION_READ)
    if scope is not Scope.ANY:
        institution_id = actor.institution_id if actor.institution_id is not None else -1
    query = sa.select(SupervisionCase)
    if status is not None:
        query = query.where(SupervisionCase.status == status)
    if institution_id is not None:
        query = query.where(SupervisionCase.institution_id == institution_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(SupervisionCase.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def open_case(session: Session, actor: Principal, *, institution_id: int, title: str,
              practitioner_id: int | None = None, finding: str = "") -> SupervisionCase:
    """A regulator opens a shared case about an institution (and one of its practitioners)."""
    authorize(actor, Permission.SUPERVISION_ACT)
    registry.get_institution(session, institution_id)
    if practitioner_id is not None:
        registry.get_practitioner(session, practitioner_id)
    department = department_of(session, actor)
    case = SupervisionCase(institution_id=institution_id, practitioner_id=practitioner_id, title=title,
                           opened_by_user_id=actor.user_id, opened_by_department=department, created_at=utcnow())
    session.add(case)
    session.flush()
    record_event(session, actor, "supervision.case.opened", "supervision_case", case.id,
                 institution_id=institution_id, details={"department": department})
    if finding:
        act(session, actor, case, kind=ActionKind.FINDING, text=finding)
    return case


def _impose(session: Session, actor: Principal, case: SupervisionCase, *, kind: SanctionKind, department: Department,
            reason: str, fine_fen: int, starts_on: dt.date, ends_on: dt.date | None,
            on_practitioner: bool) -> Sanction:
    values = policy(session)
    practitioner_id = case.practitioner_id if on_practitioner else None
    if on_practitioner and practitioner_id is None:
        raise InvalidInput.on("on_practitioner", "case-names-practitioner", "the case names no practitioner")
    subject = practitioner_subject(practitioner_id) if practitioner_id else institution_subject(case.institution_id)
    sanction = Sanction(subject=subject, institution_id=None if practitioner_id else case.institution_id,
                        practitioner_id=practitioner_id, case_id=case.id, kind=kind, department=department,
                        reason=reason, fine_fen=fine_fen, starts_on=starts_on, ends_on=ends_on,
                        blacklists=kind.value in values["blacklisting_sanctions"], created_by_user_id=actor.user_id,
                        created_at=utcnow())
    session.add(sanction)
    session.flush()
    credit.add_event(session, kind=f"sanction.{kind.value}", source=f"sanction:{sanction.id}", occurred_on=starts_on,
                     institution_id=sanction.institution_id, practitioner_id=practitioner_id)
    record_event(session, actor, "supervision.sanction.imposed", "supervision_sanction", sanction.id,
                 institution_id=case.institution_id,
                 details={"kind": kind, "department": department, "blacklists": sanction.blacklists})
    if practitioner_id is not None and sanction.blacklists:
        revoke_certificates(session, practitioner_id)
    return sanction


def revoke_certificates(session: Session, practitioner_id: int) -> int:
    """Revoke a blacklisted practitioner's signing certificates (when the signing capability is there)."""
    try:
        from medshare.pki import service as pki
    except ImportError:
        return 0
    return pki.revoke_certificates_of(session, practitioner_id, "privilege_withdrawn")


def act(session: Session, actor: Principal, case: SupervisionCase, *, kind: ActionKind, text: str = "",
        sanction_kind: SanctionKind | None = None, fine_fen: int = 0, starts_on: dt.date | None = None,
        ends_on: dt.date | None = None, on_practitioner: bool = False, sanction_id: int | None = None) -> CaseAction:
    """One step in a case: regulators find, sanction, fine, suspend and decide appeals; the institution
    responds and appeals. Every step names its department (or the institution)."""
    if case.status is CaseStatus.CLOSED:
        raise Conflict.on("case", "open-case", "the case is closed")
    starts_on = starts_on or today()
    if kind in REGULATOR_ACTIONS or kind in (ActionKind.APPEAL_UPHELD, ActionKind.APPEAL_DISMISSED,
                                             ActionKind.CLOSURE):
        authorize(actor, Permission.SUPERVISION_ACT)
        department, actor_institution = department_of(session, actor), None
    else:
        authorize(actor, Permission.SUPERVISION_ANSWER, institutions=[case.institution_id])
        department, actor_institution = None, case.institution_id
    sanction = None
    if kind in (ActionKind.SANCTION, ActionKind.FINE, ActionKind.SUSPENSION):
        chosen = SANCTION_OF_ACTION.get(kind) or sanction_kind
        if chosen is None or (kind is ActionKind.SANCTION and chosen in (SanctionKind.FINE, SanctionKind.SUSPENSION)):
            raise InvalidInput.on("sanction_kind", "sanction-kind", "name the sanction: warning, licence_revocation "
                                  "or blacklist")
        if kind is ActionKind.FINE and fine_fen <= 0:
            raise InvalidInput.on("fine_fen", "positive", "a fine has an amount in fen")
        if kind is ActionKind.SUSPENSION and ends_on is None:
            raise InvalidInput.on("ends_on", "required", "a suspension has an end date")
        if ends_on is not None and ends_on <= starts_on:
            raise InvalidInput.on("ends_on", "after-start", "the sanction must end after it starts")
        sanction = _impose(session, actor, case, kind=chosen, department=department, reason=text or case.title,
                           fine_fen=fine_fen if kind is ActionKind.FINE else 0, starts_on=starts_on, ends_on=ends_on,
                           on_practitioner=on_practitioner)
    elif kind in (ActionKind.APPEAL, ActionKind.APPEAL_UPHELD, ActionKind.APPEAL_DISMISSED):
        sanction = session.get(Sanction, sanction_id) if sanction_id is not None else None
        if sanction is None or sanction.case_id != case.id:
            raise InvalidInput.on("sanction_id", "sanction-of-case", "name a sanction of this case")
        if kind is ActionKind.APPEAL:
            case.status = CaseStatus.APPEALED
        else:
            if case.status is not CaseStatus.APPEALED:
                raise Conflict.on("case", "appealed", "there is no appeal to decide")
            case.status = CaseStatus.ANSWERED
            if kind is ActionKind.APPEAL_UPHELD:
                lift(session, sanction, "appeal upheld")
    elif kind is ActionKind.RESPONSE:
        if not text.strip():
            raise InvalidInput.on("text", "required", "a response says something")
        if case.status is CaseStatus.OPEN:
            case.status = CaseStatus.ANSWERED
    elif kind is ActionKind.CLOSURE:
        if case.status is CaseStatus.APPEALED:
            raise Conflict.on("case", "no-pending-appeal", "decide the appeal before closing the case")
        case.status = CaseStatus.CLOSED
        case.closed_at = utcnow()
    elif kind is ActionKind.FINDING and not text.strip():
        raise InvalidInput.on("text", "required", "a finding says what was found")
    action = CaseAction(case_id=case.id, kind=kind, department=department, actor_user_id=actor.user_id,
                        actor_institution_id=actor_institution, text=text, created_at=utcnow(),
                        sanction_id=sanction.id if sanction is not None else None)
    session.add(action)
    session.flush()
    record_event(session, actor, f"supervision.case.{kind.value}", "supervision_case", case.id,
                 institution_id=case.institution_id,
                 details={"department": department, "sanction_id": action.sanction_id})
    return action


def lift(session: Session, sanction: Sanction, reason: str) -> None:
    """End a sanction now; an appeal upheld also takes back its credit event."""
    from medshare.supervision.models import CreditEvent

    if sanction.lifted_at is None:
        sanction.lifted_at = utcnow()
        sanction.lifted_reason = reason
    if reason == "appeal upheld":
        session.execute(sa.delete(CreditEvent).where(CreditEvent.subject == sanction.subject,
                                                     CreditEvent.source == f"sanction:{sanction.id}"))
    session.flush()


def actions_of(session: Session, case_id: int) -> list[CaseAction]:
    return list(session.scalars(sa.select(CaseAction).where(CaseAction.case_id == case_id).order_by(CaseAction.id)))


def sanctions_of(session: Session, *, subject: str | None = None, case_id: int | None = None) -> list[Sanction]:
    query = sa.select(Sanction).order_by(Sanction.starts_on.desc(), Sanction.id.desc())
    if subject is not None:
        query = query.where(Sanction.subject == subject)
    if case_id is not None:
        query = query.where(Sanction.case_id == case_id)
    return list(session.scalars(query))


def request_remediation(session: Session, actor: Principal, *, plan: str, institution_id: int | None = None,
                        practitioner_id: int | None = None) -> Remediation:
    """The institution (for itself or one of its practitioners) asks to leave the blacklist with a plan."""
    if (institution_id is None) == (practitioner_id is None):
        raise InvalidInput.on("institution_id", "one-subject", "name an institution or a practitioner")
    if practitioner_id is not None:
        practitioner = registry.get_practitioner(session, practitioner_id)
        owners = [practitioner.primary_institution_id]
        subject = practitioner_subject(practitioner_id)
    else:
        registry.get_institution(session, institution_id)
        owners = [institution_id]
        subject = institution_subject(institution_id)
    authorize(actor, Permission.SUPERVISION_ANSWER, institutions=owners)
    if not plan.strip():
        raise InvalidInput.on("plan", "required", "say what was put right")
    pending = session.scalar(sa.select(Remediation.id).where(Remediation.subject == subject,
                                                             Remediation.status == RemediationStatus.PENDING))
    if pending is not None:
        raise Conflict.on("plan", "one-pending", f"remediation {pending} is still waiting for a decision")
    row = Remediation(subject=subject, institution_id=institution_id, practitioner_id=practitioner_id, plan=plan,
                      requested_by_user_id=actor.user_id, created_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, actor, "supervision.remediation.requested", "supervision_remediation", row.id,
                 institution_id=owners[0])
    return row


def get_remediation(session: Session, remediation_id: int) -> Remediation:
    row = session.get(Remediation, remediation_id)
    if row is None:
        raise NotFound(f"no remediation {remediation_id}")
    return row


def decide_remediation(session: Session, actor: Principal, row: Remediation, *, approve: bool,
                       note: str = "") -> Remediation:
    """A regulator approves (the blacklist is lifted) or rejects a remediation request."""
    authorize(actor, Permission.SUPERVISION_ACT)
    if row.status is not RemediationStatus.PENDING:
        raise Conflict.on("remediation", "pending", "the remediation was already decided")
    row.status = RemediationStatus.APPROVED if approve else RemediationStatus.REJECTED
    row.decided_by_user_id = actor.user_id
    row.decided_department = department_of(session, actor)
    row.decided_at = utcnow()
    row.decision_note = note
    if approve:
        for sanction in session.scalars(sa.select(Sanction).where(Sanction.subject == row.subject,
                                                                  Sanction.blacklists.is_(True),
                                                                  Sanction.lifted_at.is_(None))):
            lift(session, sanction, "remediation approved")
    session.flush()
    record_event(session, actor, f"supervision.remediation.{row.status.value}", "supervision_remediation", row.id,
                 institution_id=row.institution_id, details={"department": row.decided_department})
    return row


def list_remediations(session: Session, *, status: RemediationStatus | None = None,
                      subjects: list[str] | None = None) -> list[Remediation]:
    query = sa.select(Remediation).order_by(Remediation.id.desc())
    if status is not None:
        query = query.where(Remediation.status == status)
    if subjects is not None:
        query = query.where(Remediation.subject.in_(subjects))
    return list(session.scalars(query.limit(200)))
