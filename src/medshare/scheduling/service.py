"""Use cases of regional exam scheduling: requests, runs that propose, commits that book, instant slots."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from medshare.accounts import service as accounts
from medshare.assets import booking as bookings
from medshare.assets import rules as asset_rules
from medshare.assets import service as assets
from medshare.assets.models import Asset
from medshare.assets.schemas import BookingIn
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.optim import scheduling as opt
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.registry import service as registry
from medshare.registry.models import CommunityMembership, Institution
from medshare.scheduling import rules
from medshare.scheduling.models import ExamRequest, Proposal, SchedulingRun
from medshare.scheduling.rules import DEFAULT_POLICY, RequestStatus, SchedulingPolicy
from medshare.scheduling.schemas import ExamRequestIn, ExamRequestPatch

Progress = Callable[[str], None]


def policy() -> SchedulingPolicy:
    """The region's scheduling policy (the defaults until the region sets its own)."""
    return DEFAULT_POLICY


# Requests ------------------------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> ExamRequest:
    request = session.get(ExamRequest, request_id)
    if request is None:
        raise NotFound(f"exam request {request_id} does not exist")
    return request


def _check_preferred_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is not None and session.get(Institution, owner_id) is None:
        raise InvalidInput.on("preferred_owner_institution_id", "exists", f"institution {owner_id} does not exist")


def create_request(session: Session, actor: Principal, data: ExamRequestIn, *,
                   now: dt.datetime | None = None) -> ExamRequest:
    """Put a patient on the region's waiting list for an exam."""
    now = now or utcnow()
    record = identity.load_patient_record(session, data.patient_record_id)
    authorize(actor, Permission.EXAM_REQUEST_WRITE, institutions=[record.institution_id])
    if actor.institution_id is None:
        raise Forbidden("only accounts of an institution refer patients for exams")
    rules.check_travel(data.max_travel_km)
    today = now.astimezone(assets.region_tz()).date()
    earliest = max(data.earliest_date or today, today)
    rules.check_earliest(earliest, today)
    _check_preferred_owner(session, data.preferred_owner_institution_id)
    if (data.latitude is None) != (data.longitude is None):
        raise InvalidInput.on("longitude", "both-or-neither", "give the patient's latitude and longitude together")
    request = ExamRequest(
        patient_record_id=record.id, referring_institution_id=record.institution_id, modality=data.modality,
        exam_code=data.exam_code, capabilities=sorted(set(data.capabilities)), urgency=data.urgency,
        requested_at=now, due_at=policy().due_at(data.urgency, now), earliest_date=earliest,
        max_travel_km=data.max_travel_km, latitude=data.latitude, longitude=data.longitude,
        prefer_own_hospital=data.prefer_own_hospital,
        preferred_owner_institution_id=data.preferred_owner_institution_id,
        created_by_user_id=actor.user_id, note=data.note)
    session.add(request)
    session.flush()
    record_event(session, actor, "exam_request.create", "exam_request", request.id,
                 institution_id=record.institution_id, patient_record_id=record.id,
                 details={"urgency": request.urgency.value, "modality": request.modality.value})
    return request


def _open(request: ExamRequest) -> None:
    if request.status is not RequestStatus.OPEN:
        raise Conflict.on("status", "open", f"the request is {request.status.value}, no longer open")


def update_request(session: Session, actor: Principal, request: ExamRequest, patch: ExamRequestPatch, *,
                   now: dt.datetime | None = None) -> ExamRequest:
    """Change an open request's urgency, dates, travel limit or preferences."""
    authorize(actor, Permission.EXAM_REQUEST_WRITE, institutions=[request.referring_institution_id])
    _open(request)
    changes = patch.model_dump(exclude_unset=True)
    if "max_travel_km" in changes:
        rules.check_travel(changes["max_travel_km"])
    if "preferred_owner_institution_id" in changes:
        _check_preferred_owner(session, changes["preferred_owner_institution_id"])
    if changes.get("earliest_date") is not None:
        rules.check_earliest(changes["earliest_date"], (now or utcnow()).astimezone(assets.region_tz()).date())
    for key, value in changes.items():
        if key in ("urgency", "earliest_date") and value is None:
            raise InvalidInput.on(key, "required", "cannot be emptied")
        setattr(request, key, value)
    if "urgency" in changes:
        request.due_at = policy().due_at(request.urgency, request.requested_at)
    session.flush()
    record_event(session, actor, "exam_request.update", "exam_request", request.id,
                 institution_id=request.referring_institution_id, patient_record_id=request.patient_record_id,
                 details={"fields": sorted(changes)})
    return request


def cancel_request(session: Session, actor: Principal, request: ExamRequest) -> ExamRequest:
    """Take an open request off the waiting list."""
    authorize(actor, Permission.EXAM_REQUEST_WRITE, institutions=[request.referring_institution_id])
    _open(request)
    request.status = RequestStatus.CANCELLED
    session.flush()
    record_event(session, actor, "exam_request.cancel", "exam_request", request.id,
                 institution_id=request.referring_institution_id, patient_record_id=request.patient_record_id)
    return request


def list_requests(session: Session, actor: Principal, *, status: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[ExamRequest], int]:
    """Requests the actor may see: all for region-wide schedulers, else their institution's."""
    query = sa.select(ExamRequest)
    scopes = [s for s in (scope_of(actor, Permission.EXAM_REQUEST_WRITE), scope_of(actor, Permission.SCHEDULING_RUN))
              if s is not None]
    if not scopes:
        raise Forbidden("the account may neither refer patients nor schedule exams")
    if max(scopes) is not Scope.ANY:
        query = query.where(ExamRequest.referring_institution_id == actor.institution_id)
    if status:
        query = query.where(ExamRequest.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(ExamRequest.requested_at, ExamRequest.id).limit(limit).offset(offset))
    return list(rows), total


def check_may_read(session: Session, actor: Principal, request: ExamRequest) -> None:
    """The referring institution's staff and region-wide schedulers see a request."""
    try:
        authorize(actor, Permission.EXAM_REQUEST_WRITE, institutions=[request.referring_institution_id])
    except Forbidden:
        authorize(actor, Permission.SCHEDULING_RUN, institutions=[request.referring_institution_id])


# The solver's view of the database -----------------------------------------------------------------------


@dataclass
class Batch:
    """Requests and assets turned into the solver's arrays, with what is needed to map answers back."""

    requests: list[ExamRequest]
    assets: list[Asset]
    instance: opt.Instance
    slots: dict[tuple[int, int], list[asset_rules.Interval]]  # (asset index, day) -> free slots, earliest first
    exam_codes: list[str]  # per asset: the exam booked when a request names none
    total_slots: np.ndarray
    asset_grade: np.ndarray
    day0: dt.date


def _bits(tokens: list[set[str]]) -> dict[str, int]:
    names = sorted(set().union(*tokens)) if tokens else []
    if len(names) > 62:
        raise InvalidInput.on("capabilities", "at-most-62", "a run handles at most 62 distinct required "
                              "capabilities and exam codes; schedule fewer requests at once")
    return {name: 1 << i for i, name in enumerate(names)}


def _mask(tokens: set[str], bits: dict[str, int]) -> int:
    return sum(bits[t] for t in tokens if t in bits)


def _day_slots(asset: Asset, minutes: int, day0: dt.date, days: int, now: dt.datetime,
               session: Session) -> tuple[list[list[asset_rules.Interval]], list[int]]:
    """Free slots per day of the horizon, and how many slots each day has in all (for utilisation)."""
    tz = assets.region_tz()
    start = dt.datetime.combine(day0, dt.time(0), tz).astimezone(dt.UTC)
    end = start + dt.timedelta(days=days)
    window = asset_rules.Interval(max(start, now + dt.timedelta(minutes=asset.min_lead_minutes)),
                                  min(end, now + dt.timedelta(days=asset.max_horizon_days)))
    free: list[list[asset_rules.Interval]] = [[] for _ in range(days)]
    total = [0] * days
    calendar = assets.calendar_of(asset)
    everything = asset_rules.Interval(start, end)
    for slot in asset_rules.free_slots(calendar, minutes, everything, ()):
        total[rules.day_index(slot.start, day0, tz)] += 1
    if window.end > window.start:
        taken = assets.taken_units(session, asset.id, window, now)
        for slot in asset_rules.free_slots(calendar, minutes, window, taken):
            free[rules.day_index(slot.start, day0, tz)].append(slot)
    return free, total


def build_batch(session: Session, requests: list[ExamRequest], *, now: dt.datetime, horizon_days: int,
                exclude: set[tuple[int, dt.datetime]] = frozenset()) -> Batch:
    """The requests and every active asset of their modalities as arrays; capacity from the real calendars."""
    tz = assets.region_tz()
    day0 = now.astimezone(tz).date()
    pol = policy()
    modalities = {r.modality for r in requests}
    asset_rows = list(session.scalars(
        sa.select(Asset).where(Asset.active.is_(True), Asset.modality.in_(modalities))
        .options(selectinload(Asset.hours), selectinload(Asset.exam_types), selectinload(Asset.blackouts))
        .order_by(Asset.id))) if modalities else []
    asset_rows = [a for a in asset_rows if a.exam_types]
    wanted = [set(r.capabilities) | ({f"exam:{r.exam_code}"} if r.exam_code else set()) for r in requests]
    bits = _bits(wanted)
    requested_codes = {r.exam_code for r in requests if r.exam_code}
    slots: dict[tuple[int, int], list[asset_rules.Interval]] = {}
    capacity = np.zeros((len(asset_rows), horizon_days), np.int64)
    total = np.zeros_like(capacity)
    codes = []
    for i, asset in enumerate(asset_rows):
        offered = {e.code: e.minutes for e in asset.exam_types}
        shortest = min(asset.exam_types, key=lambda e: (e.minutes, e.code))
        codes.append(shortest.code)
        # Slots as long as the longest exam the batch may book here, so any of them fits any slot.
        minutes = max([offered[c] for c in requested_codes if c in offered] + [shortest.minutes])
        free, all_slots = _day_slots(asset, minutes, day0, horizon_days, now, session)
        for d, day_free in enumerate(free):
            day_free = [s for s in day_free if (asset.id, s.start) not in exclude]
            slots[(i, d)] = day_free
            capacity[i, d] = len(day_free)
        total[i] = all_slots
    institutions = {r.referring_institution_id for r in requests} | {a.owner_institution_id for a in asset_rows}
    institutions |= {r.preferred_owner_institution_id for r in requests if r.preferred_owner_institution_id}
    inst_rows = {i.id: i for i in session.scalars(sa.select(Institution).where(Institution.id.in_(institutions)))}
    index = {iid: k for k, iid in enumerate(sorted(institutions))}
    groups = sorted({r.referring_institution_id for r in requests})
    policies = [assets.policy_of(session, a) for a in asset_rows]
    may_book = np.zeros((len(groups), len(asset_rows)), bool)
    for g, iid in enumerate(groups):
        inst = inst_rows[iid]
        requester = asset_rules.Requester(institution_id=iid, institution_type=inst.type.value,
                                          grade_level=inst.grade_level, communities=assets.communities_of(session, iid))
        for a, asset_policy in enumerate(policies):
            try:
                asset_rules.check_may_book(requester, asset_policy)
                may_book[g, a] = True
            except (Forbidden, InvalidInput):
                pass
    lat = [r.latitude if r.latitude is not None else inst_rows[r.referring_institution_id].latitude or 0.0
           for r in requests]
    lon = [r.longitude if r.longitude is not None else inst_rows[r.referring_institution_id].longitude or 0.0
           for r in requests]
    all_lat, all_lon = np.r_[lat, [a.latitude for a in asset_rows]], np.r_[lon, [a.longitude for a in asset_rows]]
    origin = (float(all_lat.mean()), float(all_lon.mean())) if len(all_lat) else (0.0, 0.0)
    modality_index = {m: k for k, m in enumerate(sorted(modalities))}
    asset_caps = [_mask(set(a.capabilities) | {f"exam:{e.code}" for e in a.exam_types}, bits) for a in asset_rows]
    group_index = {iid: g for g, iid in enumerate(groups)}
    instance = opt.Instance(
        req_xy=opt.project_km(np.asarray(lat), np.asarray(lon), origin=origin).reshape(-1, 2),
        req_modality=np.array([modality_index[r.modality] for r in requests], np.int64),
        req_caps=np.array([_mask(w, bits) for w in wanted], np.int64),
        req_class=np.array([pol.index(r.urgency) for r in requests], np.int64),
        req_created=np.array([rules.day_index(r.requested_at, day0, tz) for r in requests], np.int64),
        req_earliest=np.array([max(0, (r.earliest_date - day0).days) for r in requests], np.int64),
        req_due=np.array([rules.day_index(r.due_at, day0, tz) for r in requests], np.int64),
        req_max_km=np.array([r.max_travel_km or pol.max_travel_km for r in requests], float),
        req_group=np.array([group_index[r.referring_institution_id] for r in requests], np.int64),
        req_home=np.array([index[r.referring_institution_id] for r in requests], np.int64),
        req_own_first=np.array([r.prefer_own_hospital for r in requests], bool),
        req_owner=np.array([index.get(r.preferred_owner_institution_id, -1) for r in requests], np.int64),
        asset_xy=opt.project_km(np.array([a.latitude for a in asset_rows]), np.array([a.longitude for a in asset_rows]),
                                origin=origin).reshape(-1, 2),
        asset_modality=np.array([modality_index[a.modality] for a in asset_rows], np.int64),
        asset_caps=np.array(asset_caps, np.int64),
        asset_owner=np.array([index[a.owner_institution_id] for a in asset_rows], np.int64),
        capacity=capacity, may_book=may_book)
    grade = np.array([inst_rows[a.owner_institution_id].grade_level or 0 for a in asset_rows], np.int64)
    return Batch(requests, asset_rows, instance, slots, codes, total, grade, day0)


@dataclass
class Placement:
    """One request's slot (or its absence, with the reason)."""

    request: ExamRequest
    asset: Asset | None = None
    exam_code: str = ""
    slot: asset_rules.Interval | None = None
    distance_km: float | None = None
    wait_days: int | None = None
    reason: str = ""


def place(batch: Batch, plan: opt.Plan) -> list[Placement]:
    """Concrete slots: within each asset's day, the most urgent (then earliest due) take the earliest slots."""
    inst = batch.instance
    weights = np.asarray(rules.costs_of(policy()).wait_per_day)[inst.req_class]
    priority = -weights * 10_000 + inst.req_due * 10 + 0  # weight first, then due day
    rank = opt.ranks_within_day(plan, priority)
    out = []
    for r, request in enumerate(batch.requests):
        if plan.asset[r] < 0:
            out.append(Placement(request, reason=opt.REASONS.get(int(plan.reason[r]), "unassigned")))
            continue
        a, d = int(plan.asset[r]), int(plan.day[r])
        asset = batch.assets[a]
        out.append(Placement(request, asset, request.exam_code or batch.exam_codes[a], batch.slots[(a, d)][rank[r]],
                             round(float(plan.km[r]), 2), int(d - inst.req_created[r])))
    return out


def _figures(batch: Batch, plan: opt.Plan, seconds: dict) -> dict:
    """What the run reports and the pages chart: optimum against both baselines, on the same batch."""
    inst, pol = batch.instance, policy()
    costs = rules.costs_of(pol)
    cand = opt.candidates(inst, pol.candidates_per_request)
    summary = {name: opt.summarise(inst, costs, p, class_names=pol.names, asset_grade=batch.asset_grade,
                                   total_slots=batch.total_slots)
               for name, p in (("optimal", plan), ("home_only", opt.home_only(inst)),
                               ("greedy", opt.greedy(inst, cand)))}
    return {"requests": inst.n, "assets": len(batch.assets), "assigned": int(plan.assigned.sum()),
            "objective": plan.objective, "solver_seconds": round(plan.solve_seconds, 4),
            "seconds": {k: round(v, 4) for k, v in seconds.items()}, "arcs": plan.arcs, **summary}


# Runs ------------------------------------------------------------------------------------------------------


def _scope_requests(session: Session, actor: Principal, community_id: int | None,
                    institution_id: int | None) -> sa.Select:
    query = sa.select(ExamRequest).where(ExamRequest.status == RequestStatus.OPEN)
    if community_id is not None:
        community = registry.get_community(session, community_id)
        authorize(actor, Permission.SCHEDULING_RUN, institutions=[community.lead_institution_id])
        members = sa.select(CommunityMembership.institution_id).where(
            CommunityMembership.community_id == community_id)
        return query.where(sa.or_(ExamRequest.referring_institution_id.in_(members),
                                  ExamRequest.referring_institution_id == community.lead_institution_id))
    if institution_id is not None:
        authorize(actor, Permission.SCHEDULING_RUN, institutions=[institution_id])
        return query.where(ExamRequest.referring_institution_id == institution_id)
    if scope_of(actor, Permission.SCHEDULING_RUN) is not Scope.ANY:
        authorize(actor, Permission.SCHEDULING_RUN, institutions=[actor.institution_id])
        return query.where(ExamRequest.referring_institution_id == actor.institution_id)
    return query


def propose(session: Session, actor: Principal, *, community_id: int | None = None,
            institution_id: int | None = None, horizon_days: int | None = None, now: dt.datetime | None = None,
            progress: Progress | None = None) -> SchedulingRun:
    """Propose slots for every open request in scope: the optimum over the region's free capacity."""
    now = now or utcnow()
    note = progress or (lambda _stage: None)
    horizon = horizon_days or policy().horizon_days
    query = _scope_requests(session, actor, community_id, institution_id)
    requests = list(session.scalars(query.order_by(ExamRequest.requested_at, ExamRequest.id)))
    note("reading calendars")
    started = time.perf_counter()
    batch = build_batch(session, requests, now=now, horizon_days=horizon)
    read = time.perf_counter()
    note("solving")
    plan = opt.solve(batch.instance, rules.costs_of(policy()), k=policy().candidates_per_request)
    note("writing proposals")
    placements = place(batch, plan)
    run = SchedulingRun(created_by_user_id=actor.user_id, institution_id=institution_id, community_id=community_id,
                        day0=batch.day0, horizon_days=horizon)
    run.proposals = [_proposal(p) for p in placements]
    session.add(run)
    session.flush()
    written = time.perf_counter()
    run.figures = _figures(batch, plan, {"read": read - started, "build": plan.build_seconds,
                                         "solve": plan.solve_seconds, "write": written - read - plan.build_seconds
                                         - plan.solve_seconds})
    session.flush()
    record_event(session, actor, "scheduling.propose", "scheduling_run", run.id,
                 institution_id=institution_id or actor.institution_id,
                 details={"requests": len(requests), "assigned": run.figures["assigned"]})
    return run


def _proposal(p: Placement) -> Proposal:
    return Proposal(request_id=p.request.id, asset_id=p.asset.id if p.asset else None, exam_code=p.exam_code,
                    starts_at=p.slot.start if p.slot else None, ends_at=p.slot.end if p.slot else None,
                    distance_km=p.distance_km, wait_days=p.wait_days, reason=p.reason)


def get_run(session: Session, actor: Principal, run_id: int) -> SchedulingRun:
    """A run the actor may see: its author's scope."""
    run = session.get(SchedulingRun, run_id)
    if run is None:
        raise NotFound(f"scheduling run {run_id} does not exist")
    if scope_of(actor, Permission.SCHEDULING_RUN) is not Scope.ANY:
        owner = accounts.get_user(session, run.created_by_user_id).institution_id
        authorize(actor, Permission.SCHEDULING_RUN, institutions=[owner])
    return run


def best_slot(session: Session, request: ExamRequest, *, now: dt.datetime,
              exclude: set[tuple[int, dt.datetime]] = frozenset()) -> Placement:
    """One request's best free slot in the region now: the same objective, solved for it alone."""
    batch = build_batch(session, [request], now=now, horizon_days=policy().horizon_days, exclude=exclude)
    plan = opt.solve(batch.instance, rules.costs_of(policy()), k=policy().candidates_per_request)
    return place(batch, plan)[0]


def _book(session: Session, request: ExamRequest, placement: Placement, now: dt.datetime):
    """Book through the booking service, on behalf of whoever referred the patient."""
    referrer = accounts.principal_of(accounts.get_user(session, request.created_by_user_id))
    data = BookingIn(asset_id=placement.asset.id, exam_code=placement.exam_code, starts_at=placement.slot.start,
                     patient_record_id=request.patient_record_id, note=f"exam request {request.id}")
    with session.begin_nested():
        booking, _ = bookings.book(session, referrer, data, now=now)
    request.status, request.booking_id = RequestStatus.BOOKED, booking.id
    return booking


def book_with_replanning(session: Session, request: ExamRequest, placement: Placement, *, now: dt.datetime,
                         attempts: int = 5) -> tuple[str, Placement, object]:
    """Book placement; a slot taken since it was proposed is re-planned to the next best, never double booked."""
    tried: set[tuple[int, dt.datetime]] = set()
    status = "booked"
    for _ in range(attempts):
        if placement.slot is None:
            return "failed", placement, None
        try:
            return status, placement, _book(session, request, placement, now)
        except Conflict as error:
            if not any(p.rule == "slot-free" for p in error.problems):
                raise
            tried.add((placement.asset.id, placement.slot.start))
            status = "replanned"
            placement = best_slot(session, request, now=now, exclude=tried)
    placement.reason = "slot-taken-repeatedly"
    return "failed", placement, None


def commit(session: Session, actor: Principal, run: SchedulingRun, *, now: dt.datetime | None = None,
           progress: Progress | None = None) -> SchedulingRun:
    """Book every proposal of a run through the booking service; taken slots are re-planned."""
    now = now or utcnow()
    get_run(session, actor, run.id)
    if run.status != "proposed":
        raise Conflict.on("status", "proposed", f"the run is {run.status}; only a proposed run is committed")
    counts = {"booked": 0, "replanned": 0, "failed": 0, "skipped": 0}
    for n, proposal in enumerate(run.proposals):
        if progress and n % 50 == 0:
            progress(f"booking {n}/{len(run.proposals)}")
        request = get_request(session, proposal.request_id)
        if request.status is not RequestStatus.OPEN or proposal.asset_id is None:
            proposal.status = "skipped" if proposal.asset_id is not None else "unassigned"
            counts["skipped"] += proposal.asset_id is not None
            continue
        asset = assets.get_asset(session, proposal.asset_id)
        placement = Placement(request, asset, proposal.exam_code,
                              asset_rules.Interval(proposal.starts_at, proposal.ends_at))
        try:
            status, placement, booking = book_with_replanning(session, request, placement, now=now)
        except DomainError as error:
            problem = error.problems[0] if error.problems else None
            status, booking = "failed", None
            proposal.reason = (problem.rule if problem else error.code)[:80]
        proposal.status = status
        counts[status] += 1
        if booking is not None:
            proposal.booking_id = booking.id
            proposal.asset_id, proposal.starts_at = booking.asset_id, booking.starts_at
            proposal.ends_at = booking.ends_at
        elif status == "failed" and placement.reason:
            proposal.reason = placement.reason[:80]
    run.status, run.committed_at = "committed", now
    run.figures = {**run.figures, "commit": counts}
    session.flush()
    record_event(session, actor, "scheduling.commit", "scheduling_run", run.id,
                 institution_id=run.institution_id or actor.institution_id, details=counts)
    return run


def instant(session: Session, actor: Principal, request: ExamRequest, *, book: bool = True,
            now: dt.datetime | None = None) -> tuple[Placement, object]:
    """The best slot for one request now; booked at once unless only proposed."""
    now = now or utcnow()
    authorize(actor, Permission.EXAM_REQUEST_WRITE, institutions=[request.referring_institution_id])
    _open(request)
    placement = best_slot(session, request, now=now)
    booking = None
    if book and placement.slot is not None:
        _status, placement, booking = book_with_replanning(session, request, placement, now=now)
        if booking is not None:
            record_event(session, actor, "exam_request.instant", "exam_request", request.id,
                         institution_id=request.referring_institution_id,
                         patient_record_id=request.patient_record_id, details={"booking_id": booking.id})
    return placement, booking
