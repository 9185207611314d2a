"""Tables of triage: each assessment made by clinic staff, with the level, the criteria that fired and the advice."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base, Timestamped, string_enum
from medshare.triage.rules import Capability, CareLevel, Mobility


class TriageAssessment(Timestamped, Base):
    """A triage decision recorded at an institution (the public page computes without recording)."""

    __tablename__ = "triage_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    patient_record_id: Mapped[int | None] = mapped_column(index=True)  # optional; checked by the service
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    policy: Mapped[str] = mapped_column(sa.String(10))
    level: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    fired: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    vitals: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    complaint: Mapped[str] = mapped_column(sa.String(40))
    mobility: Mapped[Mobility] = mapped_column(string_enum(Mobility))
    care: Mapped[CareLevel] = mapped_column(string_enum(CareLevel))
    capability: Mapped[Capability] = mapped_column(string_enum(Capability))
    dispatch: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float]
    longitude: Mapped[float]
    destination_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))

    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 5", name="level"),)
