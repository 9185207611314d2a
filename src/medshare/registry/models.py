"""Tables of the registries."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.db import Base, Timestamped, string_enum


class InstitutionType(enum.StrEnum):
    TERTIARY_HOSPITAL = "tertiary_hospital"
    SECONDARY_HOSPITAL = "secondary_hospital"
    PRIMARY_HOSPITAL = "primary_hospital"
    COMMUNITY_HEALTH_CENTRE = "community_health_centre"
    TOWNSHIP_HEALTH_CENTRE = "township_health_centre"
    VILLAGE_CLINIC = "village_clinic"
    INDIVIDUAL_CLINIC = "individual_clinic"
    THIRD_PARTY_LAB = "third_party_lab"
    IMAGING_CENTRE = "imaging_centre"
    SUPPLIER = "supplier"
    LOGISTICS_FIRM = "logistics_firm"
    INSURER = "insurer"
    REGULATOR = "regulator"


class InstitutionStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Profession(enum.StrEnum):
    DOCTOR = "doctor"
    NURSE = "nurse"
    PHARMACIST = "pharmacist"
    TECHNICIAN = "technician"


class Title(enum.StrEnum):
    """Professional titles (职称), junior to senior."""

    RESIDENT = "resident"
    ATTENDING = "attending"
    ASSOCIATE_CHIEF = "associate_chief"
    CHIEF = "chief"



class Institution(Timestamped, Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    type: Mapped[InstitutionType] = mapped_column(string_enum(InstitutionType), index=True)
    grade_level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    grade_class: Mapped[str | None] = mapped_column(sa.String(1))
    division_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    status: Mapped[InstitutionStatus] = mapped_column(
        string_enum(InstitutionStatus), default=InstitutionStatus.ACTIVE, index=True
    )

    licences: Mapped[list[Licence]] = relationship(
        back_populates="institution", order_by="Licence.valid_to", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[CommunityMembership]] = relationship(back_populates="institution")

    __table_args__ = (
        sa.CheckConstraint("grade_level IS NULL OR grade_level IN (1, 2, 3)", name="grade_level"),
        sa.CheckConstraint("grade_class IS NULL OR grade_class IN ('A', 'B', 'C')", name="grade_class"),
    )


class Licence(Timestamped, Base):
    """An institution's practice licence (医疗机构执业许可证) or business licence."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(500), default="")
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]

    institution: Mapped[Institution] = relationship(back_populates="licences")

    __table_args__ = (
        sa.UniqueConstraint("institution_id", "number"),
        sa.CheckConstraint("valid_to >= valid_from", name="validity"),
    )


class MedicalCommunity(Timestamped, Base):
    """A city medical group (医联体) or county medical community (医共体) led by one hospital."""

    __tablename__ = "medical_communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40), default="city_group")
    lead_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)

    lead_institution: Mapped[Institution] = relationship()
    members: Mapped[list[CommunityMembership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )


class CommunityMembership(Base):
    __tablename__ = "community_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("medical_communities.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    joined_on: Mapped[dt.date]

    community: Mapped[MedicalCommunity] = relationship(back_populates="members")
    institution: Mapped[Institution] = relationship(back_populates="memberships")

    __table_args__ = (sa.UniqueConstraint("community_id", "institution_id"),)


class Practitioner(Timestamped, Base):
    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    name_pinyin: Mapped[str] = mapped_column(sa.String(200), default="")
    sex: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    profession: Mapped[Profession] = mapped_column(string_enum(Profession), index=True)
    specialty: Mapped[str] = mapped_column(sa.String(100), default="", index=True)
    title: Mapped[Title] = mapped_column(string_enum(Title))
    primary_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    licence_valid_to: Mapped[dt.date | None]
    active: Mapped[bool] = mapped_column(default=True)

    primary_institution: Mapped[Institution] = relationship()
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="practitioner", order_by="Registration.valid_from"
    )


class Registration(Timestamped, Base):
    """A practitioner's registration to practise at a site other than the primary one (多点执业)."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    ended: Mapped[bool] = mapped_column(default=False)

    practitioner: Mapped[Practitioner] = relationship(back_populates="registrations")
    institution: Mapped[Institution] = relationship()

    __table_args__ = (sa.CheckConstraint("valid_to >= valid_from", name="validity"),)
