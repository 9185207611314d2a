"""SMART on FHIR scopes on top of medshare's permissions, checked in one place.

A bearer token is one of medshare's account tokens. With no narrowing it carries the
scopes its role implies (``user/*.cruds``; a patient ``patient/*.cruds``); a token made by
``POST /fhir/auth/token`` (or ``medshare fhir token``) carries the scopes asked for, as far
as the parent's reach. A scope only ever narrows: what the account may do is still decided
by permissions.py and the records access rules.

Syntax (SMART v2 and v1): ``<context>/<type|*>.<cruds | read | write | *>`` with context
``user``, ``system`` or ``patient``; e.g. ``system/*.rs``, ``user/Observation.r``,
``patient/*.read``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medshare.accounts.models import Role
from medshare.fhir.outcome import FhirError

SCOPE = re.compile(r"^(user|system|patient)/(\*|[A-Z][A-Za-z]+)\.(\*|read|write|[cruds]+)$")
LETTER = {"create": "c", "read": "r", "vread": "r", "history": "r", "update": "u", "delete": "d", "search": "s"}


@dataclass(frozen=True)
class Grant:
    context: str
    resource: str
    letters: frozenset[str]


def parse(text: str) -> list[Grant]:
    """The resource scopes in a space-separated scope string (others, e.g. openid, are ignored)."""
    grants = []
    for item in text.split():
        match = SCOPE.match(item)
        if not match:
            continue
        context, resource, perms = match.groups()
        letters = {"*": "cruds", "read": "rs", "write": "cud"}.get(perms, perms)
        grants.append(Grant(context, resource, frozenset(letters)))
    return grants


def default_scopes(role: Role) -> str:
    return "patient/*.cruds" if role is Role.PATIENT else "user/*.cruds"


def allows(grants: list[Grant], resource: str, interaction: str) -> bool:
    letter = LETTER.get(interaction, "r")
    return any((g.resource in ("*", resource)) and letter in g.letters for g in grants)


def check(grants: list[Grant], resource: str, interaction: str) -> None:
    """Raise a 403 OperationOutcome unless the token's scopes allow interaction on resource."""
    if not allows(grants, resource, interaction):
        raise FhirError.one(403, "forbidden", f"the token's scopes do not allow {interaction} of {resource} "
                            f"(needs e.g. user/{resource}.{LETTER.get(interaction, 'r')})")


def narrow(requested: str, parent: list[Grant]) -> str:
    """The requested scopes the parent's scopes cover (each kept only if wholly covered)."""
    kept = []
    for grant in parse(requested):
        covering = [p for p in parent if p.resource in ("*", grant.resource)]
        if covering and grant.letters <= frozenset().union(*[p.letters for p in covering]):
            kept.append(f"{grant.context}/{grant.resource}.{''.join(c for c in 'cruds' if c in grant.letters)}")
    return " ".join(kept)
