"""Words the recognition and signature pages show for their codes."""

from __future__ import annotations

from medshare import i18n
from medshare.recognition.models import Decision, RepeatReason


def N_(message: str) -> str:
    """Mark message for extraction; it is translated where it is shown."""
    return message


WHY = {
    "same-institution": N_("Own institution's result"),
    "same-community": N_("Same medical community"),
    "higher-grade": N_("From a higher-grade institution"),
    "same-grade": N_("From an institution of the same grade"),
    "lower-grade-accepted": N_("Lower grade, accepted by regional policy"),
    "not-final": N_("Not final"),
    "expired": N_("Older than the item's validity window"),
    "not-accredited": N_("No HR mark: the institution had not passed quality control for this item"),
    "scope": N_("Outside the recognition scope of the regional policy"),
}

REASONS = {
    RepeatReason.CONDITION_CHANGED: N_("Condition changed, or the result does not fit the clinical picture"),
    RepeatReason.FAST_CHANGING: N_("The value changes fast"),
    RepeatReason.CRITICAL_DECISION: N_("Before a critical decision (surgery, transfusion)"),
    RepeatReason.EMERGENCY: N_("Emergency"),
    RepeatReason.FORENSIC: N_("Forensic assessment"),
    RepeatReason.PATIENT_REQUEST: N_("At the patient's request"),
    RepeatReason.QUALITY_DOUBT: N_("Doubt about the result's quality"),
}

DECISIONS = {
    Decision.PENDING: N_("Waiting for the doctor's decision"),
    Decision.ACCEPTED: N_("Prior result accepted: no new exam"),
    Decision.REPEATED: N_("Repeated"),
    Decision.NEW: N_("New exam: no recognisable result"),
}

OUTCOMES = {
    "valid": N_("Valid: the report is as its author signed it"),
    "altered": N_("Altered: the report differs from what was signed"),
    "revoked": N_("Signed with a revoked certificate"),
    "expired": N_("Signed outside the certificate's validity"),
    "untrusted": N_("Signed with a certificate the platform did not issue"),
    "unsigned": N_("Not signed"),
}

REVOCATION_REASONS = {
    "unspecified": N_("Unspecified"),
    "key_compromise": N_("Key compromised"),
    "affiliation_changed": N_("Changed institution"),
    "superseded": N_("Superseded by a new certificate"),
    "cessation_of_operation": N_("Stopped practising"),
    "privilege_withdrawn": N_("Licence suspended or sanctioned"),
}

CATEGORIES = {"lab": N_("Lab test (检验)"), "exam": N_("Examination (检查)")}


def word(table: dict, code) -> str:
    """The translated word for code in table (the code itself when unknown)."""
    key = getattr(code, "value", code)
    for k, text in table.items():
        if getattr(k, "value", k) == key:
            return i18n.gettext(text)
    return str(key) if key is not None else ""


def item_name(item) -> str:
    """An item's name in the page's language."""
    return item.name_zh if i18n.current_locale.get() == "zh_Hans" and item.name_zh else item.name


def yuan(fen: int) -> str:
    """An amount in fen, written in yuan."""
    return f"¥{fen / 100:,.2f}"
