"""Text no field of the API accepts: NUL and other control characters, and bidirectional overrides.

NUL cannot be stored by PostgreSQL and truncates strings in C libraries; the other C0/C1 controls
have no place in names, codes or notes (tab and line breaks excepted); the bidirectional overrides
and isolates (U+202A-U+202E, U+2066-U+2069) make a name display as something it is not ("Trojan
Source"). Lone surrogates are refused by the JSON decoder and pydantic already.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A cheap first look at the raw JSON bytes: escaped controls, or the overrides' UTF-8 or escapes.
_SUSPICIOUS = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u00[89][0-9a-fA-F]|\\u20(?:2[a-eA-E]|6[6-9])"
                         rb"|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xc2[\x80-\x9f]|\x7f")
ALLOWED_ESCAPES_BYTES = {b"\\u0009", b"\\u000a", b"\\u000A", b"\\u000d", b"\\u000D"}
RULE = "no-control-characters"
MESSAGE = "must not contain control characters or bidirectional overrides"


def bad_query_fields(query: bytes) -> list[str]:
    """The query parameters whose values (or names) hold a forbidden character."""
    if not query:
        return []
    found = []
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                errors="replace"):
        if FORBIDDEN.search(key) or FORBIDDEN.search(value):
            found.append(key if not FORBIDDEN.search(key) else "(query)")
    return list(dict.fromkeys(found))


def bad_path(path: str) -> bool:
    """Whether the decoded path holds a forbidden character."""
    return bool(FORBIDDEN.search(path))



INT64_MAX = 2**63 - 1
MAX_DEPTH = 64  # nesting no document of this API or of FHIR needs; deeper ones exhaust recursive validators
_LONG_NUMBER = re.compile(rb"-?\d{19,}")


def _inspect(document: Any) -> list[tuple[str, str, str]]:
    """Walk document without recursion: forbidden text, 65-bit integers, and excessive depth."""
    found: list[tuple[str, str, str]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        field = ".".join(path) or "body"
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            found.append(("body", "max-depth", f"nests deeper than {MAX_DEPTH} levels"))
            break
        if isinstance(value, str):
            if FORBIDDEN.search(value):
                found.append((field, RULE, MESSAGE))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if abs(value) > INT64_MAX:
                found.append((field, "out-of-range", "is outside the range of a 64-bit integer"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if FORBIDDEN.search(key):
                    found.append((".".join([*path, "(key)"]), RULE, MESSAGE))
                stack.append((item, (*path, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(index))) for index, item in enumerate(value))
    return list(dict.fromkeys(found))


def problems_in(body: bytes) -> list[tuple[str, str, str]]:
    """(field, rule, message) for every part of a JSON body no route accepts; empty for bodies not JSON."""
    hits = _SUSPICIOUS.findall(body)
    suspicious = bool(hits) and not all(hit in ALLOWED_ESCAPES_BYTES for hit in hits)
    nested = body.count(b"{") + body.count(b"[") > MAX_DEPTH
    if not (suspicious or nested or _LONG_NUMBER.search(body)):
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []  # the app answers malformed JSON itself
    return _inspect(document)
