"""Scheduling over a real database: proposals from the real calendar, commits through the booking service."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from medshare.assets import booking as bookings
from medshare.assets.models import Booking, SlotClaim
from medshare.assets.schemas import BookingIn
from medshare.errors import Forbidden
from medshare.registry.models import CommunityMembership
from medshare.scheduling import service as scheduling
from medshare.scheduling.schemas import ExamRequestIn
from tests import factories as f
from tests.integration.assets.conftest import NOW, at


def request_for(session, region, capability, **extra):
    patient = f.make_patient(session, f.admin_principal(session), region.member_id)
    data = ExamRequestIn(patient_record_id=patient.id, modality="DSA", capabilities=[capability], **extra)
    return scheduling.create_request(session, region.member, data, now=NOW)


def test_a_run_proposes_the_earliest_slots_most_urgent_first_and_commit_books_them(session, region, dsa,
                                                                                     capability):
    routine = request_for(session, region, capability)
    urgent = request_for(session, region, capability, urgency="emergency")
    run = scheduling.propose(session, region.member, institution_id=region.member_id, now=NOW)
    by_request = {p.request_id: p for p in run.proposals}
    # 07:00 now and an hour's lead time: 08:00 is the first slot; the emergency takes it.
    assert (by_request[urgent.id].asset_id, by_request[urgent.id].starts_at) == (dsa.id, at(0, 8))
    assert by_request[routine.id].starts_at == at(0, 9)
    assert run.figures["assigned"] == 2 and "home_only" in run.figures and "greedy" in run.figures
    scheduling.commit(session, region.member, run, now=NOW)
    assert {p.status for p in run.proposals} == {"booked"}
    assert routine.status.value == "booked" and session.get(Booking, routine.booking_id).starts_at == at(0, 9)


def test_committing_a_stale_proposal_replans_instead_of_double_booking(session, region, dsa, capability):
    request = request_for(session, region, capability, urgency="urgent")
    run = scheduling.propose(session, region.member, institution_id=region.member_id, now=NOW)
    proposed = run.proposals[0].starts_at
    # Someone else takes the proposed slot between proposal and commit.
    taken, _ = bookings.book(session, region.outsider, BookingIn(asset_id=dsa.id, exam_code="DSA-CARD",
                                                                 starts_at=proposed), now=NOW)
    scheduling.commit(session, region.member, run, now=NOW)
    proposal = run.proposals[0]
    assert proposal.status == "replanned" and proposal.starts_at != proposed
    mine = session.get(Booking, request.booking_id)
    assert mine.starts_at == proposal.starts_at and mine.id != taken.id
    claims = session.execute(sa.select(SlotClaim.unit_start, sa.func.count()).where(SlotClaim.asset_id == dsa.id)
                             .group_by(SlotClaim.unit_start)).all()
    assert all(count == 1 for _, count in claims)


def test_a_request_no_asset_can_serve_is_reported_with_its_reason(session, region, dsa):
    request_for(session, region, f.unique("nobody-has-this"))
    run = scheduling.propose(session, region.member, institution_id=region.member_id, now=NOW)
    assert [(p.asset_id, p.reason) for p in run.proposals] == [(None, "no-asset-with-modality-and-capabilities")]


def test_an_instant_request_is_booked_on_its_best_slot(session, region, dsa, capability):
    request = request_for(session, region, capability, urgency="urgent")
    _placement, booking = scheduling.instant(session, region.member, request, now=NOW)
    assert (booking.asset_id, booking.starts_at) == (dsa.id, at(0, 8))
    assert request.status.value == "booked"


def test_another_institution_cannot_schedule_or_cancel_a_members_requests(session, region, dsa, capability):
    request = request_for(session, region, capability)
    with pytest.raises(Forbidden):
        scheduling.propose(session, region.outsider, institution_id=region.member_id, now=NOW)
    with pytest.raises(Forbidden):
        scheduling.cancel_request(session, region.outsider, request)


def test_a_medical_communitys_desk_schedules_its_members_requests(session, region, dsa, capability):
    request = request_for(session, region, capability)
    community_id = session.scalar(
        sa.select(CommunityMembership.community_id).where(CommunityMembership.institution_id == region.member_id))
    run = scheduling.propose(session, region.owner, community_id=community_id, now=NOW)
    assert [p.request_id for p in run.proposals] == [request.id] and run.proposals[0].asset_id == dsa.id
    with pytest.raises(Forbidden):
        scheduling.propose(session, region.outsider, community_id=community_id, now=NOW)
