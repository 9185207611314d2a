"""JSON API of regional exam scheduling: the waiting list, runs that propose, commits, instant slots.

Runs and commits solve and book synchronously in the route's worker thread (plain `def` routes
run in FastAPI's thread pool), so the event loop is never blocked by the solver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.scheduling import service as scheduling
from medshare.scheduling.rules import RequestStatus
from medshare.scheduling.schemas import (
    ExamRequestIn,
    ExamRequestOut,
    ExamRequestPatch,
    InstantIn,
    ProposalOut,
    RunIn,
    RunOut,
)
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["regional scheduling"])
Referrer = Annotated[Principal, require(Permission.EXAM_REQUEST_WRITE)]
Scheduler = Annotated[Principal, require(Permission.SCHEDULING_RUN)]


@router.post("/exam-requests", response_model=ExamRequestOut, status_code=status.HTTP_201_CREATED,
             summary="Put a patient on the regional waiting list for an exam")
def create_request(session: SessionDep, data: ExamRequestIn, actor: Referrer):
    return ExamRequestOut.model_validate(scheduling.create_request(session, actor, data))


@router.get("/exam-requests", response_model=Page[ExamRequestOut], summary="Exam requests the caller may see")
def list_requests(session: SessionDep, page: PageParams, actor: CurrentPrincipal,
                  status_: Annotated[RequestStatus | None, Query(alias="status")] = None):
    rows, total = scheduling.list_requests(session, actor, status=status_, **page)
    return Page(items=[ExamRequestOut.model_validate(r) for r in rows], total=total, **page)


@router.get("/exam-requests/{request_id}", response_model=ExamRequestOut, summary="Read an exam request")
def read_request(session: SessionDep, request_id: int, actor: CurrentPrincipal):
    request = scheduling.get_request(session, request_id)
    scheduling.check_may_read(session, actor, request)
    return ExamRequestOut.model_validate(request)


@router.patch("/exam-requests/{request_id}", response_model=ExamRequestOut, summary="Change an open exam request")
def update_request(session: SessionDep, request_id: int, patch: ExamRequestPatch, actor: Referrer):
    request = scheduling.get_request(session, request_id)
    return ExamRequestOut.model_validate(scheduling.update_request(session, actor, request, patch))


@router.post("/exam-requests/{request_id}/cancel", response_model=ExamRequestOut,
             summary="Take an exam request off the waiting list")
def cancel_request(session: SessionDep, request_id: int, actor: Referrer):
    request = scheduling.get_request(session, request_id)
    return ExamRequestOut.model_validate(scheduling.cancel_request(session, actor, request))


@router.post("/scheduling/runs", response_model=RunOut, status_code=status.HTTP_201_CREATED,
             summary="Propose slots for the open requests in scope (the region, a community's desk, an institution)")
def propose(session: SessionDep, data: RunIn, actor: Scheduler):
    run = scheduling.propose(session, actor, community_id=data.community_id, institution_id=data.institution_id,
                             horizon_days=data.horizon_days)
    return RunOut.model_validate(run)


@router.get("/scheduling/runs/{run_id}", response_model=RunOut,
            summary="A run's proposals, the reasons for the unassigned, and its figures against both baselines")
def read_run(session: SessionDep, run_id: int, actor: Scheduler):
    return RunOut.model_validate(scheduling.get_run(session, actor, run_id))


@router.post("/scheduling/runs/{run_id}/commit", response_model=RunOut,
             summary="Book a run's proposals; a slot taken since the proposal is re-planned, never double booked")
def commit(session: SessionDep, run_id: int, actor: Scheduler):
    run = scheduling.get_run(session, actor, run_id)
    return RunOut.model_validate(scheduling.commit(session, actor, run))


@router.post("/scheduling/instant", response_model=ProposalOut, summary="One request's best slot now (booked)")
def instant(session: SessionDep, data: InstantIn, actor: Referrer):
    request = scheduling.get_request(session, data.request_id)
    placement, booking = scheduling.instant(session, actor, request, book=data.book)
    return ProposalOut(request_id=request.id, asset_id=placement.asset.id if placement.asset else None,
                       exam_code=placement.exam_code, starts_at=placement.slot.start if placement.slot else None,
                       ends_at=placement.slot.end if placement.slot else None, distance_km=placement.distance_km,
                       wait_days=placement.wait_days, reason=placement.reason,
                       status="booked" if booking is not None else "proposed",
                       booking_id=booking.id if booking is not None else None)
