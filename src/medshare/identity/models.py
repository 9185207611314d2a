"""Tables of local patient records and of the master patient index that links them into persons."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped, utcnow


class PatientRecord(Timestamped, Base):
    """One institution's record of a patient, as registered there.

    The same person may have records at many institutions; linking them into one person is
    the master patient index's work and reads these rows as they are.
    """

    __tablename__ = "patient_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    local_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    name_pinyin: Mapped[str] = mapped_column(sa.String(200), default="")
    sex: Mapped[str] = mapped_column(sa.String(8))
    birth_date: Mapped[dt.date | None]
    national_id: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.UniqueConstraint("institution_id", "local_id"),
        sa.CheckConstraint("sex IN ('male', 'female', 'other', 'unknown')", name="sex"),
    )


class LinkHow(enum.StrEnum):
    """How a record came to belong to its person."""

    DETERMINISTIC_ID = "deterministic-id"  # the same valid national ID
    PROBABILISTIC = "probabilistic"  # a Fellegi–Sunter score above the policy's link threshold
    NEW = "new"  # no candidate scored high enough: a person of its own
    MANUAL = "manual"  # a reviewer's link, merge or unmerge; automatic relinking leaves it alone


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    LINKED = "linked"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # resolved by another decision (a merge, a relink) before anyone looked


class Person(Timestamped, Base):
    """The platform's master record of one human being, whose local records link to it."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"))


class PersonLink(Base):
    """Which person a local record belongs to, how that was decided and by whom."""

    __tablename__ = "person_links"

    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    how: Mapped[str] = mapped_column(sa.String(24))
    score: Mapped[float | None]
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchKeys(Base):
    """A record's blocking keys, each indexed, so a new record meets a handful of candidates.

    Only active records have a row: a deactivated record is never proposed again.
    """

    __tablename__ = "match_keys"

    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    key_name: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    key_given: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    key_phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)


class ReviewItem(Timestamped, Base):
    """A candidate pair scored between the thresholds (or blocked by conflicting IDs), for a person to decide."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    candidate_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    candidate_institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    score: Mapped[float]
    probability: Mapped[float]
    reason: Mapped[str] = mapped_column(sa.String(24))  # "score" or "id-conflict"
    comparisons: Mapped[list] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default=ReviewStatus.OPEN.value, index=True)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]


class RejectedPair(Base):
    """Two records a person said are not the same human: never proposed or linked again."""

    __tablename__ = "rejected_pairs"

    low_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), primary_key=True)
    high_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), primary_key=True, index=True)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PersonMerge(Base):
    """One merge of two persons, kept so that unmerging restores what was there before."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    merged_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    record_ids: Mapped[list] = mapped_column(sa.JSON)  # the records that came over from merged_id
    previous: Mapped[dict] = mapped_column(sa.JSON)  # record id -> [how, score] before the merge
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[dt.datetime | None]
    undone_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class LinkHistory(Base):
    """Every move of a record from one person to another, automatic or by hand."""

    __tablename__ = "link_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    from_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"))
    to_person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"))
    action: Mapped[str] = mapped_column(sa.String(24))  # link, relink, review-link, merge, unmerge
    how: Mapped[str] = mapped_column(sa.String(24))
    score: Mapped[float | None]
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LinkageModel(Base):
    """m/u weights estimated by EM from the region's records; the newest row is the one in use."""

    __tablename__ = "linkage_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    records: Mapped[int]
    pairs: Mapped[int]
    weights: Mapped[dict] = mapped_column(sa.JSON)


class LinkagePolicy(Base):
    """The region's two thresholds, as match probabilities; the newest row is the one in force."""

    __tablename__ = "linkage_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_probability: Mapped[float]
    review_probability: Mapped[float]
    set_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("review_probability > 0 AND review_probability <= link_probability "
                           "AND link_probability < 1", name="thresholds"),
    )
