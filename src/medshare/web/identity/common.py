"""What the patient index's pages share: institution names for the records shown."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from medshare.registry import service as registry


def institution_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The name of each institution among ids, to label records by where they are kept."""
    return {i: registry.get_institution(session, i).name for i in set(ids) if i}
