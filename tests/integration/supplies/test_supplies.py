"""Emergency supplies over a real database: runs, commit, dispatch, receipt, the ledger, the CSV upload."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.accounts.models import Role
from medshare.errors import Conflict, Forbidden, InvalidInput
from medshare.supplies import dashboard
from medshare.supplies import service as supplies
from medshare.supplies.models import Shipment, StockLot, StockMove
from medshare.supplies.rules import RunStatus, ShipmentStatus, SupplyRequestStatus
from medshare.supplies.schemas import CapacityIn, RunIn
from tests import factories as f
from tests.integration.supplies.data import as_role, make_world, request


def _lots(session, location_id: int) -> dict[str, tuple[int, int]]:
    return {lot.lot: (lot.on_hand, lot.committed) for lot in supplies.lots_of(session, location_id)}


def _balance(session, account: str) -> int:
    return supplies.ledger_balances(session).get((account, None), 0) if False else sum(
        v for (a, _i), v in supplies.ledger_balances(session).items() if a == account)


def test_the_ledger_balances_across_commit_dispatch_and_a_partial_receipt(session):
    w = make_world(session)
    wanted = request(session, w, 120)
    run = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    assert [o.covered for o in run.outcomes] == [120] and run.outcomes[0].bound == "filled"
    supplies.commit(session, w.regulator, run)
    assert supplies.ledger_problems(session) == []
    # First expiring first out: lot B (30, expiring sooner) is committed before lot A.
    assert _lots(session, w.warehouse) == {"B": (30, 30), "A": (100, 90)}
    shipment = session.scalars(sa.select(Shipment).where(Shipment.request_id == wanted.id)).one()
    assert shipment.quantity == 120 and shipment.status is ShipmentStatus.ORDERED
    assert wanted.allocated == 120 and wanted.status is SupplyRequestStatus.ALLOCATED

    supplies.dispatch(session, w.warehouse_user, shipment, 100)  # 20 could not be loaded: they go back
    assert supplies.ledger_problems(session) == []
    assert _lots(session, w.warehouse) == {"B": (0, 0), "A": (30, 0)}
    assert _balance(session, f"transit:{shipment.id}") == 100
    assert wanted.allocated == 100 and wanted.status is SupplyRequestStatus.OPEN

    with pytest.raises(InvalidInput) as refused:
        supplies.receive(session, w.hospital_admin, shipment, 95)  # a difference needs a reason
    assert refused.value.problems[0].rule == "required-for-difference"
    supplies.receive(session, w.hospital_admin, shipment, 95, "five boxes crushed")
    assert supplies.ledger_problems(session) == []
    assert shipment.difference == -5 and shipment.status is ShipmentStatus.RECEIVED
    store = supplies.store_of(session, w.hospital)
    assert _balance(session, f"transit:{shipment.id}") == 0
    assert _balance(session, f"stock:{store.id}") == 95 and _balance(session, f"stock:{w.warehouse}") == 30
    moves = session.scalars(sa.select(StockMove).where(StockMove.shipment_id == shipment.id)).all()
    assert sorted((m.kind.value, m.quantity) for m in moves) == [("dispatch", 100), ("loss", 5), ("receipt", 95)]
    assert wanted.received == 95
    # Nothing counted twice: the next run sees the 30 left and the 20 still outstanding.
    again = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    assert [(o.needed, o.covered) for o in again.outcomes] == [(20, 20)]


def test_a_shipment_is_dispatched_once_and_received_once_by_the_right_parties(session):
    w = make_world(session)
    request(session, w, 10)
    run = supplies.commit(session, w.regulator, supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])))
    shipment = session.scalars(sa.select(Shipment).where(Shipment.run_id == run.id)).one()
    other_supplier = as_role(w.regulator, Role.SUPPLIER, w.supplier_firm)
    with pytest.raises(Forbidden):
        supplies.dispatch(session, other_supplier, shipment)
    with pytest.raises(Forbidden):
        supplies.receive(session, w.warehouse_user, shipment, 10)
    with pytest.raises(Conflict):
        supplies.receive(session, w.hospital_admin, shipment, 10)  # not dispatched yet
    supplies.dispatch(session, w.warehouse_user, shipment)
    with pytest.raises(Conflict):
        supplies.dispatch(session, w.warehouse_user, shipment)
    supplies.receive(session, w.hospital_admin, shipment, 12, "two extra in the box")
    with pytest.raises(Conflict):
        supplies.receive(session, w.hospital_admin, shipment, 12, "again")
    assert supplies.ledger_problems(session) == []
    assert shipment.difference == 2
    assert supplies.get_request(session, shipment.request_id).status is SupplyRequestStatus.FULFILLED


def test_a_committed_run_is_not_committed_twice_and_supersedes_other_proposals(session):
    w = make_world(session)
    request(session, w, 10)
    first = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    second = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    supplies.commit(session, w.regulator, second)
    session.refresh(first)
    assert first.status is RunStatus.SUPERSEDED
    with pytest.raises(Conflict):
        supplies.commit(session, w.regulator, second)


def test_a_substitute_fills_a_request_through_the_whole_chain(session):
    w = make_world(session, warehouse_stock=())
    supplies.set_capacity(session, w.supplier_user, supplies.get_location(session, w.supplier),
                          CapacityIn(item_code=w.kn95, daily_units=50, lead_days=0))
    wanted = request(session, w, 120, days=3)
    run = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    kn95 = supplies.item_by_code(session, w.kn95).id
    assert {line.item_id for line in run.lines} == {kn95} and all(line.from_production for line in run.lines)
    assert run.outcomes[0].covered == 120
    supplies.commit(session, w.regulator, run)
    for shipment in session.scalars(sa.select(Shipment).where(Shipment.request_id == wanted.id)):
        supplies.dispatch(session, w.supplier_user, shipment)
        supplies.receive(session, w.hospital_admin, shipment, shipment.quantity)
    assert supplies.ledger_problems(session) == []
    assert wanted.status is SupplyRequestStatus.FULFILLED
    store = supplies.store_of(session, w.hospital)
    assert sum(lot.on_hand for lot in supplies.lots_of(session, store.id) if lot.item_id == kn95) == 120


def test_explanations_say_what_bound_each_request(session):
    w = make_world(session, warehouse_stock=(("A", 100, 300),))
    far = f.make_institution(session, as_role(w.regulator, Role.PLATFORM_ADMIN, None), latitude=28.5,
                             longitude=119.5).id  # ~300 km away
    far_user = as_role(w.regulator, Role.INSTITUTION_ADMIN, far)
    critical = request(session, w, 80)
    ward = request(session, w, 60, "general_ward", days=4)
    remote = request(session, w, 10, institution=far, actor=far_user)
    run = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    outcomes = {o.request_id: o for o in run.outcomes}
    assert (outcomes[critical.id].covered, outcomes[critical.id].bound) == (80, "filled")
    assert (outcomes[ward.id].covered, outcomes[ward.id].bound) == (20, "priority")
    assert (outcomes[remote.id].covered, outcomes[remote.id].bound) == (0, "no_stock_in_reach")
    methods = run.figures["methods"]
    assert set(methods) == {"optimal", "fcfs", "proportional"}
    assert methods["optimal"]["by_class"]["critical_care"]["min_fill"] == 0.0  # the remote one
    assert methods["optimal"]["by_class"]["critical_care"]["mean_fill"] == 0.5


def test_a_csv_with_a_bad_row_is_refused_whole_naming_row_field_and_rule(session):
    w = make_world(session, warehouse_stock=())
    before = session.scalar(sa.select(sa.func.count()).select_from(StockMove))
    text = (f"location_id,item_code,lot,expiry,on_hand,reserved\n"
            f"{w.warehouse},{w.n95},L1,2099-01-01,100,0\n"
            f"{w.warehouse},{w.n95},L2,2099-01-01,-5,0\n"
            f"{w.warehouse},NO-SUCH-ITEM,L3,,10,0\n"
            f"{w.warehouse},{w.kn95},L4,2000-01-01,10,20\n")
    with pytest.raises(InvalidInput) as refused:
        supplies.upload_stock_csv(session, w.warehouse_user, text)
    found = {(p.field, p.rule) for p in refused.value.problems}
    assert ("row 3.on_hand", "non-negative") in found
    assert ("row 4.item_code", "known-item") in found
    assert ("row 5.expiry", "not-expired") in found and ("row 5.reserved", "within-on-hand") in found
    assert supplies.lots_of(session, w.warehouse) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(StockMove)) == before
    rows, changed = supplies.upload_stock_csv(session, w.warehouse_user, text.split("\n", 2)[0] + "\n"
                                              + text.split("\n")[1] + "\n")
    assert (rows, changed) == (1, 1) and _lots(session, w.warehouse) == {"L1": (100, 0)}
    assert supplies.ledger_problems(session) == []


def test_a_csv_row_for_another_institutions_location_refuses_the_file(session):
    w = make_world(session, warehouse_stock=())
    text = f"location_id,item_code,on_hand\n{w.warehouse},{w.n95},5\n{w.supplier},{w.kn95},5\n"
    with pytest.raises(Forbidden) as refused:
        supplies.upload_stock_csv(session, w.warehouse_user, text)
    assert [(p.field, p.rule) for p in refused.value.problems] == [("row 3.location_id", "own-location")]
    assert session.scalar(sa.select(sa.func.count()).select_from(StockLot).where(
        StockLot.location_id == w.warehouse)) == 0


def test_a_report_cannot_count_below_what_orders_hold(session):
    w = make_world(session, warehouse_stock=(("A", 50, 300),))
    request(session, w, 40)
    supplies.commit(session, w.regulator, supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])))
    text = f"location_id,item_code,lot,on_hand\n{w.warehouse},{w.n95},A,30\n"
    with pytest.raises(InvalidInput) as refused:
        supplies.upload_stock_csv(session, w.warehouse_user, text)
    assert refused.value.problems[0].rule == "covers-committed"


def test_the_dashboard_shows_shortage_days_of_supply_fill_and_flight(session):
    from medshare.supplies.schemas import ConsumptionIn

    w = make_world(session, warehouse_stock=(("A", 50, 300),))
    request(session, w, 80)
    supplies.set_consumption(session, w.hospital_admin, ConsumptionIn(institution_id=w.hospital, item_code=w.n95,
                                                                      daily_units=20))
    run = supplies.commit(session, w.regulator, supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])))
    shipment = session.scalars(sa.select(Shipment).where(Shipment.run_id == run.id)).one()
    supplies.dispatch(session, w.warehouse_user, shipment)
    mine = dashboard.summary(session, w.hospital_admin)
    assert [r["short"] for r in mine["shortage_by_item"]] == [30]
    assert mine["shipments"]["dispatched"] == {"shipments": 1, "units": 50}
    assert mine["days_of_supply"][0]["days"] == 0.0
    assert mine["fill_by_priority"]["critical_care"]["min"] == pytest.approx(50 / 80)
    supplies.receive(session, w.hospital_admin, shipment, 50)
    after = dashboard.summary(session, w.hospital_admin)
    assert after["days_of_supply"][0]["days"] == 2.5
    assert dt.date.today() >= dt.date(2020, 1, 1)


def test_the_ledger_balances_after_every_step_of_a_busy_week(session):
    import random

    from medshare.supplies.schemas import StockRowIn

    rng = random.Random(7)
    w = make_world(session, warehouse_stock=(("A", 60, 300), ("B", 40, 30)))
    supplies.set_capacity(session, w.supplier_user, supplies.get_location(session, w.supplier),
                          CapacityIn(item_code=w.kn95, daily_units=15, lead_days=0))
    warehouse = supplies.get_location(session, w.warehouse)
    plan = ["request", "request", "report", "run", "dispatch", "receive", "request", "request", "run", "report",
            "dispatch", "request", "run", "receive", "dispatch", "receive"]
    for step, action in enumerate(plan):
        if action == "request":
            request(session, w, rng.randint(5, 60), rng.choice(["critical_care", "general_ward"]),
                    days=rng.randint(1, 5))
        elif action == "run":
            supplies.commit(session, w.regulator, supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])))
        elif action == "report":
            lots = {lot.lot: lot for lot in supplies.lots_of(session, w.warehouse)}
            lot = lots.get("A")
            floor = (lot.committed + lot.reserved) if lot else 0
            supplies.report_stock(session, w.warehouse_user, warehouse, [StockRowIn(
                item_code=w.n95, lot="A", on_hand=floor + rng.randint(0, 30),
                expiry=supplies.today() + dt.timedelta(days=300))])
        else:
            wanted = ShipmentStatus.ORDERED if action == "dispatch" else ShipmentStatus.DISPATCHED
            ready = session.scalars(sa.select(Shipment).where(Shipment.status == wanted,
                                                              Shipment.destination_location_id ==
                                                              supplies.store_of(session, w.hospital).id)).all()
            for shipment in ready:
                if action == "dispatch":
                    actor = w.warehouse_user if shipment.source_location_id == w.warehouse else w.supplier_user
                    supplies.dispatch(session, actor, shipment, rng.randint(1, shipment.quantity))
                else:
                    sent = shipment.dispatched_quantity
                    counted = max(0, sent + rng.choice([0, 0, -1, 2]))
                    supplies.receive(session, w.hospital_admin, shipment, counted, "" if counted == sent else "count")
        assert supplies.ledger_problems(session) == [], (step, action)
    for lot in session.scalars(sa.select(StockLot).where(StockLot.location_id == w.warehouse)):
        assert lot.available >= 0
    received = session.scalars(sa.select(Shipment).where(Shipment.status == ShipmentStatus.RECEIVED,
                                                         Shipment.destination_location_id ==
                                                         supplies.store_of(session, w.hospital).id)).all()
    assert len(received) >= 3 and any(s.difference for s in received)


def _blacklist(session, regulator, institution_id: int):
    from medshare.supervision import cases
    from medshare.supervision.models import ActionKind, SanctionKind

    case = cases.open_case(session, regulator, institution_id=institution_id, title="diverted protective stock")
    cases.act(session, regulator, case, kind=ActionKind.SANCTION, sanction_kind=SanctionKind.BLACKLIST,
              text="blacklisted")


def test_a_blacklisted_institution_receives_no_allocation_until_its_remediation_is_approved(session):
    from medshare.supervision import cases

    w = make_world(session, warehouse_stock=(("A", 100, 300),))
    other = f.make_institution(session, as_role(w.regulator, Role.PLATFORM_ADMIN, None), type="tertiary_hospital",
                               grade_level=3).id
    other_admin = as_role(w.regulator, Role.INSTITUTION_ADMIN, other)
    barred = request(session, w, 80)  # asked while in good standing
    served = request(session, w, 80, "general_ward", institution=other, actor=other_admin)
    _blacklist(session, w.regulator, w.hospital)

    run = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    outcomes = {o.request_id: o for o in run.outcomes}
    assert (outcomes[barred.id].covered, outcomes[barred.id].bound) == (0, supplies.NOT_IN_GOOD_STANDING)
    assert outcomes[served.id].covered == 80  # the critical-care request no longer takes it first
    assert {line.request_id for line in run.lines} == {served.id}
    assert run.figures["bounds"][supplies.NOT_IN_GOOD_STANDING] == 1
    with pytest.raises(Forbidden, match="receive supply allocations"):
        request(session, w, 10)

    remediation = cases.request_remediation(session, w.hospital_admin, institution_id=w.hospital,
                                            plan="stock returned, storekeeper replaced")
    cases.decide_remediation(session, w.regulator, remediation, approve=True)
    supplies.commit(session, w.regulator, run)  # the other hospital's 80 leave the warehouse's 100
    again = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    assert [(o.request_id, o.covered, o.bound) for o in again.outcomes] == [(barred.id, 20, "no_stock_in_reach")]
    assert request(session, w, 10).id


def test_a_run_committed_after_its_institution_was_blacklisted_ships_nothing_to_it(session):
    w = make_world(session, warehouse_stock=(("A", 100, 300),))
    wanted = request(session, w, 60)
    run = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95]))
    assert run.outcomes[0].covered == 60
    _blacklist(session, w.regulator, w.hospital)
    supplies.commit(session, w.regulator, run)
    assert session.scalars(sa.select(Shipment).where(Shipment.request_id == wanted.id)).all() == []
    assert run.figures["commit"]["lines_withheld_not_in_good_standing"] == 1
    assert wanted.status is SupplyRequestStatus.OPEN and wanted.allocated == 0
    assert _lots(session, w.warehouse) == {"A": (100, 0)}
    assert supplies.ledger_problems(session) == []


def test_sources_outside_the_destinations_region_are_not_considered_when_the_policy_says_so(session, monkeypatch):
    from medshare.supplies import rules

    w = make_world(session, warehouse_stock=(("A", 100, 300),))
    hospital = supplies.store_of(session, w.hospital)
    warehouse = supplies.get_location(session, w.warehouse)
    hospital.division_code, warehouse.division_code = "350403", "350402"  # two districts of one city, 5 km apart
    session.flush()
    request(session, w, 50)
    assert supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])).outcomes[0].covered == 50
    monkeypatch.setattr(supplies, "policy", lambda: rules.policy_from({"region_digits": 6}))
    district = supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])).outcomes[0]
    assert (district.covered, district.bound) == (0, "no_stock_in_reach")
    monkeypatch.setattr(supplies, "policy", lambda: rules.policy_from({"region_digits": 4}))
    assert supplies.propose(session, w.regulator, RunIn(item_codes=[w.n95])).outcomes[0].covered == 50
