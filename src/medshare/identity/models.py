"""Tables of local patient records."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped


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
