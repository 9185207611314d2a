"""The hash chain's arithmetic: pure functions over plain values (no database).

hash(n) = SHA-256(prev_hash || "\\n" || canonical(event n)), where canonical covers the event's
place in the chain (seq), its id and every recorded field, and prev_hash is hash(n-1) (64 zeros
for the first). Changing, deleting, inserting or reordering any event changes every hash after it;
a signed checkpoint over hash(n) makes that visible even to someone who recomputes the chain.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence

GENESIS = "0" * 64

# The columns hashed, in this order (seq and id first).
FIELDS = ("seq", "id", "occurred_at", "actor_user_id", "actor_role", "action", "object_type", "object_id",
          "institution_id", "patient_record_id", "source_ip", "channel", "request_id", "details")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _instant(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def canonical(values: Sequence) -> bytes:
    """The bytes hashed for one event, from its values in FIELDS order."""
    row = list(values)
    row[2] = _instant(row[2])
    return _dumps(row).encode()


def link(prev_hash: str, values: Sequence) -> str:
    """The hash of an event whose predecessor's hash is prev_hash."""
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(b"\n")
    digest.update(canonical(values))
    return digest.hexdigest()


def checkpoint_message(seq: int, chain_hash: str) -> bytes:
    """What a checkpoint signs: the chain's hash at seq."""
    return f"medshare-audit-checkpoint\n{seq}\n{chain_hash}".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
