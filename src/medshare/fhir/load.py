"""Loading FHIR Bundles from files (Synthea's and others'): `medshare fhir load FILE...`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from medshare.fhir import mapping, store
from medshare.permissions import Principal


@dataclass
class LoadResult:
    """What one Bundle brought: resources written per type, and entries of types this server does not keep."""

    file: str
    written: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)


def servable(bundle: dict) -> tuple[dict, Counter]:
    """The Bundle without entries of types not served here (Claim, Immunization, ...), and what was left out.

    References to left-out entries are removed from the kept resources' unmapped elements.
    """
    kept, skipped, dropped = [], Counter(), set()
    for entry in bundle.get("entry") or []:
        kind = (entry.get("resource") or {}).get("resourceType", "")
        if kind in mapping.SUPPORTED and kind not in mapping.READ_ONLY:
            kept.append(entry)
        else:
            skipped[kind] += 1
            if entry.get("fullUrl"):
                dropped.add(entry["fullUrl"])

    def prune(value):
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items()
                    if not (isinstance(v, dict) and v.get("reference") in dropped)}
        if isinstance(value, list):
            return [prune(v) for v in value if not (isinstance(v, dict) and v.get("reference") in dropped)]
        return value

    if dropped:
        kept = [prune(e) for e in kept]
    return {**bundle, "type": "transaction", "entry": kept}, skipped


def load_bundle(session: Session, principal: Principal, bundle: dict, *, name: str = "",
                base: str = "") -> LoadResult:
    """Apply one Bundle as a transaction (all or nothing), keeping only the types served here."""
    result = LoadResult(name)
    cleaned, result.skipped = servable(bundle)
    response = store.transaction(session, principal, cleaned, base)
    for entry, answer in zip(cleaned["entry"], response["entry"], strict=True):
        if answer["response"]["status"].startswith("201"):
            result.written[entry["resource"]["resourceType"]] += 1
    return result


def load_files(factory, principal: Principal, paths: list[Path]) -> list[LoadResult]:
    """Each file in its own transaction, in the order given (organizations and practitioners first)."""
    from medshare.db import transaction

    results = []
    for path in paths:
        bundle = json.loads(Path(path).read_text())
        with transaction(factory) as session:
            results.append(load_bundle(session, principal, bundle, name=str(path)))
    return results
