"""Referral pages: the inbox and outbox, the draft form with the criteria met, suggested targets, each step
of the pathway, and the care plan that hands the patient back to primary care."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from medshare.care import common, referrals, rules
from medshare.care import policy as policies
from medshare.care.rules import ReferralStatus
from medshare.care.schemas import CarePlanIn, ReferralIn, ReferralPatch
from medshare.deps import AuditedReadSessionDep, SessionDep
from medshare.errors import InvalidInput
from medshare.permissions import Permission, Principal, authorize
from medshare.web.core import CsrfChecked, page_require, redirect, render
from medshare.web.forms import NO_ERRORS, FormErrors, FormFields, attempt, build
from medshare.web.paging import PAGE_SIZE, Pager

router = APIRouter()
Referrer = Annotated[Principal, page_require(Permission.REFERRAL_WRITE)]
NUMBERS = ("systolic_bp", "diastolic_bp", "uncontrolled_follow_ups", "glucose_mmol_l", "spo2", "respiratory_rate",
           "chest_pain_minutes", "potassium_mmol_l", "egfr", "risk_level")
FINDINGS = ("severe_headache", "neurological_signs", "chest_pain", "ketosis", "impaired_consciousness",
            "st_changes", "diagnosis_clear", "plan_clear", "stable")
ACTIONS = ("send", "accept", "decline", "arrive", "complete", "cancel")


def _observations(form: dict[str, str]) -> dict:
    out: dict = {}
    for name in NUMBERS:
        value = form.get(name, "")
        if value:
            try:
                out[name] = float(value)
            except ValueError:
                raise InvalidInput.on(name, "number", "must be a number") from None
    for name in FINDINGS:
        if form.get(name):
            out[name] = True
    return out


@router.get("/referrals")
def referral_list(request: Request, session: AuditedReadSessionDep, viewer: Referrer,
                  box: Annotated[str, Query(pattern="^(inbox|outbox)$")] = "inbox",
                  status: Annotated[str, Query(max_length=20)] = "",
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The institution's referral inbox (received) or outbox (sent and drafts), late ones flagged."""
    chosen = status if status in {s.value for s in ReferralStatus} else None
    rows, total = referrals.list_referrals(session, viewer, box=box, status=chosen, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
    patients = {r.patient_record_id: common.patient(session, r.patient_record_id) for r in rows}
    common.audit_patients(session, viewer, patients.values(), f"referrals-{box}")
    names = common.names_of(session, [r.from_institution_id for r in rows] + [r.to_institution_id for r in rows])
    return render(request, "care/referrals.html", {
        "referrals": rows, "patients": patients, "names": names, "box": box, "pager": Pager(total, page),
        "query": {"box": box, "status": status}, "statuses": list(ReferralStatus)})


def _form(request: Request, session: Session, values: dict, errors: FormErrors, status_code: int = 200):
    return render(request, "care/referral_new.html", {
        "values": values, "errors": errors, "numbers": NUMBERS, "findings": FINDINGS,
        "conditions": [(code, p.name) for code, p in policies.policies(session).items()]}, status_code)


@router.get("/referrals/new")
def referral_new(request: Request, session: SessionDep, viewer: Referrer,
                 patient: Annotated[str, Query(max_length=12)] = ""):
    """The form that drafts a referral; the criteria its findings meet set direction and urgency."""
    return _form(request, session, {"patient_record_id": patient, "condition": "hypertension"}, NO_ERRORS)


@router.post("/referrals/new", dependencies=[CsrfChecked])
def referral_create(request: Request, session: SessionDep, viewer: Referrer, form: FormFields):
    """Draft the referral and go to it, to choose among the suggested targets."""
    def act():
        values = {k: form[k] for k in ("patient_record_id", "condition", "summary", "direction", "urgency")
                  if form.get(k)}
        return referrals.create_referral(session, viewer, build(ReferralIn, values | {
            "observations": _observations(form)}))

    referral, errors = attempt(session, act)
    if errors:
        return _form(request, session, form, errors, 422)
    return redirect(f"/referrals/{referral.id}", "referral-drafted")


def _detail(request: Request, session: Session, viewer: Principal, referral_id: int,
            errors: FormErrors = NO_ERRORS, status_code: int = 200):
    referral = referrals.read_referral(session, viewer, referral_id)
    patient = common.patient(session, referral.patient_record_id)
    common.audit_patients(session, viewer, [patient], "referral")
    sender = viewer.institution_id == referral.from_institution_id or viewer.role.value == "platform_admin"
    receiver = viewer.institution_id == referral.to_institution_id or viewer.role.value == "platform_admin"
    allowed = [a for a in rules.actions_from(referral.status)
               if (rules.side_of(a) == "sender" and sender) or (rules.side_of(a) == "receiver" and receiver)]
    suggestions = []
    if referral.status is ReferralStatus.DRAFT and sender:
        suggestions = referrals.suggest_targets(session, viewer, referral, limit=8)
    policy = policies.policies(session).get(referral.condition)
    met = [c for c in (policy.criteria if policy else ()) if c.code in referral.criteria_met]
    return render(request, "care/referral.html", {
        "r": referral, "patient": patient, "allowed": allowed, "suggestions": suggestions, "met": met,
        "names": common.names_of(session, [referral.from_institution_id, referral.to_institution_id]),
        "errors": errors, "values": {}}, status_code)


@router.get("/referrals/{referral_id}")
def referral_page(request: Request, session: AuditedReadSessionDep, viewer: Referrer, referral_id: int):
    """One referral: patient, criteria met, timeline, suggested targets for a draft, and the next steps."""
    return _detail(request, session, viewer, referral_id)


@router.post("/referrals/{referral_id}/target", dependencies=[CsrfChecked])
def referral_target(request: Request, session: SessionDep, viewer: Referrer, referral_id: int, form: FormFields):
    """Choose the receiving institution of a draft (from the suggestions)."""
    referral = referrals.get_referral(session, referral_id)
    value = form.get("to_institution_id", "")
    _, errors = attempt(session, lambda: referrals.update_referral(session, viewer, referral, build(
        ReferralPatch, {"to_institution_id": int(value) if value.isdigit() else value})))
    if errors:
        return _detail(request, session, viewer, referral_id, errors, 422)
    return redirect(f"/referrals/{referral_id}", "referral-updated")


@router.post("/referrals/{referral_id}/down-refer", dependencies=[CsrfChecked])
def referral_down(request: Request, session: SessionDep, viewer: Referrer, referral_id: int, form: FormFields):
    """Hand the patient back to primary care with the care plan."""
    referral = referrals.get_referral(session, referral_id)

    def act():
        values = {"summary": form.get("summary", ""),
                  "medications": [m.strip() for m in form.get("medications", "").splitlines() if m.strip()]}
        if form.get("follow_up_days"):
            values["follow_up_days"] = form["follow_up_days"]
        if form.get("primary_team_id"):
            values["primary_team_id"] = form["primary_team_id"]
        return referrals.down_refer(session, viewer, referral, build(CarePlanIn, values))

    _, errors = attempt(session, act)
    if errors:
        return _detail(request, session, viewer, referral_id, errors, 422)
    return redirect(f"/referrals/{referral_id}", "referral-down_refer")


@router.post("/referrals/{referral_id}/{action}", dependencies=[CsrfChecked])
def referral_step(request: Request, session: SessionDep, viewer: Referrer, referral_id: int, action: str,
                  form: FormFields):
    """Take one step of the pathway (send, accept, decline with a reason, arrive, complete, cancel)."""
    if action not in ACTIONS:
        raise InvalidInput.on("action", "referral-action", f"unknown referral action {action!r}")
    referral = referrals.get_referral(session, referral_id)
    authorize(viewer, Permission.REFERRAL_WRITE, institutions=[referral.from_institution_id,
                                                               referral.to_institution_id])
    _, errors = attempt(session, lambda: referrals.transition(session, viewer, referral, action,
                                                              reason=form.get("reason", ""),
                                                              note=form.get("note", "")))
    if errors:
        return _detail(request, session, viewer, referral_id, errors, 422)
    return redirect(f"/referrals/{referral_id}", f"referral-{action}")
