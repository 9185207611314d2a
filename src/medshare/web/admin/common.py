"""What the admin pages share: the institution picker's first options and scope checks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from medshare.permissions import Permission, Principal, Scope, scope_of
from medshare.registry import service as registry
from medshare.registry.models import Institution

PICKER_SIZE = 50


def picker_options(session: Session) -> list[Institution]:
    """The institutions an institution picker offers before anything is typed into it."""
    rows, _ = registry.search_institutions(session, limit=PICKER_SIZE)
    return rows


def region_wide(viewer: Principal, permission: Permission) -> bool:
    """Whether the viewer's grant of permission reaches the whole region, not one institution."""
    return scope_of(viewer, permission) is Scope.ANY
