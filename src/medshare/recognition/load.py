"""The recognition check as a benchmark load: one order-time look-up for a random patient and a common item."""

from __future__ import annotations

import random

# Items whose Synthea results (blood potassium, sodium, glucose, HbA1c) the catalogue matches, and imaging.
ITEMS = ("2823-3", "2951-2", "2345-7", "4548-4", "58410-2", "CT-CHEST-PLAIN")


def check_request(world: dict, rng: random.Random) -> tuple[str, str, dict | None, dict | None]:
    """POST /api/v1/recognition/checks for a random patient of the world and a common item."""
    return ("POST", "/api/v1/recognition/checks", None,
            {"patient_record_id": int(rng.choice(world["patients"])), "item_code": rng.choice(ITEMS)})
