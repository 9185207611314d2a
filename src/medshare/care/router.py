"""JSON API of tiered care: referrals, condition policies, teleconsultations, family doctors and night care."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import AwareDatetime

from medshare.audit.service import record_event
from medshare.care import family, nightcare, referrals, teleconsults
from medshare.care import policy as policies
from medshare.care.schemas import (
    CarePlanIn,
    ContractIn,
    ContractOut,
    DeclineIn,
    EscalateIn,
    FiguresOut,
    FollowUpIn,
    FollowUpOut,
    GapOut,
    MessageIn,
    MessageOut,
    NightRequestIn,
    NightRequestOut,
    NoteIn,
    OpinionIn,
    PolicyIn,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    RenewIn,
    ShiftIn,
    ShiftOut,
    SuggestionOut,
    TeamIn,
    TeamOut,
    TeleconsultIn,
    TeleconsultOut,
)
from medshare.deps import AuditedReadSessionDep, CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["tiered care"])
Referrer = Annotated[Principal, require(Permission.REFERRAL_WRITE)]
Requester = Annotated[Principal, require(Permission.TELECONSULT_REQUEST)]
Specialist = Annotated[Principal, require(Permission.TELECONSULT_ANSWER)]
FamilyDoctor = Annotated[Principal, require(Permission.FAMILY_DOCTOR_WRITE)]
RotaManager = Annotated[Principal, require(Permission.ROTA_WRITE)]
NightPatient = Annotated[Principal, require(Permission.NIGHT_CARE_REQUEST)]
OnCall = Annotated[Principal, require(Permission.NIGHT_CARE_ANSWER)]


# Referrals -------------------------------------------------------------------------------------------------


@router.get("/referral-policies", summary="Referral criteria per condition (the region's, else the defaults)")
def list_policies(session: SessionDep, principal: CurrentPrincipal) -> list[dict]:
    return [p.as_dict() for p in policies.policies(session).values()]


@router.put("/referral-policies/{condition}", summary="Set one condition's referral policy (regulator)")
def put_policy(session: SessionDep, condition: str, data: PolicyIn,
               actor: Annotated[Principal, require(Permission.CARE_POLICY_WRITE)]) -> dict:
    return policies.set_policy(session, actor, condition, data.model_dump()).as_dict()


@router.post("/referrals", response_model=ReferralOut, status_code=status.HTTP_201_CREATED,
             summary="Draft a referral of one of your institution's patients")
def create_referral(session: SessionDep, data: ReferralIn, actor: Referrer):
    return ReferralOut.model_validate(referrals.create_referral(session, actor, data))


@router.get("/referrals", response_model=Page[ReferralOut], summary="Referral inbox (received) or outbox (sent)")
def list_referrals(session: AuditedReadSessionDep, page: PageParams, actor: Referrer,
                   box: Literal["inbox", "outbox"] = "inbox",
                   status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
                   escalated: bool | None = None):
    rows, total = referrals.list_referrals(session, actor, box=box, status=status_, escalated=escalated, **page)
    for r in rows:
        record_event(session, actor, "referral.read", "referral", r.id, institution_id=actor.institution_id,
                     patient_record_id=r.patient_record_id, details={"via": box})
    return Page(items=[ReferralOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/referrals/figures", response_model=FiguresOut,
            summary="Up/down volumes and ratio, time to accept, share treated within the county")
def referral_figures(session: SessionDep, actor: Annotated[Principal, require(Permission.CARE_FIGURES_READ)],
                     start: AwareDatetime, end: AwareDatetime, institution_id: int | None = None):
    return FiguresOut(**referrals.figures(session, actor, start=start, end=end, institution_id=institution_id))


@router.get("/referrals/{referral_id}", response_model=ReferralOut, summary="Read a referral and its timeline")
def read_referral(session: AuditedReadSessionDep, referral_id: int, actor: Referrer):
    return ReferralOut.model_validate(referrals.read_referral(session, actor, referral_id))


@router.patch("/referrals/{referral_id}", response_model=ReferralOut, summary="Change a draft referral")
def update_referral(session: SessionDep, referral_id: int, patch: ReferralPatch, actor: Referrer):
    referral = referrals.get_referral(session, referral_id)
    return ReferralOut.model_validate(referrals.update_referral(session, actor, referral, patch))


@router.get("/referrals/{referral_id}/suggestions", response_model=list[SuggestionOut],
            summary="Receiving institutions ranked by capability, capacity, distance and medical community")
def suggestions(session: SessionDep, referral_id: int, actor: Referrer,
                limit: Annotated[int, Query(ge=1, le=50)] = 10):
    referral = referrals.get_referral(session, referral_id)
    return [SuggestionOut(institution_id=s.institution_id, name=name, score=s.score, capability=s.capability,
                          capacity=s.capacity, distance_km=s.distance_km, same_community=s.same_community,
                          reasons=list(s.reasons))
            for s, name in referrals.suggest_targets(session, actor, referral, limit=limit)]


def _step(session, referral_id: int, actor: Principal, action: str, **extra):
    referral = referrals.get_referral(session, referral_id)
    return ReferralOut.model_validate(referrals.transition(session, actor, referral, action, **extra))


@router.post("/referrals/{referral_id}/send", response_model=ReferralOut, summary="Send a draft (its timer starts)")
def send(session: SessionDep, referral_id: int, actor: Referrer):
    return _step(session, referral_id, actor, "send")


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut, summary="Accept a received referral")
def accept(session: SessionDep, referral_id: int, actor: Referrer, data: NoteIn | None = None):
    return _step(session, referral_id, actor, "accept", note=data.note if data else "")


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut,
             summary="Decline a received referral, stating the reason")
def decline(session: SessionDep, referral_id: int, data: DeclineIn, actor: Referrer):
    return _step(session, referral_id, actor, "decline", reason=data.reason)


@router.post("/referrals/{referral_id}/arrive", response_model=ReferralOut, summary="Record the patient's arrival")
def arrive(session: SessionDep, referral_id: int, actor: Referrer):
    return _step(session, referral_id, actor, "arrive")


@router.post("/referrals/{referral_id}/complete", response_model=ReferralOut, summary="Record treatment complete")
def complete(session: SessionDep, referral_id: int, actor: Referrer):
    return _step(session, referral_id, actor, "complete")


@router.post("/referrals/{referral_id}/cancel", response_model=ReferralOut, summary="Withdraw a referral")
def cancel(session: SessionDep, referral_id: int, actor: Referrer, data: NoteIn | None = None):
    return _step(session, referral_id, actor, "cancel", note=data.note if data else "")


@router.post("/referrals/{referral_id}/down-refer", response_model=ReferralOut,
             summary="Hand the patient back to primary care with a care plan")
def down_refer(session: SessionDep, referral_id: int, data: CarePlanIn, actor: Referrer):
    referral = referrals.get_referral(session, referral_id)
    return ReferralOut.model_validate(referrals.down_refer(session, actor, referral, data))


# Teleconsultation --------------------------------------------------------------------------------------------


@router.post("/teleconsults", response_model=TeleconsultOut, status_code=status.HTTP_201_CREATED,
             summary="Request a teleconsultation; assigned to the region's least-loaded free specialist")
def request_teleconsult(session: SessionDep, data: TeleconsultIn, actor: Requester):
    return TeleconsultOut.model_validate(teleconsults.request_teleconsult(session, actor, data))


@router.get("/teleconsults", response_model=Page[TeleconsultOut],
            summary="Consultations requested by your institution, or assigned to you as specialist")
def list_teleconsults(session: AuditedReadSessionDep, page: PageParams, actor: CurrentPrincipal,
                      side: Literal["requested", "assigned"] = "requested",
                      status_: Annotated[str | None, Query(alias="status", max_length=20)] = None):
    rows, total = teleconsults.list_teleconsults(session, actor, side=side, status=status_, **page)
    for tc in rows:
        record_event(session, actor, "teleconsult.read", "teleconsult", tc.id, institution_id=actor.institution_id,
                     patient_record_id=tc.patient_record_id, details={"via": side})
    return Page(items=[TeleconsultOut.model_validate(t) for t in rows], total=total, **page)


@router.get("/teleconsults/{teleconsult_id}", response_model=TeleconsultOut, summary="Read a teleconsultation")
def read_teleconsult(session: AuditedReadSessionDep, teleconsult_id: int, actor: CurrentPrincipal):
    return TeleconsultOut.model_validate(teleconsults.read_teleconsult(session, actor, teleconsult_id))


@router.post("/teleconsults/{teleconsult_id}/opinion", response_model=TeleconsultOut,
             summary="The assigned specialist's opinion, signed; posts the fee")
def opinion(request: Request, session: SessionDep, teleconsult_id: int, data: OpinionIn, actor: Specialist):
    tc = teleconsults.get_teleconsult(session, teleconsult_id)
    return TeleconsultOut.model_validate(teleconsults.give_opinion(
        session, actor, tc, data.opinion, secret=request.app.state.settings.resolved_secret_key()))


@router.post("/teleconsults/{teleconsult_id}/cancel", response_model=TeleconsultOut,
             summary="Withdraw an unanswered request")
def cancel_teleconsult(session: SessionDep, teleconsult_id: int, actor: Requester):
    tc = teleconsults.get_teleconsult(session, teleconsult_id)
    return TeleconsultOut.model_validate(teleconsults.cancel_teleconsult(session, actor, tc))


# Family doctors ---------------------------------------------------------------------------------------------


def _team_out(team) -> TeamOut:
    out = TeamOut.model_validate(team)
    out.member_ids = [m.practitioner_id for m in team.members]
    return out


@router.post("/care-teams", response_model=TeamOut, status_code=status.HTTP_201_CREATED,
             summary="Form a family-doctor team at a primary-care institution")
def create_team(session: SessionDep, data: TeamIn, actor: FamilyDoctor):
    return _team_out(family.create_team(session, actor, data))


@router.get("/care-teams", response_model=list[TeamOut], summary="Family-doctor teams")
def list_teams(session: SessionDep, actor: FamilyDoctor, institution_id: int | None = None):
    return [_team_out(t) for t in family.list_teams(session, actor, institution_id=institution_id)]


@router.get("/care-teams/{team_id}/panel", summary="A team's panel: contracts, follow-ups due and overdue")
def team_panel(session: AuditedReadSessionDep, team_id: int, actor: FamilyDoctor, page: PageParams,
               state: Literal["due", "overdue", "all"] = "all") -> dict:
    result = family.panel(session, actor, family.get_team(session, team_id),
                          state=None if state == "all" else state, **page)
    for _f, contract, _s in result["follow_ups"]:
        record_event(session, actor, "care.contract.read", "care_contract", contract.id,
                     patient_record_id=contract.patient_record_id, details={"via": "panel"})
    return {"team": _team_out(result["team"]), "contracts": result["contracts"], "due": result["due"],
            "overdue": result["overdue"], "renewals_due": result["renewals_due"], "total": result["total"],
            "follow_ups": [FollowUpOut.model_validate(f).model_copy(update={"state": s.value}).model_dump(mode="json")
                           | {"patient_record_id": c.patient_record_id} for f, c, s in result["follow_ups"]]}


@router.post("/care-contracts", response_model=ContractOut, status_code=status.HTTP_201_CREATED,
             summary="Sign a resident with a family-doctor team")
def create_contract(session: SessionDep, data: ContractIn, actor: FamilyDoctor):
    return ContractOut.model_validate(family.create_contract(session, actor, data))


@router.post("/care-contracts/{contract_id}/renew", response_model=ContractOut, status_code=status.HTTP_201_CREATED,
             summary="Renew a contract in its last 60 days")
def renew_contract(session: SessionDep, contract_id: int, data: RenewIn, actor: FamilyDoctor):
    return ContractOut.model_validate(family.renew_contract(session, actor, family.get_contract(session, contract_id),
                                                            data))


@router.post("/follow-ups/{follow_up_id}/record", response_model=FollowUpOut,
             summary="Record a chronic-disease follow-up; the next is scheduled and the criteria assessed")
def record_follow_up(session: SessionDep, follow_up_id: int, data: FollowUpIn, actor: FamilyDoctor):
    follow_up, assessment = family.record_follow_up(session, actor, family.get_follow_up(session, follow_up_id), data)
    suggested = f"{assessment.direction.value}:{assessment.urgency.value}" if assessment.direction else None
    return FollowUpOut.model_validate(follow_up).model_copy(update={"state": "done",
                                                                    "suggested_referral": suggested})


# Night care ------------------------------------------------------------------------------------------------


@router.post("/night-shifts", response_model=ShiftOut, status_code=status.HTTP_201_CREATED,
             summary="Put a doctor on the night-care rota")
def add_shift(session: SessionDep, data: ShiftIn, actor: RotaManager):
    return ShiftOut.model_validate(nightcare.add_shift(session, actor, data))


@router.get("/night-shifts", response_model=list[ShiftOut], summary="The rota between two instants")
def list_shifts(session: SessionDep, actor: CurrentPrincipal, start: AwareDatetime,
                days: Annotated[int, Query(ge=1, le=31)] = 7, institution_id: int | None = None):
    return [ShiftOut.model_validate(s) for s in nightcare.list_shifts(
        session, start=start, end=start + dt.timedelta(days=days), institution_id=institution_id)]


@router.post("/night-shifts/{shift_id}/cancel", response_model=ShiftOut, summary="Take a shift off the rota")
def cancel_shift(session: SessionDep, shift_id: int, actor: RotaManager):
    return ShiftOut.model_validate(nightcare.cancel_shift(session, actor, nightcare.get_shift(session, shift_id)))


@router.get("/night-shifts/gaps", response_model=list[GapOut],
            summary="Coming nights' coverage gaps against the policy's doctors on call per specialty")
def gaps(session: SessionDep, actor: CurrentPrincipal, start: AwareDatetime | None = None,
         days: Annotated[int, Query(ge=1, le=31)] = 7):
    found = nightcare.coverage_gaps(session, start=start or dt.datetime.now(dt.UTC), days=days)
    return [GapOut(specialty=g.specialty, starts_at=g.starts_at, ends_at=g.ends_at, on_duty=g.on_duty,
                   needed=g.needed) for g in found]


@router.post("/night-requests", response_model=NightRequestOut, status_code=status.HTTP_201_CREATED,
             summary="Ask for night care online; routed to the on-duty doctor with the shortest queue")
def create_night_request(session: SessionDep, data: NightRequestIn, actor: NightPatient):
    return NightRequestOut.model_validate(nightcare.create_request(session, actor, data))


@router.get("/night-requests", response_model=Page[NightRequestOut], summary="The night-care queue")
def list_night_requests(session: AuditedReadSessionDep, page: PageParams, actor: CurrentPrincipal,
                        queue: Literal["mine", "waiting", "institution"] = "mine",
                        status_: Annotated[str | None, Query(alias="status", max_length=20)] = None):
    rows, total = nightcare.list_requests(session, actor, queue=queue, status=status_, **page)
    for r in rows:
        record_event(session, actor, "night_request.read", "night_request", r.id,
                     patient_record_id=r.patient_record_id, details={"via": queue})
    return Page(items=[NightRequestOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/night-requests/{request_id}", response_model=NightRequestOut, summary="A request and its thread")
def read_night_request(session: AuditedReadSessionDep, request_id: int, actor: CurrentPrincipal):
    return NightRequestOut.model_validate(nightcare.read_request(session, actor, request_id))


@router.post("/night-requests/{request_id}/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED,
             summary="Write in a request's thread")
def post_message(session: SessionDep, request_id: int, data: MessageIn, actor: CurrentPrincipal):
    request = nightcare.get_request(session, request_id)
    return MessageOut.model_validate(nightcare.post_message(session, actor, request, data.body))


@router.post("/night-requests/{request_id}/close", response_model=NightRequestOut,
             summary="Close a request answered online (its doctor)")
def close_night_request(session: SessionDep, request_id: int, actor: OnCall):
    request = nightcare.get_request(session, request_id)
    return NightRequestOut.model_validate(nightcare.close_request(session, actor, request))


@router.post("/night-requests/{request_id}/escalate", response_model=NightRequestOut,
             summary="Escalate to emergency transport (its doctor)")
def escalate(session: SessionDep, request_id: int, data: EscalateIn, actor: OnCall):
    request = nightcare.get_request(session, request_id)
    return NightRequestOut.model_validate(nightcare.escalate(session, actor, request, data))
