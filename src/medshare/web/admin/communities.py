"""Admin of medical communities (医联体 / 医共体): found one, admit and release members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from medshare.deps import SessionDep
from medshare.permissions import Permission, Principal
from medshare.registry import service as registry
from medshare.registry.schemas import CommunityIn, MemberIn, community_out
from medshare.web.admin.common import picker_options
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create

router = APIRouter()
Writer = Annotated[Principal, page_require(Permission.COMMUNITY_WRITE)]


def _page(request: Request, session, *, values: dict | None = None, errors: FormErrors = NO_ERRORS,
          member_errors: dict[int, FormErrors] | None = None, adding: bool = True, status_code: int = 200):
    return render(request, "admin/communities.html", {
        "communities": [community_out(c) for c in registry.list_communities(session)],
        "options": picker_options(session),
        "values": values or {},
        "errors": errors,
        "member_errors": member_errors or {},
        "member_values": {},
        "adding": adding,
    }, status_code)


def _card(request: Request, session, community_id: int, *, errors: FormErrors = NO_ERRORS,
          values: dict | None = None, adding: bool = True, status_code: int = 200):
    # htmx replaces just this community's card, with the add-member form's errors if any.
    return render(request, "admin/_community.html", {
        "community": community_out(registry.get_community(session, community_id)),
        "options": picker_options(session),
        "member_errors": {community_id: errors},
        "member_values": {community_id: values or {}},
        "adding": adding,
    }, status_code)


@router.get("/communities")
def community_list(request: Request, session: SessionDep, viewer: Writer):
    """Every medical community with its members."""
    return _page(request, session)


@router.post("/communities", dependencies=[CsrfChecked])
def community_create(request: Request, session: SessionDep, viewer: Writer, form: FormFields):
    """Found a medical community led by one hospital."""
    community, errors = attempt(session, lambda: registry.create_community(
        session, viewer, build(CommunityIn, for_create(form, ("name", "kind", "lead_institution_id")))))
    if errors:
        return _page(request, session, values=form, errors=errors, status_code=422)
    return redirect(f"/admin/communities#community-{community.id}", flash="community-created")


@router.post("/communities/{community_id}/members", dependencies=[CsrfChecked])
def member_add(request: Request, session: SessionDep, viewer: Writer, community_id: int, form: FormFields):
    """Admit an institution to the community."""
    community = registry.get_community(session, community_id)
    _, errors = attempt(session, lambda: registry.add_member(
        session, viewer, community, build(MemberIn, for_create(form, ("institution_id", "joined_on")))))
    if is_htmx(request):
        return _card(request, session, community_id, errors=errors, values=form if errors else None,
                     status_code=422 if errors else 200)
    if errors:
        return _page(request, session, member_errors={community_id: errors}, status_code=422)
    return redirect(f"/admin/communities#community-{community_id}", flash="member-added")


@router.post("/communities/{community_id}/members/{institution_id}/remove", dependencies=[CsrfChecked])
def member_remove(request: Request, session: SessionDep, viewer: Writer, community_id: int,
                  institution_id: int):
    """Release an institution from the community (the lead hospital stays)."""
    community = registry.get_community(session, community_id)
    _, errors = attempt(session, lambda: registry.remove_member(session, viewer, community, institution_id))
    if is_htmx(request):
        return _card(request, session, community_id, errors=errors, adding=False,
                     status_code=422 if errors else 200)
    if errors:
        return _page(request, session, member_errors={community_id: errors}, adding=False, status_code=422)
    return redirect(f"/admin/communities#community-{community_id}", flash="member-removed")
