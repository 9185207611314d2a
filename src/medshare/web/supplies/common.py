"""What the supplies pages share: the words for the domain's codes, in the page's language."""

from __future__ import annotations

from medshare.i18n import gettext
from medshare.web.labels import N_

WORDS = {
    "category": {"protective_equipment": N_("Protective equipment"), "ventilators_oxygen": N_("Ventilators and oxygen"),
                 "test_kits": N_("Test kits"), "drugs": N_("Drugs"), "disinfectant": N_("Disinfectant")},
    "priority": {"critical_care": N_("Critical care"), "fever_clinic": N_("Fever clinic"),
                 "general_ward": N_("General ward"), "reserve": N_("Reserve")},
    "request_status": {"open": N_("Open"), "allocated": N_("Allocated"), "fulfilled": N_("Fulfilled"),
                       "cancelled": N_("Cancelled")},
    "run_status": {"proposed": N_("Proposed"), "committed": N_("Committed"), "superseded": N_("Superseded")},
    "shipment_status": {"ordered": N_("Ordered"), "dispatched": N_("Dispatched"), "received": N_("Received")},
    "location_kind": {"hospital_store": N_("Hospital store"), "warehouse": N_("Warehouse"),
                      "supplier": N_("Supplier")},
    "method": {"optimal": N_("Optimal (max-min by priority)"), "fcfs": N_("First come, first served"),
               "proportional": N_("Proportional rationing")},
    "bound": {"filled": N_("Filled"), "late": N_("Filled, partly late"),
              "no_stock_in_reach": N_("No stock within reach"), "time": N_("Not in time"),
              "priority": N_("Taken by a higher priority"), "capacity": N_("Production capacity"),
              "shared": N_("Shared equally within its class"),
              "not_in_good_standing": N_("Not in good standing (blacklisted)")},
}


def word(value: object, kind: str) -> str:
    """The page's word for a code of kind (the code itself when it has none)."""
    code = getattr(value, "value", value)
    text = WORDS.get(kind, {}).get(str(code))
    return gettext(text) if text else str(code)
