"""Words the triage and transport pages show for codes (levels, complaints, signs, vehicles, statuses)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from threading import Lock

from medshare.i18n import gettext


def N_(message: str) -> str:
    """Mark message for extraction; it is translated where it is shown."""
    return message


LEVEL_NAMES = {
    "dying": N_("dying"), "critical": N_("critical"), "urgent": N_("urgent"), "non_urgent": N_("non-urgent"),
    "resuscitation": N_("resuscitation"), "emergent": N_("emergent"), "less_urgent": N_("less urgent"),
}
CARE = {
    "emergency_department": N_("emergency department"), "tertiary": N_("tertiary hospital"),
    "secondary": N_("secondary hospital"), "primary": N_("primary care (community or township centre)"),
}
CAPABILITIES = {"als": N_("advanced life support ambulance"), "bls": N_("basic life support ambulance"),
                "seated": N_("partner car (seated patient)")}
MOBILITY = {"walks": N_("walks"), "sits": N_("can sit in a car"), "lies": N_("must lie on a stretcher")}
FIELDS = {
    "heart_rate": N_("Heart rate"), "respiratory_rate": N_("Respiratory rate"), "systolic_bp": N_("Systolic BP"),
    "spo2": N_("SpO₂"), "temperature": N_("Temperature"), "avpu": N_("AVPU"), "gcs": N_("GCS"),
    "pain": N_("Pain score"), "complaint": N_("Complaint"),
}
COMPLAINTS = {
    "cardiac_arrest": N_("cardiac arrest"), "respiratory_arrest": N_("respiratory arrest"),
    "airway_obstruction": N_("airway obstruction"), "major_trauma": N_("major trauma"), "shock": N_("shock"),
    "status_epilepticus": N_("status epilepticus"), "chest_pain": N_("chest pain"),
    "stroke_signs": N_("signs of stroke"), "major_bleeding": N_("major bleeding"), "poisoning": N_("poisoning"),
    "dyspnoea": N_("shortness of breath"), "seizure": N_("seizure"), "pregnancy_bleeding": N_("bleeding in pregnancy"),
    "abdominal_pain": N_("abdominal pain"), "head_injury": N_("head injury"), "fracture": N_("suspected fracture"),
    "fever": N_("fever"), "vomiting_diarrhoea": N_("vomiting or diarrhoea"), "headache": N_("headache"),
    "back_pain": N_("back pain"), "minor_injury": N_("minor injury"), "rash": N_("rash"),
    "cold_symptoms": N_("cold symptoms"), "medication_refill": N_("medication refill"), "other": N_("other"),
}
STATUSES = {
    "requested": N_("waiting for a vehicle"), "assigned": N_("assigned"), "en_route": N_("en route"),
    "on_scene": N_("on scene"), "transporting": N_("transporting"), "at_hospital": N_("at hospital"),
    "done": N_("done"), "cancelled": N_("cancelled"), "idle": N_("idle"), "out_of_service": N_("out of service"),
}
KINDS = {"ambulance": N_("ambulance"), "partner_car": N_("partner car")}
POLICIES = {"cn4": N_("Chinese four-level triage (2018 consensus)"),
            "cn5": N_("five-level triage (ESI/MTS-like)")}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
TABLES = {"level": LEVEL_NAMES, "care": CARE, "capability": CAPABILITIES, "mobility": MOBILITY, "field": FIELDS,
          "complaint": COMPLAINTS, "status": STATUSES, "kind": KINDS, "policy": POLICIES}


def word(code, table: str) -> str:
    """The translated word for a code of one of the tables (the code itself when unknown)."""
    value = getattr(code, "value", code)
    text = TABLES[table].get(value)
    return gettext(text) if text else str(value)


def fired_text(field: str, rule: str, value) -> str:
    """A fired criterion in words: the sign, its rule and the observed value."""
    if field == "complaint":
        return f"{word('complaint', 'field')}: {word(value, 'complaint')}"
    if field == "avpu":
        return f"AVPU = {value}"
    _, symbol, threshold = rule.split(" ", 2)
    return f"{word(field, 'field')} {value} ({symbol} {threshold})"


class RateLimit:
    """At most `limit` uses per `seconds` per client (the public page; per server process)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.used: dict[str, deque[float]] = defaultdict(deque)
        self.lock = Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            uses = self.used[client]
            while uses and uses[0] < now - self.seconds:
                uses.popleft()
            if len(uses) >= self.limit:
                return False
            uses.append(now)
            if len(self.used) > 10_000:  # forget idle clients
                for key in [k for k, v in self.used.items() if not v]:
                    del self.used[key]
            return True
