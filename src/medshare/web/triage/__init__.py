"""The triage form: patients online (public, nothing recorded, rate limited) and clinic staff (recorded).

The answer shows the level and the criteria that fired, where to be seen (the nearest suitable
institutions) and whether to send transport; staff may request it from the same page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from medshare.deps import SessionDep
from medshare.errors import DomainError
from medshare.permissions import Permission, has
from medshare.registry.models import Institution
from medshare.triage import rules
from medshare.triage import service as triage
from medshare.triage.schemas import AssessmentIn
from medshare.web.assets.common import in_viewers_language
from medshare.web.core import CsrfChecked, MaybeViewer, render
from medshare.web.forms import NO_ERRORS, FormFields, build, errors_of, for_create
from medshare.web.triage.common import ROMAN, RateLimit, fired_text, word

router = APIRouter(include_in_schema=False)
PUBLIC_LIMIT = RateLimit(limit=20, seconds=600)  # public assessments per client address per 10 minutes
SIGNS = ("heart_rate", "respiratory_rate", "systolic_bp", "spo2", "temperature", "gcs", "pain")
FIELDS = (*SIGNS, "avpu", "complaint", "mobility", "policy", "latitude", "longitude")


def _options() -> dict:
    return {
        "policies": [(code, word(code, "policy")) for code in rules.POLICIES],
        "complaints": [(code, word(code, "complaint")) for code in rules.COMPLAINTS],
        "mobilities": [(m.value, word(m.value, "mobility")) for m in rules.Mobility],
        "avpu": [("A", "A"), ("V", "V"), ("P", "P"), ("U", "U")],
        "signs": [(name, word(name, "field")) for name in SIGNS],
    }


def _page(request: Request, session, viewer, values: dict, errors=NO_ERRORS, answer: dict | None = None,
          status_code: int = 200):
    staff = viewer is not None and has(viewer, Permission.TRIAGE_ASSESS) and viewer.institution_id is not None
    institution = session.get(Institution, viewer.institution_id) if staff else None
    return render(request, "triage/form.html", {
        "values": values, "errors": errors, "answer": answer, "staff": staff, "institution": institution,
        "may_request": viewer is not None and has(viewer, Permission.TRANSPORT_REQUEST), **_options(),
    }, status_code)


@router.get("/triage")
def form(request: Request, session: SessionDep, viewer: MaybeViewer,
         policy: Annotated[str, Query(max_length=10)] = rules.DEFAULT_POLICY):
    """The triage form; anyone may use it, staff of an institution record what they assess."""
    in_viewers_language(request)
    values = {"policy": policy if policy in rules.POLICIES else rules.DEFAULT_POLICY, "complaint": "other",
              "mobility": "walks"}
    return _page(request, session, viewer, values)


def _answer(result: rules.TriageResult, places: list[triage.Place], assessment_id: int | None,
            latitude: float | None, longitude: float | None) -> dict:
    """What the page shows of a result, in the viewer's language."""
    return {
        "level": result.level, "roman": ROMAN[result.level], "name": word(result.level_name, "level"),
        "wait": result.max_wait_minutes, "care": word(result.care, "care"), "dispatch": result.dispatch,
        "capability": result.capability.value, "capability_text": word(result.capability, "capability"),
        "needs_tertiary": result.needs_tertiary, "policy": result.policy,
        "fired": [{"level": ROMAN[f.level], "text": fired_text(f.rule.split(" ")[0], f.rule, f.value)}
                  for f in result.fired],
        "places": places, "assessment_id": assessment_id, "latitude": latitude, "longitude": longitude,
    }


@router.post("/triage", dependencies=[CsrfChecked])
def assess(request: Request, session: SessionDep, viewer: MaybeViewer, form: FormFields):
    """Assess: staff record it at their institution; the public page computes only (and is rate limited)."""
    in_viewers_language(request)
    values = {name: form.get(name, "") for name in FIELDS}
    staff = viewer is not None and has(viewer, Permission.TRIAGE_ASSESS) and viewer.institution_id is not None
    if not staff:
        client = request.client.host if request.client else "unknown"
        if not PUBLIC_LIMIT.allow(client):
            return render(request, "triage/form.html", {
                "values": values, "errors": NO_ERRORS, "answer": None, "staff": False, "institution": None,
                "may_request": False, "limited": True, **_options()}, 429)
    try:
        data = build(AssessmentIn, for_create(form, FIELDS))
        if staff:
            assessment, result, places = triage.record_assessment(
                session, viewer, data.vitals(), policy=data.policy, latitude=data.latitude,
                longitude=data.longitude)
            answer = _answer(result, places, assessment.id, assessment.latitude, assessment.longitude)
        else:
            result, places = triage.evaluate(session, data.vitals(), data.policy, data.latitude, data.longitude)
            answer = _answer(result, places, None, data.latitude, data.longitude)
    except (DomainError, ValueError) as error:
        if isinstance(error, DomainError) and error.status in (401, 403):
            raise
        session.rollback()
        return _page(request, session, viewer, values, errors_of(error), None, 422)
    return _page(request, session, viewer, values, NO_ERRORS, answer)
