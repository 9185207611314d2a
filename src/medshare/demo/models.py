"""What the generator knows and the platform must discover: who is who."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from medshare.db import Base


class DemoPersonTruth(Base):
    """The generator's truth: which synthetic person each local patient record belongs to."""

    __tablename__ = "demo_person_truth"

    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), primary_key=True)
    person_key: Mapped[int] = mapped_column(index=True)
    distortions: Mapped[str] = mapped_column(sa.String(200), default="")
