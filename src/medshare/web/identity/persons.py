"""Persons: search by demographics, one person with every local record, and the reviewer's merge and unmerge."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import FieldProblem
from medshare.identity import persons
from medshare.identity.models import PatientRecord, PersonLink
from medshare.identity.schemas import person_out
from medshare.permissions import Permission, Principal
from medshare.web.core import CsrfChecked, can, is_htmx, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt
from medshare.web.identity.common import institution_names

router = APIRouter()
Reader = Annotated[Principal, page_require(Permission.PERSON_READ)]
Reviewer = Annotated[Principal, page_require(Permission.IDENTITY_REVIEW)]
SEARCH_FIELDS = ("name", "birth_date", "national_id", "phone")
SEARCH_LIMIT = 20


def _search_page(request: Request, context: dict, status_code: int = 200):
    template = "identity/_person_rows.html" if is_htmx(request) else "identity/persons.html"
    return render(request, template, {"people": [], "institutions": {}, "searched": False, "errors": NO_ERRORS,
                                      "limit": SEARCH_LIMIT, "tab": "persons"} | context, status_code)


@router.get("/persons")
def person_search_form(request: Request, viewer: Reader):
    """The person search; nothing is read until something is asked."""
    return _search_page(request, {"query": dict.fromkeys(SEARCH_FIELDS, "")})


@router.post("/persons/search", dependencies=[CsrfChecked])
def person_search(request: Request, session: SessionDep, viewer: Reader, form: FormFields):
    """Persons whose records match the demographics given; every record shown is an audited read.

    A form post, not a query string: names, national IDs and phones stay out of addresses, history and logs.
    """
    query = {name: form.get(name, "")[:100] for name in SEARCH_FIELDS}
    try:
        birth_date = dt.date.fromisoformat(query["birth_date"]) if query["birth_date"] else None
    except ValueError:
        errors = FormErrors([FieldProblem("birth_date", "date", "must be a date (YYYY-MM-DD)")])
        return _search_page(request, {"query": query, "errors": errors}, 422)
    views, errors = attempt(session, lambda: persons.search_persons(
        session, viewer, name=query["name"], birth_date=birth_date, national_id=query["national_id"],
        phone=query["phone"], limit=SEARCH_LIMIT))
    if errors:
        return _search_page(request, {"query": query, "errors": errors}, 422)
    people = [person_out(viewer, view) for view in views]
    return _search_page(request, {
        "query": query, "people": people, "searched": True,
        "institutions": institution_names(session, [r.institution_id for p in people for r in p.records])})


def _person_page(request: Request, session: Session, viewer: Principal, person_id: int,
                 errors: FormErrors = NO_ERRORS, values: dict | None = None, status_code: int = 200):
    person = person_out(viewer, persons.read_person(session, viewer, person_id))
    return render(request, "identity/person.html", {
        "person": person, "errors": errors, "values": values or {},
        "institutions": institution_names(session, [r.institution_id for r in person.records]),
    }, status_code)


@router.get("/persons/{person_id}")
def person_page(request: Request, session: AuditedReadSessionDep, viewer: Reader, person_id: int):
    """A person with every local record: in full where the viewer's scope reaches, identifiers elsewhere."""
    return _person_page(request, session, viewer, person_id)


@router.post("/persons/{person_id}/merge", dependencies=[CsrfChecked])
def merge_into(request: Request, session: SessionDep, viewer: Reviewer, person_id: int, form: FormFields):
    """Move every record of another person into this one; kept in history, so each can be taken out again."""
    other = form.get("other_person_id", "")
    if not other.isdigit():
        errors = FormErrors([FieldProblem("other_person_id", "int_parsing", "must be a whole number")])
        return _person_page(request, session, viewer, person_id, errors, form, 422)
    _, errors = attempt(session, lambda: persons.merge_persons(session, viewer, person_id, int(other)))
    if errors:
        return _person_page(request, session, viewer, person_id, errors, form, 422)
    return redirect(f"/identity/persons/{person_id}", flash="persons-merged")


@router.post("/persons/{person_id}/unmerge", dependencies=[CsrfChecked])
def unmerge(request: Request, session: SessionDep, viewer: Reviewer, person_id: int, form: FormFields):
    """Take one record out of this person: the merge that brought it is undone, or it gets a person of its own."""
    record = form.get("record_id", "")
    if not record.isdigit():
        errors = FormErrors([FieldProblem("record_id", "int_parsing", "must be a whole number")])
        return _person_page(request, session, viewer, person_id, errors, status_code=422)
    target, errors = attempt(session, lambda: persons.unmerge_record(session, viewer, int(record)))
    if errors:
        return _person_page(request, session, viewer, person_id, errors, status_code=422)
    # Back to this person, unless the record that let the viewer see it has just left: then where it went.
    landing = person_id if _reaches(session, viewer, person_id) else target.id
    return redirect(f"/identity/persons/{landing}", flash="record-unmerged")


def _reaches(session: Session, viewer: Principal, person_id: int) -> bool:
    institutions = session.scalars(sa.select(PatientRecord.institution_id).join(
        PersonLink, PersonLink.patient_record_id == PatientRecord.id).where(PersonLink.person_id == person_id))
    return can(viewer, Permission.PERSON_READ, *institutions)
