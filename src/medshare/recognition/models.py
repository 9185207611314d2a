"""Tables of mutual recognition: the item catalogue, accreditation (the HR mark), scope policy, order-time checks."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped, string_enum, utcnow


class ItemCategory(enum.StrEnum):
    LAB = "lab"  # 检验
    EXAM = "exam"  # 检查 (imaging, ultrasound, ECG ...)


class ResultKind(enum.StrEnum):
    """Which clinical table holds an item's results: single values, or reports (panels, imaging)."""

    OBSERVATION = "Observation"
    REPORT = "DiagnosticReport"


class Decision(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # the order is fulfilled by a prior result: no new exam
    REPEATED = "repeated"  # done again although a result was recognisable, for a stated reason
    NEW = "new"  # nothing was recognisable: the exam is simply done


class RepeatReason(enum.StrEnum):
    """The reasons the 2022 national measures (国卫医发〔2022〕6号) allow for repeating a recognisable result."""

    CONDITION_CHANGED = "condition_changed"  # 病情变化，或结果与临床表现不符
    FAST_CHANGING = "fast_changing"  # 检查检验项目变化快
    CRITICAL_DECISION = "critical_decision"  # 手术、输血等重大医疗措施前
    EMERGENCY = "emergency"  # 急诊、急救
    FORENSIC = "forensic"  # 司法鉴定
    PATIENT_REQUEST = "patient_request"  # 患者要求
    QUALITY_DOUBT = "quality_doubt"  # 对结果质量存疑


class RecognitionItem(Timestamped, Base):
    """One item of the region's catalogue: its code, category, validity window and fee (policy data)."""

    __tablename__ = "recognition_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_system: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[ItemCategory] = mapped_column(string_enum(ItemCategory), index=True)
    result_kind: Mapped[ResultKind] = mapped_column(string_enum(ResultKind))
    # The result codes that satisfy the item (the item's own code among them), e.g. serum and blood potassium.
    match_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    validity_days: Mapped[int]
    fee_fen: Mapped[int]
    basis: Mapped[str] = mapped_column(sa.String(300), default="")  # where the window comes from
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("validity_days > 0", name="validity"),
                      sa.CheckConstraint("fee_fen >= 0", name="fee"))


class Accreditation(Timestamped, Base):
    """An institution's passed quality control for an item between two dates: results then carry the HR mark."""

    __tablename__ = "recognition_accreditations"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_items.id"), index=True)
    passed_on: Mapped[dt.date]
    valid_until: Mapped[dt.date]
    scheme: Mapped[str] = mapped_column(sa.String(200), default="")  # e.g. the provincial EQA programme
    withdrawn: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.CheckConstraint("valid_until >= passed_on", name="window"),
                      sa.Index("ix_recognition_accreditations_pair", "institution_id", "item_id"))


class ScopePolicy(Base):
    """Whose results an institution recognises; the newest row is in force (defaults until one is set)."""

    __tablename__ = "recognition_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    same_community: Mapped[bool] = mapped_column(default=True)
    lower_accepts_higher: Mapped[bool] = mapped_column(default=True)
    same_grade: Mapped[bool] = mapped_column(default=True)
    higher_accepts_lower: Mapped[bool] = mapped_column(default=False)
    independent_rank: Mapped[int] = mapped_column(default=2)  # third-party labs and imaging centres rank as grade 2
    set_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecognitionCheck(Base):
    """One order-time look-up of a patient's recognisable results for an item, and the doctor's decision."""

    __tablename__ = "recognition_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_items.id"), index=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    service_request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_requests.id"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # YYYY-MM in the region's time
    candidates: Mapped[list] = mapped_column(sa.JSON, default=list)
    recognisable_count: Mapped[int] = mapped_column(default=0)
    decision: Mapped[Decision] = mapped_column(string_enum(Decision), default=Decision.PENDING, index=True)
    decided_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    accepted_kind: Mapped[str | None] = mapped_column(sa.String(20))
    accepted_id: Mapped[int | None]
    accepted_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    repeat_reason: Mapped[RepeatReason | None] = mapped_column(string_enum(RepeatReason), index=True)
    repeat_note: Mapped[str] = mapped_column(sa.String(500), default="")
    fee_fen: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index("ix_recognition_checks_figures", "month", "institution_id", "item_id"),)
