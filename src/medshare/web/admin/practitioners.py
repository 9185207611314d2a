"""Admin of the practitioner register: list, register, edit, withdraw, multi-site registrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.deps import SessionDep
from medshare.permissions import Permission, Principal, authorize
from medshare.registry import service as registry
from medshare.registry.models import Practitioner, Profession, Title
from medshare.registry.schemas import PractitionerIn, PractitionerPatch, RegistrationIn, practitioner_out
from medshare.settings import get_settings
from medshare.web.admin.common import picker_options, region_wide
from medshare.web.core import CsrfChecked, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build, for_create, for_patch, values_of
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
FIELDS = ("licence_number", "name", "name_pinyin", "sex", "profession", "specialty", "title",
          "primary_institution_id", "licence_valid_to")
EDITABLE = FIELDS[1:]
REGISTRATION_FIELDS = ("institution_id", "valid_from", "valid_to")
Writer = Annotated[Principal, page_require(Permission.PRACTITIONER_WRITE)]


@router.get("/practitioners")
def practitioner_list(request: Request, session: SessionDep, viewer: Writer,
                      q: Annotated[str, Query(max_length=100)] = "",
                      page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """Practitioners the viewer may edit: the region's, or those of the viewer's institution."""
    institution_id = None if region_wide(viewer, Permission.PRACTITIONER_WRITE) else viewer.institution_id
    rows, total = registry.search_practitioners(session, q=q.strip(), institution_id=institution_id,
                                                active=None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context = {"practitioners": [practitioner_out(p) for p in rows], "pager": Pager(total, page),
               "query": {"q": q}}
    template = "admin/_practitioner_rows.html" if is_htmx(request) else "admin/practitioners.html"
    return render(request, template, context)


def _form_context(session, viewer: Principal) -> dict:
    return {
        "professions": list(Profession),
        "titles": list(Title),
        "region_wide": region_wide(viewer, Permission.PRACTITIONER_WRITE),
        "options": picker_options(session),
        "own_institution": (registry.get_institution(session, viewer.institution_id)
                            if viewer.institution_id else None),
    }


@router.get("/practitioners/new")
def practitioner_new(request: Request, session: SessionDep, viewer: Writer):
    """The form that registers a practitioner."""
    values = {"primary_institution_id": str(viewer.institution_id or ""), "sex": "unknown"}
    return render(request, "admin/practitioner_new.html",
                  {"values": values, "errors": NO_ERRORS, **_form_context(session, viewer)})


@router.post("/practitioners", dependencies=[CsrfChecked])
def practitioner_create(request: Request, session: SessionDep, viewer: Writer, form: FormFields):
    """Register a practitioner at a primary institution."""
    practitioner, errors = attempt(session, lambda: registry.create_practitioner(
        session, viewer, build(PractitionerIn, for_create(form, FIELDS))))
    if errors:
        return render(request, "admin/practitioner_new.html",
                      {"values": form, "errors": errors, **_form_context(session, viewer)}, 422)
    return redirect(f"/admin/practitioners/{practitioner.id}", flash="practitioner-created")


def _editable(session, viewer: Principal, practitioner_id: int) -> Practitioner:
    practitioner = registry.get_practitioner(session, practitioner_id)
    authorize(viewer, Permission.PRACTITIONER_WRITE, institutions=[practitioner.primary_institution_id])
    return practitioner


def _registrations_context(session, practitioner: Practitioner, errors: FormErrors, values: dict | None):
    return {
        "practitioner": practitioner_out(practitioner),
        "registration_errors": errors,
        "registration_values": values or {},
        "max_sites": get_settings().max_sites_per_practitioner,
        "options": picker_options(session),
    }


def _edit_page(request: Request, session, viewer: Principal, practitioner: Practitioner, *,
               values: dict | None = None, errors: FormErrors = NO_ERRORS,
               registration_values: dict | None = None, registration_errors: FormErrors = NO_ERRORS,
               status_code: int = 200):
    return render(request, "admin/practitioner_edit.html", {
        "values": values or values_of(practitioner, FIELDS),
        "errors": errors,
        **_form_context(session, viewer),
        **_registrations_context(session, practitioner, registration_errors, registration_values),
    }, status_code)


@router.get("/practitioners/{practitioner_id}")
def practitioner_edit(request: Request, session: SessionDep, viewer: Writer, practitioner_id: int):
    """A practitioner's registered details and multi-site registrations, for editing."""
    return _edit_page(request, session, viewer, _editable(session, viewer, practitioner_id))


@router.post("/practitioners/{practitioner_id}", dependencies=[CsrfChecked])
def practitioner_update(request: Request, session: SessionDep, viewer: Writer, practitioner_id: int,
                        form: FormFields):
    """Save changed details."""
    practitioner = _editable(session, viewer, practitioner_id)
    _, errors = attempt(session, lambda: registry.update_practitioner(
        session, viewer, practitioner, build(PractitionerPatch, for_patch(form, EDITABLE, practitioner))))
    if errors:
        practitioner = registry.get_practitioner(session, practitioner_id)
        values = {**values_of(practitioner, FIELDS), **form}
        return _edit_page(request, session, viewer, practitioner, values=values, errors=errors, status_code=422)
    return redirect(f"/admin/practitioners/{practitioner_id}", flash="practitioner-updated")


@router.post("/practitioners/{practitioner_id}/deactivate", dependencies=[CsrfChecked])
def practitioner_deactivate(session: SessionDep, viewer: Writer, practitioner_id: int):
    """Withdraw a practitioner from the register."""
    registry.deactivate_practitioner(session, viewer, registry.get_practitioner(session, practitioner_id))
    return redirect(f"/admin/practitioners/{practitioner_id}", flash="practitioner-deactivated")


def _registrations_answer(request: Request, session, viewer: Principal, practitioner_id: int,
                          errors: FormErrors, values: dict | None, flash: str):
    if is_htmx(request):
        # htmx swaps the registrations section only; a broken rule (the site limit) shows inside it.
        practitioner = registry.get_practitioner(session, practitioner_id)
        return render(request, "admin/_registrations.html",
                      _registrations_context(session, practitioner, errors, values), 422 if errors else 200)
    if errors:
        practitioner = registry.get_practitioner(session, practitioner_id)
        return _edit_page(request, session, viewer, practitioner, registration_values=values,
                          registration_errors=errors, status_code=422)
    return redirect(f"/admin/practitioners/{practitioner_id}#registrations", flash=flash)


@router.post("/practitioners/{practitioner_id}/registrations", dependencies=[CsrfChecked])
def registration_add(request: Request, session: SessionDep,
                     viewer: Annotated[Principal, page_require(Permission.REGISTRATION_WRITE)],
                     practitioner_id: int, form: FormFields):
    """Register the practitioner at another site, within the region's limit of sites."""
    practitioner = registry.get_practitioner(session, practitioner_id)
    _, errors = attempt(session, lambda: registry.add_registration(
        session, viewer, practitioner, build(RegistrationIn, for_create(form, REGISTRATION_FIELDS))))
    return _registrations_answer(request, session, viewer, practitioner_id, errors,
                                 form if errors else None, "registration-added")


@router.post("/practitioners/{practitioner_id}/registrations/{registration_id}/end", dependencies=[CsrfChecked])
def registration_end(request: Request, session: SessionDep,
                     viewer: Annotated[Principal, page_require(Permission.REGISTRATION_WRITE)],
                     practitioner_id: int, registration_id: int):
    """End a multi-site registration early."""
    registration = registry.get_registration(session, registration_id)
    _, errors = attempt(session, lambda: registry.end_registration(session, viewer, registration))
    return _registrations_answer(request, session, viewer, practitioner_id, errors, None, "registration-ended")
