"""Pages of the shared record: a patient sees who read their records, when, on what basis and why."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request

from medshare import i18n
from medshare.deps import AuditedReadSessionDep
from medshare.errors import Forbidden
from medshare.records import access
from medshare.records.models import Consent, ConsentStatus
from medshare.records.router import log_items
from medshare.registry.models import Institution, Practitioner
from medshare.web.assets.common import in_viewers_language, local
from medshare.web.core import Viewer, render
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


def purposes() -> dict[str, str]:
    return {"TREAT": _("Treatment"), "ETREAT": _("Emergency treatment"), "PATRQT": _("Your own request"),
            "HPAYMT": _("Payment"), "HOPERAT": _("Operations"), "PUBHLTH": _("Public health"),
            "HRESCH": _("Research"), "": ""}


def bases() -> dict[str, str]:
    return {"own-record": _("You"), "own-institution": _("The institution that holds the record"),
            "care:encounter": _("A visit at the reader's institution"),
            "care:booking": _("A booking at the reader's institution"),
            "care:referral": _("A referral to the reader's institution"), "consent": _("Your consent"),
            "emergency": _("Emergency access"), "platform": _("Platform administration"),
            "recognition-order": _("Checking your earlier results for a new order"), "": ""}


@router.get("/records/access-log")
def access_log_page(request: Request, session: AuditedReadSessionDep, viewer: Viewer,
                    page: Annotated[int, Query(ge=1)] = 1,
                    person_id: Annotated[int | None, Query()] = None):
    """Who read my records: when, what, on what basis and for what purpose; emergencies flagged."""
    in_viewers_language(request)
    if person_id is None and viewer.patient_record_id is None:
        raise Forbidden("only a patient account has records of its own; give person_id")
    rows, total = access.access_log(session, viewer, person_id=person_id, limit=PAGE_SIZE,
                                    offset=(page - 1) * PAGE_SIZE)
    items = log_items(session, rows)
    names = dict(session.execute(sa.select(Institution.id, Institution.name).where(
        Institution.id.in_({i.record_institution_id for i in items if i.record_institution_id}))).all())
    shown = [{"item": i, "when": local(i.occurred_at), "purpose": purposes().get(i.purpose, i.purpose),
              "basis": bases().get(i.basis, i.basis), "held_by": names.get(i.record_institution_id, "")}
             for i in items]
    consents = []
    if viewer.patient_record_id is not None and person_id is None:
        records = access.same_person_records(session, viewer.patient_record_id)
        for c in session.scalars(sa.select(Consent).where(Consent.patient_record_id.in_(records))
                                 .order_by(Consent.id.desc())):
            grantee = (session.get(Institution, c.grantee_institution_id).name if c.grantee_institution_id else
                       session.get(Practitioner, c.grantee_practitioner_id).name if c.grantee_practitioner_id
                       else _("Anyone caring for you"))
            consents.append({"consent": c, "grantee": grantee, "active": c.status == ConsentStatus.ACTIVE,
                             "types": ", ".join(c.resource_types) or _("All records")})
    return render(request, "records/access_log.html", {
        "rows": shown, "consents": consents, "paging": Pager(page=page, total=total, size=PAGE_SIZE)})
