"""Words the tiered-care pages show for stored codes, and their success messages."""

from __future__ import annotations

import datetime as dt

from medshare import i18n
from medshare.web import labels
from medshare.web.core import templates


def N_(message: str) -> str:
    """Mark message for extraction; it is translated where it is shown."""
    return message


WORDS = {
    "referral_status": {"draft": N_("Draft"), "sent": N_("Sent, awaiting answer"), "accepted": N_("Accepted"),
                        "declined": N_("Declined"), "arrived": N_("Patient arrived"), "completed": N_("Completed"),
                        "down_referred": N_("Down-referred to primary care"), "cancelled": N_("Cancelled")},
    "direction": {"up": N_("Up-referral"), "down": N_("Down-referral"), "lateral": N_("Lateral referral")},
    "urgency": {"emergency": N_("Emergency"), "urgent": N_("Urgent"), "routine": N_("Routine")},
    "condition": {"hypertension": N_("Hypertension"), "diabetes": N_("Type 2 diabetes"), "copd": N_("COPD"),
                  "chd": N_("Coronary heart disease"), "stroke": N_("Stroke sequelae"),
                  "ckd": N_("Chronic kidney disease"), "severe_mental_disorder": N_("Severe mental disorder")},
    "action": {"create": N_("Drafted"), "update": N_("Changed"), "send": N_("Sent"), "accept": N_("Accepted"),
               "decline": N_("Declined"), "arrive": N_("Patient arrived"), "complete": N_("Treatment completed"),
               "down_refer": N_("Handed back to primary care"), "cancel": N_("Cancelled"),
               "escalate": N_("Escalated: not answered in time")},
    "teleconsult_status": {"requested": N_("Waiting for a specialist"), "scheduled": N_("Scheduled"),
                           "completed": N_("Opinion given"), "cancelled": N_("Cancelled")},
    "follow_up_state": {"due": N_("Due"), "overdue": N_("Overdue"), "planned": N_("Planned"), "done": N_("Done")},
    "package": {"basic": N_("Basic package"), "chronic": N_("Chronic disease package"), "elderly": N_("Elderly care"),
                "maternal_child": N_("Maternal and child health"), "disability": N_("Disability care")},
    "night_status": {"waiting": N_("Waiting for a doctor"), "assigned": N_("With the on-call doctor"),
                     "closed": N_("Closed"), "escalated": N_("Escalated to emergency transport")},
    "author": {"patient": N_("Patient"), "doctor": N_("Doctor"), "staff": N_("Staff"), "system": N_("System")},
}

FLASHES = {
    "referral-drafted": N_("The referral is drafted: choose where it goes, then send it."),
    "referral-updated": N_("The referral is updated."),
    "referral-send": N_("The referral is sent; the answer timer runs."),
    "referral-accept": N_("The referral is accepted."),
    "referral-decline": N_("The referral is declined."),
    "referral-arrive": N_("The patient's arrival is recorded."),
    "referral-complete": N_("Treatment is recorded as complete."),
    "referral-cancel": N_("The referral is withdrawn."),
    "referral-down_refer": N_("The patient is handed back to primary care with the care plan."),
    "teleconsult-requested": N_("The teleconsultation is requested."),
    "teleconsult-answered": N_("The signed opinion is recorded."),
    "teleconsult-cancelled": N_("The teleconsultation is withdrawn."),
    "follow-up-recorded": N_("The follow-up is recorded and the next one scheduled."),
    "shift-added": N_("The shift is on the rota."),
    "shift-cancelled": N_("The shift is off the rota; its requests were routed again."),
    "night-request-sent": N_("Your request is sent to the doctor on call."),
    "night-request-closed": N_("The request is closed."),
    "night-request-escalated": N_("The request is escalated to emergency transport."),
}
labels.FLASHES.update(FLASHES)


def word(value: object, kind: str) -> str:
    """The page's word for a stored code, translated; the code itself when it has none."""
    code = getattr(value, "value", value)
    text = WORDS.get(kind, {}).get(str(code))
    return i18n.gettext(text) if text else str(code)


def choices(kind: str) -> list[tuple[str, str]]:
    return [(code, i18n.gettext(text)) for code, text in WORDS[kind].items()]


def hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}"


templates.env.filters["care"] = word
templates.env.globals["care_choices"] = choices
