"""Tables of emergency transport: the fleet (ambulances and partner cars) and transport requests."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped, string_enum
from medshare.transport.rules import RequestStatus, VehicleKind, VehicleStatus
from medshare.triage.rules import Capability


class Vehicle(Timestamped, Base):
    """An ambulance of a hospital or emergency centre, or a partner car (the taxi association's), and where it is."""

    __tablename__ = "transport_vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    call_sign: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[VehicleKind] = mapped_column(string_enum(VehicleKind), index=True)
    capability: Mapped[Capability] = mapped_column(string_enum(Capability))
    station_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    status: Mapped[VehicleStatus] = mapped_column(string_enum(VehicleStatus), index=True,
                                                  default=VehicleStatus.IDLE)
    latitude: Mapped[float]
    longitude: Mapped[float]
    position_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.CheckConstraint("kind = 'ambulance' OR capability = 'seated'", name="partner_cars_seat"),
    )


class TransportRequest(Timestamped, Base):
    """A patient to be carried: where from, how severe, what vehicle they need, and the trip's lifecycle."""

    __tablename__ = "transport_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[RequestStatus] = mapped_column(string_enum(RequestStatus), index=True,
                                                  default=RequestStatus.REQUESTED)
    policy: Mapped[str] = mapped_column(sa.String(10), default="cn4")
    level: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    can_sit: Mapped[bool] = mapped_column(default=False)
    capability: Mapped[Capability] = mapped_column(string_enum(Capability))
    latitude: Mapped[float]
    longitude: Mapped[float]
    origin_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    destination_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    triage_assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("triage_assessments.id"))
    patient_record_id: Mapped[int | None] = mapped_column(index=True)  # optional; checked by the service
    source: Mapped[str] = mapped_column(sa.String(20), default="api")  # api / triage / night_care / demo
    source_ref: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    vehicle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transport_vehicles.id"), index=True)
    assignment: Mapped[str] = mapped_column(sa.String(10), default="")  # nearest / joint / manual
    eta_minutes: Mapped[float | None]
    distance_km: Mapped[float | None]
    requested_at: Mapped[dt.datetime]
    assigned_at: Mapped[dt.datetime | None]
    en_route_at: Mapped[dt.datetime | None]
    on_scene_at: Mapped[dt.datetime | None]
    transporting_at: Mapped[dt.datetime | None]
    at_hospital_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 5", name="level"),)
