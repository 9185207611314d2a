"""Transport on a real database: the nearest suitable vehicle, never an unsuitable one, surges, the trip."""

from __future__ import annotations

import pytest

from medshare.accounts.models import Role
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.transport import service as transport
from medshare.transport.models import Vehicle
from medshare.transport.rules import RequestStatus, VehicleStatus
from medshare.triage import service as triage
from medshare.triage.rules import Capability, Mobility, Vitals
from tests import factories as f
from tests.integration.transport.conftest import add_vehicle, quick_principal


def _request(session, place, level, *, can_sit=False, auto=True, dlat=0.0):
    return transport.request_transport(session, place.crew, latitude=place.lat + dlat, longitude=place.lon,
                                       level=level, can_sit=can_sit, auto_assign=auto)


def test_a_request_gets_the_nearest_suitable_idle_vehicle_with_an_eta(session, place):
    add_vehicle(session, place, Capability.ALS, 0.05)
    near = add_vehicle(session, place, Capability.ALS, 0.01)
    add_vehicle(session, place, Capability.SEATED, 0.001)  # nearer, but a lying critical patient
    request = _request(session, place, 1)
    assert request.status is RequestStatus.ASSIGNED and request.vehicle_id == near.id
    assert request.assignment == "nearest" and 2.0 < request.eta_minutes < 10
    assert session.get(Vehicle, near.id).status is VehicleStatus.ASSIGNED
    assert request.destination_institution_id == place.tertiary  # the nearest emergency department


def test_a_partner_car_is_sent_only_to_a_patient_who_can_sit_at_a_level_that_allows_it(session, place):
    car = add_vehicle(session, place, Capability.SEATED, 0.001)
    lying = _request(session, place, 3, can_sit=False)
    assert lying.vehicle_id is None and lying.status is RequestStatus.REQUESTED  # waits for an ambulance
    critical_seated = _request(session, place, 2, can_sit=True)
    assert critical_seated.vehicle_id is None
    seated = _request(session, place, 3, can_sit=True)
    assert seated.vehicle_id == car.id and seated.capability is Capability.SEATED


def test_a_dispatcher_cannot_send_an_unsuitable_vehicle_by_hand(session, place):
    car = add_vehicle(session, place, Capability.SEATED, 0.01)
    bls = add_vehicle(session, place, Capability.BLS, 0.01)
    request = _request(session, place, 1, auto=False)
    for vehicle in (car, bls):
        with pytest.raises(InvalidInput) as error:
            transport.assign_vehicle(session, place.dispatcher, request, vehicle.id)
        assert error.value.problems[0].rule == "suitable"
    assert request.status is RequestStatus.REQUESTED
    als = add_vehicle(session, place, Capability.ALS, 0.02)
    transport.assign_vehicle(session, place.dispatcher, request, als.id)
    assert request.vehicle_id == als.id and request.assignment == "manual"
    with pytest.raises(Forbidden):
        transport.assign_nearest(session, place.crew, _request(session, place, 3, auto=False))


def test_a_surge_is_assigned_jointly_and_no_worse_than_closest_idle(session, place):
    for i in range(7):  # three ALS: one of the four critical patients must wait
        add_vehicle(session, place, Capability.ALS if i % 2 else Capability.BLS, 0.004 * i, 0.003 * i)
    add_vehicle(session, place, Capability.SEATED, 0.0)
    waiting = [_request(session, place, level, can_sit=level >= 3, auto=False, dlat=0.003 * i)
               for i, level in enumerate([4, 1, 3, 2, 1, 4, 3, 2])]
    ids = [r.id for r in waiting]
    proposal = transport.solve_surge(session, place.dispatcher, request_ids=ids)
    joint, baseline = proposal.figures["joint"], proposal.figures["closest_idle"]
    assert joint["weighted_total"] <= baseline["weighted_total"]
    assert all(r.status is RequestStatus.REQUESTED for r in waiting)  # only proposed
    done = transport.solve_surge(session, place.dispatcher, request_ids=ids, commit=True)
    sent = [r for r in waiting if r.vehicle_id is not None]
    assert len(sent) == done.figures["joint"]["overall"]["assigned"] == 7  # every vehicle, one unusable request
    assert len({r.vehicle_id for r in sent}) == len(sent)
    for request in sent:
        vehicle = session.get(Vehicle, request.vehicle_id)
        assert request.assignment == "joint" and vehicle.status is VehicleStatus.ASSIGNED
        assert vehicle.capability is not Capability.SEATED or (request.can_sit and request.level >= 3)
    assert [r.level for r in waiting if r.vehicle_id is None] in ([1], [2])  # no ALS left for one critical


def test_the_trip_moves_step_by_step_and_the_vehicle_follows(session, place):
    vehicle = add_vehicle(session, place, Capability.ALS, 0.03)
    request = _request(session, place, 2)
    with pytest.raises(Conflict):
        transport.advance(session, place.crew, request, RequestStatus.ON_SCENE)
    for step in (RequestStatus.EN_ROUTE, RequestStatus.ON_SCENE):
        transport.advance(session, place.crew, request, step)
    assert (vehicle.latitude, vehicle.longitude) == (request.latitude, request.longitude)
    with pytest.raises(Conflict):
        transport.cancel(session, place.crew, request, "patient refused")  # allowed: on scene is cancellable
        transport.advance(session, place.crew, request, RequestStatus.DONE)
    assert request.status is RequestStatus.CANCELLED and vehicle.status is VehicleStatus.IDLE


def test_a_completed_trip_leaves_the_vehicle_idle_at_the_hospital(session, place):
    vehicle = add_vehicle(session, place, Capability.BLS, 0.03)
    request = _request(session, place, 3)
    for step in ("en_route", "on_scene", "transporting", "at_hospital", "done"):
        transport.advance(session, place.crew, request, RequestStatus(step))
    assert request.status is RequestStatus.DONE and request.done_at is not None
    assert vehicle.status is VehicleStatus.IDLE
    assert vehicle.latitude == pytest.approx(place.lat + 0.02)  # the tertiary hospital, its destination
    with pytest.raises(Conflict):
        transport.cancel(session, place.crew, request, "too late")


def test_another_institutions_crew_cannot_move_the_trip_or_report_the_vehicle(session, place):
    vehicle = add_vehicle(session, place, Capability.ALS, 0.03)
    request = _request(session, place, 1)
    other = f.make_institution(session, place.dispatcher)
    stranger = quick_principal(session, Role.PRACTITIONER, other.id)
    with pytest.raises(Forbidden):
        transport.advance(session, stranger, request, RequestStatus.EN_ROUTE)
    with pytest.raises(Forbidden):
        transport.report_position(session, stranger, vehicle, latitude=place.lat, longitude=place.lon)
    with pytest.raises(Forbidden):
        transport.request_transport(session, stranger, latitude=place.lat, longitude=place.lon, level=1,
                                    origin_institution_id=place.tertiary)


def test_a_crew_reports_position_and_out_of_service_but_not_a_trip_status(session, place):
    vehicle = add_vehicle(session, place, Capability.ALS, 0.03)
    transport.report_position(session, place.crew, vehicle, latitude=place.lat, longitude=place.lon + 0.01,
                              status=VehicleStatus.OUT_OF_SERVICE)
    assert vehicle.status is VehicleStatus.OUT_OF_SERVICE and vehicle.longitude == place.lon + 0.01
    assert _request(session, place, 1).vehicle_id is None  # out of service is never sent
    with pytest.raises(InvalidInput):
        transport.report_position(session, place.crew, vehicle, latitude=place.lat, longitude=place.lon,
                                  status=VehicleStatus.TRANSPORTING)
    with pytest.raises(InvalidInput):
        transport.report_position(session, place.crew, vehicle, latitude=95.0, longitude=place.lon)


def test_a_triage_assessment_names_the_nearest_suitable_institutions_and_feeds_a_request(session, place):
    vehicle = add_vehicle(session, place, Capability.ALS, 0.01)
    assessment, result, places = triage.record_assessment(
        session, place.crew, Vitals(complaint="stroke_signs", mobility=Mobility.LIES),
        latitude=place.lat, longitude=place.lon)
    assert result.level == 2 and result.needs_tertiary and result.dispatch
    assert places[0].id == place.tertiary and place.clinic not in [p.id for p in places]
    _, _, minor_places = triage.record_assessment(session, place.crew, Vitals(), latitude=place.lat,
                                                      longitude=place.lon)
    assert minor_places[0].id == place.clinic  # primary care, nearest
    request = transport.request_transport(session, place.crew, latitude=place.lat, longitude=place.lon,
                                          level=assessment.level, triage_assessment_id=assessment.id)
    assert request.destination_institution_id == place.tertiary and request.vehicle_id == vehicle.id


def test_a_vehicle_too_far_to_be_useful_is_not_sent_and_the_request_waits(session, place):
    add_vehicle(session, place, Capability.ALS, 1.5)  # ~170 km: far beyond the longest useful ETA
    request = _request(session, place, 1)
    assert request.status is RequestStatus.REQUESTED and request.vehicle_id is None
