"""Dispatch: ETAs, never an unsuitable vehicle, and the joint assignment never worse than closest-idle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medshare.errors import Conflict, InvalidInput
from medshare.optim import dispatch as opt
from medshare.transport import rules
from medshare.transport.rules import RequestStatus, VehicleKind
from medshare.triage.rules import Capability


def _instance(seed: int, n: int, m: int, taxi_share: float = 0.4):
    rng = np.random.default_rng(seed)
    lat0, lon0 = 26.26, 117.64
    fleet = opt.Fleet(lat=lat0 + rng.normal(0, 0.08, m), lon=lon0 + rng.normal(0, 0.08, m),
                      rank=np.where(rng.random(m) < taxi_share, 0, rng.integers(1, 3, m)),
                      ambulance=np.ones(m, bool))
    fleet.ambulance = fleet.rank > 0
    level = rng.integers(1, 5, n)
    need = np.where(level <= 2, 2, np.where(rng.random(n) < 0.5, 0, 1))
    requests = opt.Requests(lat=lat0 + rng.normal(0, 0.08, n), lon=lon0 + rng.normal(0, 0.08, n), need=need,
                            weight=np.array([rules.DEFAULT_POLICY.weight(int(x)) for x in level]))
    return requests, fleet, level


def test_haversine_is_about_111_km_per_degree_of_latitude():
    assert opt.haversine_km(26.0, 117.0, 27.0, 117.0) == pytest.approx(111.2, abs=0.2)
    assert opt.haversine_km(26.0, 117.0, 26.0, 117.0) == 0


def test_the_eta_adds_activation_to_road_distance_at_the_hours_speed():
    model = opt.EtaModel()
    assert model.minutes(10.0, "ambulance", 12) == pytest.approx(2.0 + 10 * 1.35 / 38.0 * 60)
    assert model.minutes(10.0, "ambulance", 8) > model.minutes(10.0, "ambulance", 12) > model.minutes(10.0,
                                                                                                      "ambulance", 2)
    assert model.minutes(10.0, "partner_car", 12) > model.minutes(10.0, "ambulance", 12)


def test_nearest_orders_by_great_circle_distance_with_and_without_the_tree():
    rng = np.random.default_rng(3)
    lat, lon = 26 + rng.random(500), 117 + rng.random(500)
    index, km = opt.nearest(lat, lon, 26.5, 117.5, 5)
    brute = np.argsort(opt.haversine_km(lat, lon, 26.5, 117.5))[:5]
    assert list(index) == list(brute) and list(km) == sorted(km)
    small, _ = opt.nearest(lat[:20], lon[:20], 26.5, 117.5, 3)
    assert list(small) == list(np.argsort(opt.haversine_km(lat[:20], lon[:20], 26.5, 117.5))[:3])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30), st.integers(0, 40), st.integers(0, 23))
def test_joint_assignment_never_costs_more_than_closest_idle_and_never_sends_an_unsuitable_vehicle(seed, n, m,
                                                                                                 hour):
    requests, fleet, _ = _instance(seed, n, m)
    for candidates in (None, 5):
        joint = opt.joint(requests, fleet, hour, candidates=candidates)
        baseline = opt.closest_idle(requests, fleet, hour)
        assert joint.weighted_total <= baseline.weighted_total + 1e-6
        for plan in (joint, baseline):
            sent = plan.vehicle[plan.vehicle >= 0]
            assert len(set(sent.tolist())) == len(sent)  # a vehicle goes to one request at most
            ok = plan.vehicle >= 0
            assert (fleet.rank[plan.vehicle[ok]] >= requests.need[ok]).all()  # never unsuitable


def test_a_lying_patient_is_never_sent_a_partner_car_even_when_it_is_the_only_vehicle():
    requests = opt.Requests(lat=np.array([26.0]), lon=np.array([117.0]), need=np.array([1]), weight=np.array([2.0]))
    fleet = opt.Fleet(lat=np.array([26.0]), lon=np.array([117.0]), rank=np.array([0]), ambulance=np.array([False]))
    assert opt.joint(requests, fleet, 12).vehicle.tolist() == [-1]
    assert opt.closest_idle(requests, fleet, 12).vehicle.tolist() == [-1]


def test_joint_gives_the_critical_patient_the_only_nearby_ambulance_where_arrival_order_does_not():
    # A minor request arrives first beside the only near ALS ambulance; the critical one a little further on.
    requests = opt.Requests(lat=np.array([26.000, 26.010]), lon=np.array([117.0, 117.0]), need=np.array([1, 2]),
                            weight=np.array([1.0, 16.0]))
    fleet = opt.Fleet(lat=np.array([26.001, 26.100]), lon=np.array([117.0, 117.0]), rank=np.array([2, 1]),
                      ambulance=np.array([True, True]))
    baseline = opt.closest_idle(requests, fleet, 12)
    joint = opt.joint(requests, fleet, 12)
    assert baseline.vehicle.tolist() == [0, -1]  # the critical patient is left waiting
    assert joint.vehicle.tolist() == [1, 0]
    assert joint.weighted_total < baseline.weighted_total


def test_the_lifecycle_moves_one_step_forward_and_cancels_only_before_transport():
    rules.check_transition(RequestStatus.ASSIGNED, RequestStatus.EN_ROUTE)
    rules.check_transition(RequestStatus.AT_HOSPITAL, RequestStatus.DONE)
    rules.check_transition(RequestStatus.ON_SCENE, RequestStatus.CANCELLED)
    with pytest.raises(Conflict):
        rules.check_transition(RequestStatus.ASSIGNED, RequestStatus.ON_SCENE)
    with pytest.raises(Conflict):
        rules.check_transition(RequestStatus.TRANSPORTING, RequestStatus.CANCELLED)
    with pytest.raises(Conflict):
        rules.check_transition(RequestStatus.DONE, RequestStatus.DONE)
    with pytest.raises(InvalidInput):
        rules.check_transition(RequestStatus.REQUESTED, RequestStatus.ASSIGNED)


def test_partner_cars_only_seat_and_ambulances_carry_life_support():
    rules.check_vehicle(VehicleKind.PARTNER_CAR, Capability.SEATED)
    rules.check_vehicle(VehicleKind.AMBULANCE, Capability.BLS)
    with pytest.raises(InvalidInput):
        rules.check_vehicle(VehicleKind.PARTNER_CAR, Capability.ALS)
    with pytest.raises(InvalidInput):
        rules.check_vehicle(VehicleKind.AMBULANCE, Capability.SEATED)
    assert rules.may_carry(Capability.ALS, Capability.SEATED)
    assert not rules.may_carry(Capability.SEATED, Capability.BLS)
    assert not rules.may_carry(Capability.BLS, Capability.ALS)
