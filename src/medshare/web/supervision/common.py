"""Words of supervision pages (marked for translation) and the helpers the templates share."""

from __future__ import annotations

from medshare.i18n import gettext
from medshare.web.labels import N_

WORDS = {
    # departments
    "health": N_("Health commission"), "insurance": N_("Medical insurance bureau"),
    "market": N_("Market regulation"), "drug": N_("Drug administration"), "police": N_("Public security"),
    # case states
    "open": N_("Open"), "answered": N_("Answered"), "appealed": N_("Under appeal"), "closed": N_("Closed"),
    # actions
    "finding": N_("Finding"), "sanction": N_("Sanction"), "fine": N_("Fine"), "suspension": N_("Suspension"),
    "response": N_("Response"), "appeal": N_("Appeal"), "appeal_upheld": N_("Appeal upheld"),
    "appeal_dismissed": N_("Appeal dismissed"), "closure": N_("Closure"),
    # sanctions
    "warning": N_("Warning"), "licence_revocation": N_("Licence revoked"), "blacklist": N_("Blacklisting"),
    # complaints
    "received": N_("Received"), "investigating": N_("Investigating"), "substantiated": N_("Substantiated"),
    "unsubstantiated": N_("Unsubstantiated"), "service": N_("Service"), "billing": N_("Billing"),
    "safety": N_("Safety"), "conduct": N_("Conduct"), "waiting": N_("Waiting times"), "other": N_("Other"),
    # remediation
    "pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"),
}


def word(value) -> str:
    """A code shown in the viewer's language."""
    key = getattr(value, "value", value)
    return gettext(WORDS[key]) if key in WORDS else str(key)


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"
