"""Admin of the institution registry: list, register, edit, licences, close."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.deps import SessionDep
from medshare.permissions import Permission, Principal, authorize, has
from medshare.registry import service as registry
from medshare.registry.models import Institution, InstitutionType
from medshare.registry.schemas import InstitutionIn, InstitutionPatch, LicenceIn, institution_out
from medshare.web.admin.common import region_wide
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create, for_patch, values_of
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
FIELDS = ("code", "name", "name_en", "type", "grade_level", "grade_class", "division_code", "address",
          "latitude", "longitude", "phone")
EDITABLE = FIELDS[1:]
LICENCE_FIELDS = ("number", "scope", "valid_from", "valid_to")
Updater = Annotated[Principal, page_require(Permission.INSTITUTION_UPDATE)]
Registrar = Annotated[Principal, page_require(Permission.INSTITUTION_CREATE)]


@router.get("/institutions")
def institution_list(request: Request, session: SessionDep, viewer: Updater,
                     q: Annotated[str, Query(max_length=100)] = "",
                     page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The institutions the viewer may edit: the whole region, or the viewer's own."""
    if region_wide(viewer, Permission.INSTITUTION_UPDATE):
        rows, total = registry.search_institutions(session, q=q.strip(), status=None, limit=PAGE_SIZE,
                                                   offset=(page - 1) * PAGE_SIZE)
    else:
        rows = [registry.get_institution(session, viewer.institution_id)] if viewer.institution_id else []
        total = len(rows)
    today = dt.date.today()
    context = {"institutions": [institution_out(row, today) for row in rows], "pager": Pager(total, page),
               "query": {"q": q}, "region_wide": region_wide(viewer, Permission.INSTITUTION_UPDATE)}
    template = "admin/_institution_rows.html" if is_htmx(request) else "admin/institutions.html"
    return render(request, template, context)


def _form_page(request: Request, values: dict, errors: FormErrors, status_code: int = 200):
    return render(request, "admin/institution_new.html",
                  {"values": values, "errors": errors, "may_grade": True}, status_code)


@router.get("/institutions/new")
def institution_new(request: Request, viewer: Registrar):
    """The form that registers an institution."""
    return _form_page(request, {"type": InstitutionType.SECONDARY_HOSPITAL.value}, NO_ERRORS)


@router.post("/institutions", dependencies=[CsrfChecked])
def institution_create(request: Request, session: SessionDep, viewer: Registrar, form: FormFields):
    """Register an institution; the form comes back with each broken rule beside its field."""
    institution, errors = attempt(session, lambda: registry.create_institution(
        session, viewer, build(InstitutionIn, for_create(form, FIELDS, ints=("grade_level",)))))
    if errors:
        return _form_page(request, form, errors, 422)
    return redirect(f"/admin/institutions/{institution.id}", flash="institution-created")


def _editable(session, viewer: Principal, institution_id: int) -> Institution:
    institution = registry.get_institution(session, institution_id)
    authorize(viewer, Permission.INSTITUTION_UPDATE, institutions=[institution.id])
    return institution


def _edit_page(request: Request, session, viewer: Principal, institution: Institution, *,
               values: dict | None = None, errors: FormErrors = NO_ERRORS,
               licence_values: dict | None = None, licence_errors: FormErrors = NO_ERRORS,
               status_code: int = 200):
    return render(request, "admin/institution_edit.html", {
        "institution": institution_out(institution, dt.date.today()),
        "values": values or values_of(institution, FIELDS),
        "errors": errors,
        "licence_values": licence_values or {},
        "licence_errors": licence_errors,
        # Type and grade are accreditation decisions: only registrars change them.
        "may_grade": has(viewer, Permission.INSTITUTION_CREATE),
    }, status_code)


@router.get("/institutions/{institution_id}")
def institution_edit(request: Request, session: SessionDep, viewer: Updater, institution_id: int):
    """An institution's registered details, licences and status, for editing."""
    return _edit_page(request, session, viewer, _editable(session, viewer, institution_id))


@router.post("/institutions/{institution_id}", dependencies=[CsrfChecked])
def institution_update(request: Request, session: SessionDep, viewer: Updater, institution_id: int,
                       form: FormFields):
    """Save changed details; only the fields that differ are sent to the registry."""
    institution = _editable(session, viewer, institution_id)
    _, errors = attempt(session, lambda: registry.update_institution(
        session, viewer, institution,
        build(InstitutionPatch, for_patch(form, EDITABLE, institution, ints=("grade_level",)))))
    if errors:
        institution = registry.get_institution(session, institution_id)
        return _edit_page(request, session, viewer, institution, values={**values_of(institution, FIELDS), **form},
                          errors=errors, status_code=422)
    return redirect(f"/admin/institutions/{institution_id}", flash="institution-updated")


@router.post("/institutions/{institution_id}/licences", dependencies=[CsrfChecked])
def licence_add(request: Request, session: SessionDep, viewer: Registrar, institution_id: int,
                form: FormFields):
    """Record a licence with its validity window."""
    institution = registry.get_institution(session, institution_id)
    _, errors = attempt(session, lambda: registry.add_licence(
        session, viewer, institution, build(LicenceIn, for_create(form, LICENCE_FIELDS))))
    if errors:
        institution = registry.get_institution(session, institution_id)
        return _edit_page(request, session, viewer, institution, licence_values=form, licence_errors=errors,
                          status_code=422)
    return redirect(f"/admin/institutions/{institution_id}#licences", flash="licence-added")


@router.post("/institutions/{institution_id}/licences/{licence_id}/remove", dependencies=[CsrfChecked])
def licence_remove(session: SessionDep, viewer: Registrar, institution_id: int, licence_id: int):
    """Delete a licence recorded in error."""
    registry.remove_licence(session, viewer, licence_id)
    return redirect(f"/admin/institutions/{institution_id}#licences", flash="licence-removed")


@router.post("/institutions/{institution_id}/close", dependencies=[CsrfChecked])
def institution_close(session: SessionDep, viewer: Registrar, institution_id: int):
    """Close an institution; it leaves the directory and its history stays."""
    registry.close_institution(session, viewer, registry.get_institution(session, institution_id))
    return redirect(f"/admin/institutions/{institution_id}", flash="institution-closed")
