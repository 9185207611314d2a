"""Tables of tiered care: referrals and their history, condition policies, teleconsultations, family-doctor
teams, contracts and follow-ups, the night-care rota, online requests and their message threads."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.care.rules import Direction, ReferralStatus, TeleconsultStatus, Urgency
from medshare.db import Base, Timestamped


def _enum(cls) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, name=f"care_{cls.__name__.lower()}")


class ConditionPolicyRow(Timestamped, Base):
    """The region's own referral policy of one condition, replacing the default."""

    __tablename__ = "care_condition_policies"

    condition: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    data: Mapped[dict] = mapped_column(sa.JSON)
    updated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Referral(Timestamped, Base):
    """A patient referred up or down between two institutions, with the records attached."""

    __tablename__ = "care_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    condition: Mapped[str] = mapped_column(sa.String(40), index=True)
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency))
    status: Mapped[ReferralStatus] = mapped_column(_enum(ReferralStatus), index=True, default=ReferralStatus.DRAFT)
    from_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    from_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    to_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    to_specialty: Mapped[str] = mapped_column(sa.String(100), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    observations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    criteria_met: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    attachments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # e.g. "DiagnosticReport/12"
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    answer_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    arrived_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    down_referred_at: Mapped[dt.datetime | None]
    care_plan: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    primary_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_teams.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_referrals.id"))

    events: Mapped[list[ReferralEvent]] = relationship(cascade="all, delete-orphan", order_by="ReferralEvent.id")


class ReferralEvent(Base):
    """One step of a referral's pathway, for its timeline and the time-to-accept figures."""

    __tablename__ = "care_referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("care_referrals.id"), index=True)
    at: Mapped[dt.datetime]
    action: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class Teleconsult(Timestamped, Base):
    """A request for a remote specialist opinion, its scheduled session and the signed opinion."""

    __tablename__ = "care_teleconsults"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    requester_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    specialty: Mapped[str] = mapped_column(sa.String(100), index=True)
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency))
    case_summary: Mapped[str] = mapped_column(sa.Text)
    attachments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[TeleconsultStatus] = mapped_column(_enum(TeleconsultStatus), index=True)
    specialist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    specialist_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    starts_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime | None]
    video_link: Mapped[str] = mapped_column(sa.String(500), default="")
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    opinion_signature: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # empty: recorded unsigned
    completed_at: Mapped[dt.datetime | None]
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fee_posted: Mapped[bool] = mapped_column(default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("fee_fen >= 0", name="fee"),)


class Team(Timestamped, Base):
    """A primary-care family-doctor team (家庭医生团队) of one institution."""

    __tablename__ = "care_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    leader_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"))
    capacity: Mapped[int] = mapped_column(default=2000)  # residents a team may hold under contract
    active: Mapped[bool] = mapped_column(default=True)

    members: Mapped[list[TeamMember]] = relationship(cascade="all, delete-orphan", order_by="TeamMember.id")


class TeamMember(Base):
    __tablename__ = "care_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("care_teams.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)

    __table_args__ = (sa.UniqueConstraint("team_id", "practitioner_id"),)


class ContractStatus(enum.StrEnum):
    ACTIVE = "active"
    RENEWED = "renewed"  # followed by its renewal
    ENDED = "ended"


class Contract(Timestamped, Base):
    """A resident's family-doctor contract (家庭医生签约) with a team: package, term, renewal."""

    __tablename__ = "care_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("care_teams.id"), index=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    package: Mapped[str] = mapped_column(sa.String(40))
    conditions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus), index=True, default=ContractStatus.ACTIVE)
    renewed_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_contracts.id"))

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="term"),)


class FollowUp(Timestamped, Base):
    """A chronic-disease follow-up a team owes a contracted resident."""

    __tablename__ = "care_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("care_contracts.id"), index=True)
    condition: Mapped[str] = mapped_column(sa.String(40))
    due_on: Mapped[dt.date] = mapped_column(index=True)
    done_at: Mapped[dt.datetime | None]
    controlled: Mapped[bool | None]
    observations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    by_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    source_referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_referrals.id"))


class Shift(Timestamped, Base):
    """One on-call night-care shift of a practitioner, at a site they may practise at."""

    __tablename__ = "care_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    specialty: Mapped[str] = mapped_column(sa.String(100), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)
    cancelled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="span"),)


class NightRequestStatus(enum.StrEnum):
    WAITING = "waiting"  # nobody on duty to take it yet
    ASSIGNED = "assigned"
    CLOSED = "closed"
    ESCALATED = "escalated"  # handed to emergency transport


class NightRequest(Timestamped, Base):
    """An online night-care request, routed to an on-duty doctor, with its message thread."""

    __tablename__ = "care_night_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    specialty: Mapped[str] = mapped_column(sa.String(100))
    complaint: Mapped[str] = mapped_column(sa.Text)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    status: Mapped[NightRequestStatus] = mapped_column(_enum(NightRequestStatus), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_shifts.id"))
    closed_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    escalation_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    transport_ref: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    messages: Mapped[list[Message]] = relationship(cascade="all, delete-orphan", order_by="Message.id")


class Message(Base):
    __tablename__ = "care_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("care_night_requests.id"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    author_kind: Mapped[str] = mapped_column(sa.String(20))  # patient / doctor / system
    body: Mapped[str] = mapped_column(sa.Text)
    sent_at: Mapped[dt.datetime]
