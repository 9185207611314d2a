"""Accounts: list, open within the roles the viewer may hand out, deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.accounts import service as accounts
from medshare.accounts.models import Role
from medshare.accounts.rules import ASSIGNABLE
from medshare.accounts.schemas import UserIn
from medshare.deps import SessionDep
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.web.admin.common import picker_options, region_wide
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
FIELDS = ("username", "display_name", "password", "role", "institution_id", "practitioner_id",
          "patient_record_id", "locale")
Reader = Annotated[Principal, page_require(Permission.USER_READ)]
Writer = Annotated[Principal, page_require(Permission.USER_WRITE)]


@router.get("/users")
def user_list(request: Request, session: SessionDep, viewer: Reader,
              q: Annotated[str, Query(max_length=64)] = "",
              page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The accounts the viewer may see, searched by username."""
    rows, total = accounts.list_users(session, viewer, q=q.strip(), limit=PAGE_SIZE,
                                      offset=(page - 1) * PAGE_SIZE)
    names = {i: registry.get_institution(session, i).name for i in {u.institution_id for u in rows} if i}
    context = {"users": rows, "pager": Pager(total, page), "query": {"q": q}, "institution_names": names,
               "assignable": ASSIGNABLE.get(viewer.role, set())}
    template = "admin/_user_rows.html" if is_htmx(request) else "admin/users.html"
    return render(request, template, context)


def _new_page(request: Request, session, viewer: Principal, values: dict, errors: FormErrors,
              status_code: int = 200):
    wide = region_wide(viewer, Permission.USER_WRITE)
    return render(request, "admin/user_new.html", {
        "values": values, "errors": errors,
        "roles": [role.value for role in Role if role in ASSIGNABLE.get(viewer.role, set())],
        "region_wide": wide,
        "options": picker_options(session) if wide else [],
        "own_institution": (registry.get_institution(session, viewer.institution_id)
                            if viewer.institution_id else None),
    }, status_code)


@router.get("/users/new")
def user_new(request: Request, session: SessionDep, viewer: Writer):
    """The form that opens an account."""
    values = {"institution_id": str(viewer.institution_id or ""), "locale": viewer.locale,
              "role": Role.PRACTITIONER.value}
    return _new_page(request, session, viewer, values, NO_ERRORS)


@router.post("/users", dependencies=[CsrfChecked])
def user_create(request: Request, session: SessionDep, viewer: Writer, form: FormFields):
    """Open an account; the role must be one the viewer may hand out."""
    _, errors = attempt(session, lambda: accounts.create_user(
        session, viewer, build(UserIn, for_create(form, FIELDS))))
    if errors:
        values = {k: v for k, v in form.items() if k != "password"}  # never echoed back into the page
        return _new_page(request, session, viewer, values, errors, 422)
    return redirect("/admin/users", flash="user-created")


@router.post("/users/{user_id}/deactivate", dependencies=[CsrfChecked])
def user_deactivate(session: SessionDep, viewer: Writer, user_id: int):
    """Deactivate an account; its sessions and tokens end with it."""
    accounts.deactivate_user(session, viewer, accounts.get_user(session, user_id))
    return redirect("/admin/users", flash="user-deactivated")
