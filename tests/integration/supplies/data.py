"""A small supply world made through the services: items with a substitute, a hospital, a warehouse, a supplier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts.models import Role
from medshare.permissions import Principal
from medshare.registry.models import InstitutionType
from medshare.supplies import service as supplies
from medshare.supplies.schemas import CapacityIn, ItemIn, LocationIn, StockRowIn, SubstituteIn, SupplyRequestIn
from tests import factories as f


@dataclass
class SupplyWorld:
    regulator: Principal
    hospital: int
    hospital_admin: Principal
    warehouse_firm: int
    warehouse: int
    warehouse_user: Principal
    supplier_firm: int
    supplier: int
    supplier_user: Principal
    n95: str
    kn95: str


def as_role(account: Principal, role: Role, institution_id: int | None) -> Principal:
    """account acting in role for institution_id."""
    return Principal(user_id=account.user_id, username=account.username, role=role, institution_id=institution_id)


def make_world(session: Session, *, hospital: int | None = None, warehouse_stock=((("B", 30, 20), ("A", 100, 300)))):
    """The world; warehouse_stock: (lot, units, days to expiry) of N95 at the warehouse."""
    admin = f.admin_principal(session)
    if hospital is None:
        hospital = f.make_institution(session, admin, type=InstitutionType.TERTIARY_HOSPITAL, grade_level=3).id
    commission = f.make_institution(session, admin, type=InstitutionType.REGULATOR, grade_level=None,
                                    grade_class=None).id
    # Principals share one account row (password hashing is slow); authorisation reads role and institution.
    regulator = as_role(admin, Role.REGULATOR, commission)
    firm = f.make_institution(session, admin, type=InstitutionType.LOGISTICS_FIRM, grade_level=None,
                              grade_class=None, latitude=26.27, longitude=117.65).id
    maker = f.make_institution(session, admin, type=InstitutionType.SUPPLIER, grade_level=None, grade_class=None,
                               latitude=26.30, longitude=117.60).id
    n95, kn95 = f.unique("N95"), f.unique("KN95")
    for code, name in ((n95, "医用防护口罩 N95"), (kn95, "KN95 口罩")):
        supplies.create_item(session, regulator, ItemIn(code=code, name=name, name_en=code,
                                                        category="protective_equipment", unit="piece"))
    supplies.add_substitute(session, regulator, supplies.item_by_code(session, n95), SubstituteIn(
        substitute_code=kn95, ratio=1.0))
    warehouse_user = as_role(admin, Role.SUPPLIER, firm)
    supplier_user = as_role(admin, Role.SUPPLIER, maker)
    hospital_admin = as_role(admin, Role.INSTITUTION_ADMIN, hospital)
    warehouse = supplies.create_location(session, warehouse_user, LocationIn(
        institution_id=firm, kind="warehouse", name="central warehouse")).id
    plant = supplies.create_location(session, supplier_user, LocationIn(
        institution_id=maker, kind="supplier", name="plant")).id
    today = supplies.today()
    if warehouse_stock:
        supplies.report_stock(session, warehouse_user, supplies.get_location(session, warehouse), [
            StockRowIn(item_code=n95, lot=lot, on_hand=units, expiry=today + dt.timedelta(days=days))
            for lot, units, days in warehouse_stock])
    supplies.set_capacity(session, supplier_user, supplies.get_location(session, plant),
                          CapacityIn(item_code=kn95, daily_units=0, lead_days=1))
    return SupplyWorld(regulator, hospital, hospital_admin, firm, warehouse, warehouse_user, maker, plant,
                       supplier_user, n95, kn95)


def request(session: Session, w: SupplyWorld, quantity: int, priority: str = "critical_care", *, item: str = "",
            days: int = 2, institution: int | None = None, actor: Principal | None = None):
    """A request of the world's hospital (or institution) for the world's N95 (or item)."""
    return supplies.create_request(session, actor or w.hospital_admin, SupplyRequestIn(
        institution_id=institution or w.hospital, item_code=item or w.n95, quantity=quantity, priority=priority,
        need_by=supplies.today() + dt.timedelta(days=days)))


# The API's authorisation table ------------------------------------------------------------------------------


def add_supplies(committed, w):
    """Hospital A's supply objects: its own warehouse and plant, stock, requests, an ordered and a dispatched
    shipment, and a proposed run; items of their own so no other test's requests join these runs."""
    from medshare.db import transaction
    from medshare.supplies.models import Shipment
    from medshare.supplies.schemas import RunIn

    with transaction(committed) as session:
        admin = f.admin_principal(session)
        commission = f.make_institution(session, admin, type=InstitutionType.REGULATOR, grade_level=None,
                                        grade_class=None).id
        regulator = as_role(admin, Role.REGULATOR, commission)
        hospital_a = as_role(admin, Role.INSTITUTION_ADMIN, w.hospital_a)
        codes = [f.unique(name) for name in ("GOWN", "MASK", "SWAB", "SUB")]
        for code in codes:
            supplies.create_item(session, regulator, ItemIn(code=code, name=code, category="protective_equipment",
                                                            unit="piece"))
        w.supply_item, w.supply_item_run, w.supply_item_open, w.supply_substitute = codes
        w.supply_item_id = supplies.item_by_code(session, codes[0]).id
        w.supply_warehouse = supplies.create_location(session, hospital_a, LocationIn(
            institution_id=w.hospital_a, kind="warehouse", name=f.unique("warehouse"))).id
        w.supply_plant = supplies.create_location(session, hospital_a, LocationIn(
            institution_id=w.hospital_a, kind="supplier", name=f.unique("disinfectant workshop"))).id
        supplies.report_stock(session, hospital_a, supplies.get_location(session, w.supply_warehouse), [
            StockRowIn(item_code=codes[0], lot="L1", on_hand=100), StockRowIn(item_code=codes[1], on_hand=100)])
        need_by = supplies.today() + dt.timedelta(days=2)

        def ask(code: str, quantity: int = 10) -> int:
            return supplies.create_request(session, hospital_a, SupplyRequestIn(
                institution_id=w.hospital_a, item_code=code, quantity=quantity, priority="critical_care",
                need_by=need_by)).id

        ask(codes[0])
        ask(codes[0])
        run = supplies.commit(session, regulator, supplies.propose(session, regulator, RunIn(item_codes=[codes[0]])))
        ordered, shipped = session.scalars(sa.select(Shipment).where(Shipment.run_id == run.id)
                                           .order_by(Shipment.id)).all()
        supplies.dispatch(session, hospital_a, shipped)
        w.shipment_ordered, w.shipment_dispatched = ordered.id, shipped.id
        ask(codes[1])
        w.supply_run = supplies.propose(session, regulator, RunIn(item_codes=[codes[1]])).id
        w.supply_request_open = ask(codes[2])
    return w


def cases(w) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """The supplies API's write routes aimed at hospital A's objects."""
    s = "/api/v1/supplies"
    need_by = (supplies.today() + dt.timedelta(days=3)).isoformat()
    return {
        ("POST", f"{s}/items"): (f"{s}/items", {"code": f.unique("ITEM"), "name": "医用隔离衣",
                                                "category": "protective_equipment", "unit": "piece"}),
        ("POST", f"{s}/items/{{item_id}}/substitutes"): (f"{s}/items/{w.supply_item_id}/substitutes",
                                                         {"substitute_code": w.supply_substitute, "ratio": 2}),
        ("POST", f"{s}/locations"): (f"{s}/locations", {"institution_id": w.hospital_a, "kind": "hospital_store",
                                                        "name": f.unique("stores")}),
        ("POST", f"{s}/locations/{{location_id}}/stock"): (f"{s}/locations/{w.supply_warehouse}/stock", {
            "rows": [{"item_code": w.supply_item_open, "lot": "N1", "on_hand": 5}]}),
        ("POST", f"{s}/stock/upload"): (f"{s}/stock/upload", {
            "csv": f"location_id,item_code,lot,on_hand\n{w.supply_warehouse},{w.supply_item_open},N2,7\n"}),
        ("PUT", f"{s}/locations/{{location_id}}/capacity"): (f"{s}/locations/{w.supply_plant}/capacity", {
            "item_code": w.supply_item_open, "daily_units": 20, "lead_days": 1}),
        ("PUT", f"{s}/consumption"): (f"{s}/consumption", {"institution_id": w.hospital_a,
                                                           "item_code": w.supply_item, "daily_units": 30}),
        ("POST", f"{s}/requests"): (f"{s}/requests", {"institution_id": w.hospital_a, "item_code": w.supply_item_open,
                                                      "quantity": 5, "priority": "fever_clinic", "need_by": need_by}),
        ("POST", f"{s}/requests/{{request_id}}/cancel"): (f"{s}/requests/{w.supply_request_open}/cancel", None),
        ("POST", f"{s}/runs"): (f"{s}/runs", {"item_codes": [w.supply_item_open]}),
        ("POST", f"{s}/runs/{{run_id}}/commit"): (f"{s}/runs/{w.supply_run}/commit", None),
        ("POST", f"{s}/shipments/{{shipment_id}}/dispatch"): (f"{s}/shipments/{w.shipment_ordered}/dispatch", {}),
        ("POST", f"{s}/shipments/{{shipment_id}}/receive"): (f"{s}/shipments/{w.shipment_dispatched}/receive",
                                                             {"quantity": 10}),
    }


_S = "/api/v1/supplies"
# Order matters: the open request is cancelled after the run over its item has been proposed.
ALLOWED = [
    ("regulator", "POST", f"{_S}/items"),
    ("regulator", "POST", f"{_S}/items/{{item_id}}/substitutes"),
    ("admin_a", "POST", f"{_S}/locations"),
    ("admin_a", "POST", f"{_S}/locations/{{location_id}}/stock"),
    ("admin_a", "POST", f"{_S}/stock/upload"),
    ("admin_a", "PUT", f"{_S}/locations/{{location_id}}/capacity"),
    ("admin_a", "PUT", f"{_S}/consumption"),
    ("admin_a", "POST", f"{_S}/requests"),
    ("regulator", "POST", f"{_S}/runs"),
    ("regulator", "POST", f"{_S}/runs/{{run_id}}/commit"),
    ("admin_a", "POST", f"{_S}/requests/{{request_id}}/cancel"),
    ("admin_a", "POST", f"{_S}/shipments/{{shipment_id}}/dispatch"),
    ("admin_a", "POST", f"{_S}/shipments/{{shipment_id}}/receive"),
]
