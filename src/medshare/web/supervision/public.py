"""Public supervision pages, no login: complaints (social supervision) with their handling in aggregate, and
the blacklist. The trust record on each directory page comes from trust_context."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from medshare.deps import SessionDep
from medshare.errors import DomainError
from medshare.registry import service as registry
from medshare.supervision import complaints, directory
from medshare.web.core import CsrfChecked, MaybeViewer, redirect, render
from medshare.web.forms import NO_ERRORS, FormFields, errors_of
from medshare.web.supervision.common import word, yuan

router = APIRouter()


def trust_context(session: Session, *, institution_id: int | None = None, practitioner_id: int | None = None) -> dict:
    """What a directory page adds to show an institution's or practitioner's standing."""
    record = (directory.institution_trust(session, institution_id) if institution_id is not None
              else directory.practitioner_trust(session, practitioner_id))
    return {"trust": record, "word": word, "yuan": yuan}


def _complaints_page(request: Request, session: Session, values: dict, errors, status: int = 200):
    institution_id = values.get("institution_id")
    chosen = None
    if institution_id and str(institution_id).isdigit():
        try:
            chosen = registry.get_institution(session, int(institution_id))
        except DomainError:
            chosen = None
    options, _ = registry.search_institutions(session, limit=50)
    if chosen is not None and chosen not in options:
        options = [chosen, *options]
    return render(request, "supervision/complaints.html", {
        "options": options,
        "summary": complaints.aggregate(session), "values": values, "errors": errors, "chosen": chosen,
        "categories": complaints.CATEGORIES, "word": word}, status_code=status)


@router.get("/complaints")
def complaint_form(request: Request, session: SessionDep, viewer: MaybeViewer, institution: str = ""):
    """File a complaint about an institution; see how complaints are handled across the region."""
    return _complaints_page(request, session, {"institution_id": institution}, NO_ERRORS)


@router.post("/complaints", dependencies=[CsrfChecked])
def complaint_file(request: Request, session: SessionDep, viewer: MaybeViewer, form: FormFields):
    """Record a complaint, at most a few an hour from one address (the address itself is not kept)."""
    secret = request.app.state.settings.resolved_secret_key()
    client = request.client.host if request.client else ""
    raw = form.get("institution_id", "")
    try:
        with session.begin_nested():
            complaints.file_complaint(session, institution_id=int(raw) if raw.isdigit() else 0,
                                      category=form.get("category", ""), text=form.get("text", ""),
                                      source=complaints.source_hash(secret, client))
    except DomainError as error:
        status = 429 if isinstance(error, complaints.TooManyComplaints) else (
            404 if error.status == 404 else 422)
        return _complaints_page(request, session, form, errors_of(error), status)
    return redirect("/complaints?filed=1")


@router.get("/blacklist")
def blacklist(request: Request, session: SessionDep, viewer: MaybeViewer):
    """Every institution and practitioner blacklisted today, and why."""
    rows = directory.blacklist(session)
    names = {}
    for row in rows:
        try:
            names[row["subject"]] = (registry.get_institution(session, row["id"]).name if row["kind"] == "institution"
                                     else registry.get_practitioner(session, row["id"]).name)
        except DomainError:
            names[row["subject"]] = row["subject"]
    return render(request, "supervision/blacklist.html", {"rows": rows, "names": names})
