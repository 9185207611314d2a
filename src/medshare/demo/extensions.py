"""Each capability's additions to the demo region (results, stock, fleets, ...).

An extension is a module with `extend(session, context) -> dict[str, int]` that writes its own
rows for the region already loaded and linked, deterministically from context.region.seed, and
returns its row counts (named as it wants them shown; counts of a table the region or another
extension also fills, such as institutions, are added up). They run in the order listed, each in a
committed transaction of its own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from medshare.db import session_factory, transaction
from medshare.demo.generator import Region

MODULES: tuple[str, ...] = (
    "medshare.demo.records",  # first: recognition reads its results
    "medshare.demo.recognition",  # before supervision, which revokes certificates
    "medshare.demo.transport",
    "medshare.demo.care",
    "medshare.demo.claims",
    "medshare.demo.supplies",
    "medshare.demo.supervision",  # last: its credit refresh reads what the others made
)


@dataclass(frozen=True)
class DemoContext:
    region: Region
    password_hash: str  # for any demo accounts an extension adds (same demo password)


def extend_all(engine: Engine, context: DemoContext, counts: dict[str, int], progress=None) -> dict[str, int]:
    """Run every extension over the seeded region; return counts with theirs added."""
    counts = dict(counts)
    for name in MODULES:
        module = importlib.import_module(name)
        if progress is not None:
            progress(name.rsplit(".", 1)[-1])
        with transaction(session_factory(engine)) as session:
            for table, added in module.extend(session, context).items():
                counts[table] = counts.get(table, 0) + added
    return counts
