"""Referrals up and down between institutions: drafts, the pathway's transitions, suggested targets, answer
timers that escalate, the care plan handed back to primary care, the region's figures, and the care
relationship that opens the attached records to the receiver while the referral is live."""

from __future__ import annotations

import datetime as dt
import statistics

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.assets.models import Asset
from medshare.audit.service import record_event
from medshare.care import common, rules
from medshare.care import policy as policies
from medshare.care.models import Contract, ContractStatus, FollowUp, Referral, ReferralEvent, Team
from medshare.care.rules import Direction, ReferralStatus, Urgency
from medshare.care.schemas import CarePlanIn, ReferralIn, ReferralPatch
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.geo import distance_km
from medshare.identity.models import PersonLink
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.records import access
from medshare.registry.models import CommunityMembership, Institution, InstitutionStatus, Practitioner, Registration
from medshare.supervision.standing import blacklisted_among, ensure_in_good_standing


def get_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id, options=[selectinload(Referral.events)])
    if referral is None:
        raise NotFound(f"referral {referral_id} does not exist")
    return referral


def _check_party(actor: Principal, referral: Referral) -> None:
    authorize(actor, Permission.REFERRAL_WRITE, institutions=[referral.from_institution_id,
                                                              referral.to_institution_id])


def read_referral(session: Session, actor: Principal, referral_id: int, *, now: dt.datetime | None = None
                  ) -> Referral:
    """A referral the actor's institution sent or received (its timer checked first); an audited read."""
    referral = get_referral(session, referral_id)
    _check_party(actor, referral)
    check_timers(session, now=now, referral_ids=[referral.id])
    record_event(session, actor, "referral.read", "referral", referral.id, institution_id=actor.institution_id,
                 patient_record_id=referral.patient_record_id)
    return referral


def _event(session: Session, referral: Referral, actor: Principal | None, action: str, now: dt.datetime,
           note: str = "") -> None:
    referral.events.append(ReferralEvent(at=now, action=action, status=referral.status.value,
                                         actor_user_id=actor.user_id if actor else None, note=note[:500]))
    session.flush()
    record_event(session, actor, f"referral.{action}", "referral", referral.id,
                 institution_id=referral.to_institution_id if rules.TRANSITIONS.get(action, ("", "", "sender"))[2]
                 == "receiver" else referral.from_institution_id,
                 patient_record_id=referral.patient_record_id, details={"status": referral.status.value})


def _check_target(session: Session, referral: Referral, to_institution_id: int) -> Institution:
    target = common.institution(session, to_institution_id, "to_institution_id")
    ensure_in_good_standing(session, institution_id=target.id, action="receive_referrals")
    if target.id == referral.from_institution_id:
        raise InvalidInput.on("to_institution_id", "another-institution", "a referral goes to another institution")
    if target.type not in common.CARE_TYPES:
        raise InvalidInput.on("to_institution_id", "care-institution",
                              f"a {target.type.value} does not receive referred patients")
    return target


def create_referral(session: Session, actor: Principal, data: ReferralIn, *, now: dt.datetime | None = None
                    ) -> Referral:
    """A draft referral of a patient of the actor's institution, with the criteria its observations meet."""
    now = now or utcnow()
    record = common.patient(session, data.patient_record_id)
    authorize(actor, Permission.REFERRAL_WRITE, institutions=[record.institution_id])
    policy = policies.policy_for(session, data.condition)
    assessment = rules.assess(policy, data.observations)
    referral = Referral(
        patient_record_id=record.id, condition=policy.code,
        direction=data.direction or assessment.direction or Direction.UP,
        urgency=data.urgency or assessment.urgency or Urgency.ROUTINE,
        from_institution_id=record.institution_id,
        from_practitioner_id=actor.practitioner_id if actor.institution_id == record.institution_id else None,
        to_specialty=data.to_specialty or policy.specialty, summary=data.summary,
        observations=dict(data.observations), criteria_met=assessment.codes, attachments=list(data.attachments),
        created_by_user_id=actor.user_id, status=ReferralStatus.DRAFT)
    if data.to_institution_id is not None:
        _check_target(session, referral, data.to_institution_id)
        referral.to_institution_id = data.to_institution_id
    session.add(referral)
    session.flush()
    _event(session, referral, actor, "create", now)
    return referral


def update_referral(session: Session, actor: Principal, referral: Referral, patch: ReferralPatch, *,
                    now: dt.datetime | None = None) -> Referral:
    """Change a draft: its target, specialty, summary, urgency or attachments."""
    authorize(actor, Permission.REFERRAL_WRITE, institutions=[referral.from_institution_id])
    if referral.status is not ReferralStatus.DRAFT:
        raise Conflict.on("status", "referral-edit-draft", f"only a draft is edited; this one is "
                                                           f"{referral.status.value}")
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("to_institution_id") is not None:
        _check_target(session, referral, changes["to_institution_id"])
    for key, value in changes.items():
        if key in ("urgency", "to_specialty", "summary", "attachments") and value is None:
            raise InvalidInput.on(key, "required", "cannot be emptied")
        setattr(referral, key, value)
    session.flush()
    _event(session, referral, actor, "update", now or utcnow(), note=",".join(sorted(changes)))
    return referral


def _authorize_side(actor: Principal, referral: Referral, action: str) -> None:
    side = rules.side_of(action)
    institution = referral.from_institution_id if side == "sender" else referral.to_institution_id
    try:
        authorize(actor, Permission.REFERRAL_WRITE, institutions=[institution])
    except Forbidden:
        if actor.institution_id in (referral.from_institution_id, referral.to_institution_id):
            other = "receiving" if side == "receiver" else "sending"
            raise Forbidden(f"referral-{action.replace('_', '-')}-by-{side}: only the {other} institution may "
                            f"{action.replace('_', '-')} a referral") from None
        raise


def transition(session: Session, actor: Principal, referral: Referral, action: str, *,
               reason: str = "", note: str = "", now: dt.datetime | None = None) -> Referral:
    """Move a referral one step along its pathway (send, accept, decline, arrive, complete, cancel)."""
    now = now or utcnow()
    if action == "down_refer":
        raise InvalidInput.on("action", "referral-down-refer-plan", "down-referral needs a care plan")
    _authorize_side(actor, referral, action)
    check_timers(session, now=now, referral_ids=[referral.id])
    target = rules.next_status(referral.status, action)
    if action == "send":
        _check_sendable(session, referral)
        referral.sent_at = now
        referral.answer_due_at = now + rules.ANSWER_LIMITS[referral.urgency]
    elif action in ("accept", "decline"):
        if action == "decline" and not reason.strip():
            raise InvalidInput.on("reason", "referral-decline-reason", "a declined referral states its reason")
        referral.answered_at = now
        referral.decline_reason = reason.strip()
    elif action == "arrive":
        referral.arrived_at = now
    elif action == "complete":
        referral.completed_at = now
    referral.status = target
    _event(session, referral, actor, action, now, note=reason or note)
    return referral


def _check_sendable(session: Session, referral: Referral) -> None:
    if referral.to_institution_id is None:
        raise InvalidInput.on("to_institution_id", "referral-send-target", "choose the receiving institution first")
    target = _check_target(session, referral, referral.to_institution_id)
    source = session.get(Institution, referral.from_institution_id)
    if referral.direction is Direction.UP and common.level_of(target) <= common.level_of(source):
        raise InvalidInput.on("to_institution_id", "up-referral-higher-level",
                              "an up-referral goes to an institution of a higher level of care")
    if referral.direction is Direction.DOWN and common.level_of(target) >= common.level_of(source):
        raise InvalidInput.on("to_institution_id", "down-referral-lower-level",
                              "a down-referral goes to an institution of a lower level of care")


def _team_for(session: Session, referral: Referral, team_id: int | None) -> Team:
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or not team.active:
            raise InvalidInput.on("primary_team_id", "exists", f"family-doctor team {team_id} does not exist")
        return team
    records = common.same_person_records(session, referral.patient_record_id)
    team = session.scalar(sa.select(Team).join(Contract, Contract.team_id == Team.id).where(
        Contract.patient_record_id.in_(records), Contract.status == ContractStatus.ACTIVE, Team.active.is_(True))
        .order_by(Contract.starts_on.desc()).limit(1))
    if team is None:
        raise InvalidInput.on("primary_team_id", "primary-team-required",
                              "the patient has no family-doctor contract: name the primary-care team")
    return team


def down_refer(session: Session, actor: Principal, referral: Referral, plan: CarePlanIn, *,
               now: dt.datetime | None = None) -> Referral:
    """Hand a completed patient back to primary care with a care plan; the team's next follow-up is scheduled."""
    now = now or utcnow()
    _authorize_side(actor, referral, "down_refer")
    target = rules.next_status(referral.status, "down_refer")
    if not plan.summary:
        raise InvalidInput.on("summary", "care-plan-required", "a down-referral hands over a care plan summary")
    team = _team_for(session, referral, plan.primary_team_id)
    policy = policies.policies(session).get(referral.condition)
    days = plan.follow_up_days or (policy.follow_up_days if policy else 30)
    referral.care_plan = {"summary": plan.summary, "medications": plan.medications, "goals": plan.goals,
                          "follow_up_days": days}
    referral.primary_team_id = team.id
    referral.down_referred_at = now
    referral.status = target
    records = common.same_person_records(session, referral.patient_record_id)
    contract = session.scalar(sa.select(Contract).where(
        Contract.team_id == team.id, Contract.patient_record_id.in_(records),
        Contract.status == ContractStatus.ACTIVE).limit(1))
    if contract is not None:
        session.add(FollowUp(contract_id=contract.id, condition=referral.condition,
                             due_on=(now + dt.timedelta(days=min(days, 14))).date(), source_referral_id=referral.id))
    _event(session, referral, actor, "down_refer", now, note=f"team:{team.id}")
    return referral


# Lists and timers ------------------------------------------------------------------------------------------------


def check_timers(session: Session, *, now: dt.datetime | None = None, referral_ids: list[int] | None = None
                 ) -> list[Referral]:
    """Escalate every sent referral left unanswered past its urgency's limit (once per limit run out)."""
    now = now or utcnow()
    query = sa.select(Referral).where(Referral.status == ReferralStatus.SENT, Referral.answer_due_at <= now)
    if referral_ids is not None:
        query = query.where(Referral.id.in_(referral_ids))
    escalated = []
    for referral in session.scalars(query.with_for_update() if session.bind.dialect.name == "postgresql"
                                    else query):
        level = rules.escalation_level(referral.sent_at, rules.ANSWER_LIMITS[referral.urgency], now)
        if level > referral.escalation_level:
            referral.escalation_level = level
            referral.escalated_at = now
            referral.events.append(ReferralEvent(at=now, action="escalate", status=referral.status.value,
                                                 note=f"level {level}"))
            record_event(session, None, "referral.escalate", "referral", referral.id,
                         institution_id=referral.to_institution_id, patient_record_id=referral.patient_record_id,
                         details={"level": level, "urgency": referral.urgency.value})
            escalated.append(referral)
    session.flush()
    return escalated


def list_referrals(session: Session, actor: Principal, *, box: str = "inbox", status: str | None = None,
                   escalated: bool | None = None, limit: int = 50, offset: int = 0,
                   now: dt.datetime | None = None) -> tuple[list[Referral], int]:
    """The actor's institution's received (inbox) or sent (outbox) referrals, newest first; timers checked."""
    scope = scope_of(actor, Permission.REFERRAL_WRITE)
    if scope is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.REFERRAL_WRITE.value}")
    check_timers(session, now=now)
    query = sa.select(Referral)
    column = Referral.to_institution_id if box == "inbox" else Referral.from_institution_id
    if scope is not Scope.ANY:
        query = query.where(column == actor.institution_id)
    if box == "inbox":
        query = query.where(Referral.status != ReferralStatus.DRAFT)
    if status:
        query = query.where(Referral.status == status)
    if escalated:
        query = query.where(Referral.escalation_level > 0, Referral.status == ReferralStatus.SENT)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Referral.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


# Suggestions -------------------------------------------------------------------------------------------------


def suggest_targets(session: Session, actor: Principal, referral: Referral, *, limit: int = 10,
                    now: dt.datetime | None = None) -> list[tuple[rules.Suggestion, str]]:
    """Receiving institutions ranked by capability, capacity, distance and medical community, with names."""
    authorize(actor, Permission.REFERRAL_WRITE, institutions=[referral.from_institution_id])
    now = now or utcnow()
    source = session.get(Institution, referral.from_institution_id)
    policy = policies.policies(session).get(referral.condition)
    specialty = referral.to_specialty or (policy.specialty if policy else "")
    equipment = list(policy.equipment) if policy else []
    today = now.date()
    institutions = session.scalars(sa.select(Institution).where(
        Institution.status == InstitutionStatus.ACTIVE, Institution.type.in_(common.CARE_TYPES),
        Institution.id != source.id)).all()
    # A blacklisted institution receives no referral, so it is never suggested.
    barred, _ = blacklisted_among(session, institution_ids=[i.id for i in institutions])
    institutions = [i for i in institutions if i.id not in barred]
    specialists: dict[int, int] = {}
    if specialty:
        doctors = sa.select(Practitioner.id).where(Practitioner.specialty == specialty,
                                                   Practitioner.active.is_(True))
        for inst, n in session.execute(sa.select(Practitioner.primary_institution_id, sa.func.count()).where(
                Practitioner.id.in_(doctors)).group_by(Practitioner.primary_institution_id)):
            specialists[inst] = specialists.get(inst, 0) + n
        for inst, n in session.execute(sa.select(Registration.institution_id, sa.func.count()).where(
                Registration.practitioner_id.in_(doctors), common.live_registration(today))
                .group_by(Registration.institution_id)):
            specialists[inst] = specialists.get(inst, 0) + n
    kit: dict[int, set[str]] = {}
    if equipment:
        for owner, modality in session.execute(sa.select(Asset.owner_institution_id, Asset.modality).where(
                Asset.active.is_(True), Asset.modality.in_(equipment)).distinct()):
            kit.setdefault(owner, set()).add(modality.value if hasattr(modality, "value") else str(modality))
    open_ = dict(session.execute(sa.select(Referral.to_institution_id, sa.func.count()).where(
        Referral.status.in_(rules.LIVE), Referral.to_specialty == specialty)
        .group_by(Referral.to_institution_id)).all())
    mine = set(session.scalars(sa.select(CommunityMembership.community_id).where(
        CommunityMembership.institution_id == source.id)))
    shared = set(session.scalars(sa.select(CommunityMembership.institution_id).where(
        CommunityMembership.community_id.in_(mine)))) if mine else set()
    slots = _next_slots(session, actor, equipment, source, now)
    candidates = []
    for inst in institutions:
        distance = None
        if None not in (source.latitude, source.longitude, inst.latitude, inst.longitude):
            distance = distance_km(source.latitude, source.longitude, inst.latitude, inst.longitude)
        candidates.append(rules.Candidate(
            institution_id=inst.id, level=common.level_of(inst), specialists=specialists.get(inst.id, 0),
            equipment=frozenset(kit.get(inst.id, set())), open_referrals=open_.get(inst.id, 0),
            next_slot_hours=slots.get(inst.id), distance_km=distance, same_community=inst.id in shared,
            same_county=inst.division_code == source.division_code))
    ranked = rules.rank_targets(candidates, direction=referral.direction, from_level=common.level_of(source),
                                specialty_needed=bool(specialty) and referral.direction is Direction.UP,
                                equipment=equipment if referral.direction is Direction.UP else [], limit=limit)
    names = common.names_of(session, [s.institution_id for s in ranked])
    return [(s, names.get(s.institution_id, "")) for s in ranked]


def _next_slots(session: Session, actor: Principal, equipment: list[str], source: Institution,
                now: dt.datetime) -> dict[int, float]:
    """Hours to each owner's earliest free slot of the first needed equipment, as the actor could book it."""
    if not equipment or source.latitude is None or not scope_of(actor, Permission.BOOKING_CREATE):
        return {}
    from medshare.assets import service as assets

    try:
        found = assets.search_slots(session, actor, modality=equipment[0], latitude=source.latitude,
                                    longitude=source.longitude, radius_km=80, days=14, limit=60, now=now)
    except (InvalidInput, Forbidden, Conflict):
        return {}
    out: dict[int, float] = {}
    for slot in found:
        owner = slot.get("owner_institution_id")
        hours = (slot["starts_at"] - now).total_seconds() / 3600
        if owner is not None and (owner not in out or hours < out[owner]):
            out[owner] = max(0.0, hours)
    return out


# Figures -------------------------------------------------------------------------------------------------------


def figures(session: Session, actor: Principal, *, start: dt.datetime, end: dt.datetime,
            institution_id: int | None = None) -> dict:
    """Up and down volumes and their ratio, time to accept, and the share treated within the county."""
    if institution_id is not None or scope_of(actor, Permission.CARE_FIGURES_READ) is not Scope.ANY:
        institution_id = institution_id or actor.institution_id
        authorize(actor, Permission.CARE_FIGURES_READ, institutions=[institution_id])
    sent = sa.select(Referral).where(Referral.sent_at >= start, Referral.sent_at < end)
    if institution_id is not None:
        sent = sent.where(sa.or_(Referral.from_institution_id == institution_id,
                                 Referral.to_institution_id == institution_id))
    rows = session.scalars(sent).all()
    handed_back = sa.select(sa.func.count()).select_from(Referral).where(
        Referral.down_referred_at >= start, Referral.down_referred_at < end)
    if institution_id is not None:
        handed_back = handed_back.where(sa.or_(Referral.from_institution_id == institution_id,
                                               Referral.to_institution_id == institution_id))
    up = sum(1 for r in rows if r.direction is Direction.UP)
    down = sum(1 for r in rows if r.direction is Direction.DOWN) + (session.scalar(handed_back) or 0)
    accepted = [r for r in rows if r.answered_at and not r.decline_reason and r.status is not ReferralStatus.SENT]
    waits = [(r.answered_at - r.sent_at).total_seconds() / 3600 for r in accepted]
    treated = [r for r in rows if r.arrived_at is not None]
    division = dict(session.execute(sa.select(Institution.id, Institution.division_code).where(
        Institution.id.in_({r.from_institution_id for r in treated} | {r.to_institution_id for r in treated})
    )).all()) if treated else {}
    within = sum(1 for r in treated if division.get(r.from_institution_id) == division.get(r.to_institution_id))
    return {"start": start, "end": end, "up": up, "down": down, "down_per_up": round(down / up, 3) if up else None,
            "accepted": len(accepted), "declined": sum(1 for r in rows if r.status is ReferralStatus.DECLINED),
            "escalated": sum(1 for r in rows if r.escalation_level > 0),
            "time_to_accept_hours_median": round(statistics.median(waits), 2) if waits else None,
            "time_to_accept_hours_mean": round(statistics.fmean(waits), 2) if waits else None,
            "treated": len(treated), "treated_within_county": within,
            "share_within_county": round(within / len(treated), 3) if treated else None}


# Records access -------------------------------------------------------------------------------------------------


def referral_care_source(actor, since: dt.datetime, until: dt.datetime) -> sa.Select:
    """Persons whose live referral (sent, accepted, arrived) the actor's institution receives: the care
    relationship that lets it read the records attached, and ends when the referral does."""
    live = sa.select(Referral.patient_record_id).where(Referral.to_institution_id == actor.institution_id,
                                                       Referral.status.in_(rules.LIVE))
    return sa.select(PersonLink.person_id).where(PersonLink.patient_record_id.in_(live))


access.register_care_source("referral", referral_care_source)
