"""Family doctors: primary-care teams, residents' contracts (service package, term, renewal), the team's
panel, and the chronic-disease follow-ups due and overdue, whose results feed the referral criteria."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.audit.service import record_event
from medshare.care import common, rules
from medshare.care import policy as policies
from medshare.care.models import Contract, ContractStatus, FollowUp, Team, TeamMember
from medshare.care.schemas import ContractIn, FollowUpIn, RenewIn, TeamIn
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of

PACKAGES = ("basic", "chronic", "elderly", "maternal_child", "disability")
RENEWAL_WINDOW = dt.timedelta(days=60)


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id, options=[selectinload(Team.members)])
    if team is None:
        raise NotFound(f"family-doctor team {team_id} does not exist")
    return team


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(f"contract {contract_id} does not exist")
    return contract


def get_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    found = session.get(FollowUp, follow_up_id)
    if found is None:
        raise NotFound(f"follow-up {follow_up_id} does not exist")
    return found


def create_team(session: Session, actor: Principal, data: TeamIn, *, today: dt.date | None = None) -> Team:
    """A family-doctor team of a primary-care institution; its leader and members practise there."""
    authorize(actor, Permission.FAMILY_DOCTOR_WRITE, institutions=[data.institution_id])
    home = common.institution(session, data.institution_id, "institution_id")
    if home.type not in common.PRIMARY_CARE:
        raise InvalidInput.on("institution_id", "primary-care-team",
                              "family-doctor teams belong to community or township health centres, primary "
                              "hospitals or village clinics")
    today = today or utcnow().date()
    ids = [data.leader_id, *[m for m in data.member_ids if m != data.leader_id]]
    for i, pid in enumerate(ids):
        field = "leader_id" if i == 0 else "member_ids"
        person = common.practitioner(session, pid, field)
        if home.id not in common.sites_of(session, person, today):
            raise InvalidInput.on(field, "member-practises-here",
                                  f"practitioner {pid} does not practise at institution {home.id}")
    team = Team(institution_id=home.id, name=data.name, leader_id=data.leader_id, capacity=data.capacity,
                members=[TeamMember(practitioner_id=pid) for pid in dict.fromkeys(ids)])
    session.add(team)
    session.flush()
    record_event(session, actor, "care.team.create", "care_team", team.id, institution_id=home.id,
                 details={"members": len(team.members)})
    return team


def list_teams(session: Session, actor: Principal, *, institution_id: int | None = None) -> list[Team]:
    query = sa.select(Team).options(selectinload(Team.members)).where(Team.active.is_(True))
    scope = scope_of(actor, Permission.FAMILY_DOCTOR_WRITE)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.FAMILY_DOCTOR_WRITE.value}")
    if scope is not Scope.ANY:
        institution_id = actor.institution_id
    if institution_id is not None:
        query = query.where(Team.institution_id == institution_id)
    return list(session.scalars(query.order_by(Team.id)))


def _schedule(contract: Contract, condition: str, due: dt.date) -> FollowUp:
    return FollowUp(contract_id=contract.id, condition=condition, due_on=due)


def create_contract(session: Session, actor: Principal, data: ContractIn, *, today: dt.date | None = None
                    ) -> Contract:
    """Sign a resident with a team for a term; the first follow-up of each chronic condition is scheduled."""
    today = today or utcnow().date()
    team = get_team(session, data.team_id)
    authorize(actor, Permission.FAMILY_DOCTOR_WRITE, institutions=[team.institution_id])
    record = common.patient(session, data.patient_record_id)
    if record.institution_id != team.institution_id:
        raise InvalidInput.on("patient_record_id", "patient-of-team-institution",
                              "a team signs residents registered at its own institution")
    if data.package not in PACKAGES:
        raise InvalidInput.on("package", "known-package", f"the service packages are {', '.join(PACKAGES)}")
    known = policies.policies(session)
    for condition in data.conditions:
        if condition not in known:
            raise InvalidInput.on("conditions", "known-condition", f"{condition!r} is not a known chronic condition")
    records = common.same_person_records(session, record.id)
    if session.scalar(sa.select(Contract.id).where(Contract.patient_record_id.in_(records),
                                                   Contract.status == ContractStatus.ACTIVE).limit(1)):
        raise Conflict.on("patient_record_id", "one-active-contract",
                          "the resident already has an active family-doctor contract")
    active = session.scalar(sa.select(sa.func.count()).select_from(Contract).where(
        Contract.team_id == team.id, Contract.status == ContractStatus.ACTIVE)) or 0
    if active >= team.capacity:
        raise Conflict.on("team_id", "team-capacity", f"the team holds its full {team.capacity} contracts")
    start = data.starts_on or today
    contract = Contract(team_id=team.id, patient_record_id=record.id, package=data.package,
                        conditions=sorted(set(data.conditions)), starts_on=start,
                        ends_on=rules.contract_end(start, data.months))
    session.add(contract)
    session.flush()
    for condition in contract.conditions:
        session.add(_schedule(contract, condition, start + dt.timedelta(days=known[condition].follow_up_days)))
    session.flush()
    record_event(session, actor, "care.contract.create", "care_contract", contract.id,
                 institution_id=team.institution_id, patient_record_id=record.id,
                 details={"package": contract.package, "conditions": len(contract.conditions)})
    return contract


def renew_contract(session: Session, actor: Principal, contract: Contract, data: RenewIn, *,
                   today: dt.date | None = None) -> Contract:
    """Renew an active contract in its last 60 days (or after it lapsed): a new term from the day after."""
    today = today or utcnow().date()
    team = get_team(session, contract.team_id)
    authorize(actor, Permission.FAMILY_DOCTOR_WRITE, institutions=[team.institution_id])
    if contract.status is not ContractStatus.ACTIVE:
        raise Conflict.on("status", "renew-active-contract", f"only an active contract is renewed; this one is "
                                                             f"{contract.status.value}")
    if today < contract.ends_on - RENEWAL_WINDOW:
        raise Conflict.on("ends_on", "renewal-window", f"a contract is renewed in its last "
                                                       f"{RENEWAL_WINDOW.days} days (from "
                                                       f"{contract.ends_on - RENEWAL_WINDOW})")
    package = data.package or contract.package
    if package not in PACKAGES:
        raise InvalidInput.on("package", "known-package", f"the service packages are {', '.join(PACKAGES)}")
    start = max(contract.ends_on + dt.timedelta(days=1), today)
    contract.status = ContractStatus.RENEWED
    renewal = Contract(team_id=contract.team_id, patient_record_id=contract.patient_record_id, package=package,
                       conditions=list(contract.conditions), starts_on=start,
                       ends_on=rules.contract_end(start, data.months), renewed_from_id=contract.id)
    session.add(renewal)
    session.flush()
    session.execute(sa.update(FollowUp).where(FollowUp.contract_id == contract.id, FollowUp.done_at.is_(None))
                    .values(contract_id=renewal.id))
    record_event(session, actor, "care.contract.renew", "care_contract", renewal.id,
                 institution_id=team.institution_id, patient_record_id=contract.patient_record_id,
                 details={"renewed_from": contract.id})
    return renewal


def expire_contracts(session: Session, *, today: dt.date | None = None) -> int:
    """End the contracts whose term is over."""
    today = today or utcnow().date()
    result = session.execute(sa.update(Contract).where(Contract.status == ContractStatus.ACTIVE,
                                                       Contract.ends_on < today).values(status=ContractStatus.ENDED))
    return result.rowcount or 0


def uncontrolled_streak(session: Session, contract_id: int, condition: str) -> int:
    """How many of the latest follow-ups of condition, in a row, found it not controlled."""
    done = session.scalars(sa.select(FollowUp.controlled).where(
        FollowUp.contract_id == contract_id, FollowUp.condition == condition, FollowUp.done_at.is_not(None))
        .order_by(FollowUp.done_at.desc(), FollowUp.id.desc()).limit(10)).all()
    streak = 0
    for controlled in done:
        if controlled:
            break
        streak += 1
    return streak


def record_follow_up(session: Session, actor: Principal, follow_up: FollowUp, data: FollowUpIn, *,
                     now: dt.datetime | None = None) -> tuple[FollowUp, rules.Assessment]:
    """Record a follow-up's findings, schedule the next one, and assess them against the referral criteria
    (two uncontrolled follow-ups in a row recommend a routine up-referral)."""
    now = now or utcnow()
    contract = get_contract(session, follow_up.contract_id)
    team = get_team(session, contract.team_id)
    authorize(actor, Permission.FAMILY_DOCTOR_WRITE, institutions=[team.institution_id])
    if follow_up.done_at is not None:
        raise Conflict.on("done_at", "follow-up-once", "this follow-up is already recorded")
    follow_up.done_at = now
    follow_up.controlled = data.controlled
    follow_up.observations = dict(data.observations)
    follow_up.by_practitioner_id = actor.practitioner_id
    session.flush()
    policy = policies.policies(session).get(follow_up.condition)
    observations = {**data.observations,
                    "uncontrolled_follow_ups": uncontrolled_streak(session, contract.id, follow_up.condition)}
    assessment = rules.assess(policy, observations) if policy else rules.Assessment((), None, None)
    if contract.status is ContractStatus.ACTIVE and policy is not None:
        session.add(_schedule(contract, follow_up.condition,
                              now.date() + dt.timedelta(days=policy.follow_up_days)))
    session.flush()
    record_event(session, actor, "care.follow_up.record", "care_follow_up", follow_up.id,
                 institution_id=team.institution_id, patient_record_id=contract.patient_record_id,
                 details={"controlled": data.controlled, "criteria_met": assessment.codes})
    return follow_up, assessment


def panel(session: Session, actor: Principal, team: Team, *, today: dt.date | None = None,
          state: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """A team's panel: its active contracts with each resident's next follow-up and its state, and the counts
    of follow-ups due and overdue."""
    today = today or utcnow().date()
    authorize(actor, Permission.FAMILY_DOCTOR_WRITE, institutions=[team.institution_id])
    pending = (sa.select(FollowUp).join(Contract, Contract.id == FollowUp.contract_id)
               .where(Contract.team_id == team.id, Contract.status == ContractStatus.ACTIVE,
                      FollowUp.done_at.is_(None)))
    due_by = today + dt.timedelta(days=14)
    overdue = session.scalar(sa.select(sa.func.count()).select_from(
        pending.where(FollowUp.due_on < today).subquery())) or 0
    due = session.scalar(sa.select(sa.func.count()).select_from(
        pending.where(FollowUp.due_on >= today, FollowUp.due_on <= due_by).subquery())) or 0
    contracts = session.scalar(sa.select(sa.func.count()).select_from(Contract).where(
        Contract.team_id == team.id, Contract.status == ContractStatus.ACTIVE)) or 0
    listing = pending
    if state == "overdue":
        listing = pending.where(FollowUp.due_on < today)
    elif state == "due":
        listing = pending.where(FollowUp.due_on >= today, FollowUp.due_on <= due_by)
    total = session.scalar(sa.select(sa.func.count()).select_from(listing.subquery())) or 0
    rows = session.scalars(listing.order_by(FollowUp.due_on, FollowUp.id).limit(limit).offset(offset)).all()
    contract_of = {c.id: c for c in session.scalars(sa.select(Contract).where(
        Contract.id.in_({f.contract_id for f in rows})))} if rows else {}
    renewals_due = session.scalar(sa.select(sa.func.count()).select_from(Contract).where(
        Contract.team_id == team.id, Contract.status == ContractStatus.ACTIVE,
        Contract.ends_on <= today + RENEWAL_WINDOW)) or 0
    return {"team": team, "contracts": contracts, "due": due, "overdue": overdue, "renewals_due": renewals_due,
            "follow_ups": [(f, contract_of[f.contract_id], rules.follow_up_state(f.due_on, False, today))
                           for f in rows], "total": total, "capacity": team.capacity}
