"""How two patient records are compared: normalised names, blocking keys and comparison levels.

Pure: takes the values of records, returns plain values. Names are compared by their
characters and by their sound (pinyin without tones, whichever way round and however spaced
the clerk wrote it); birth dates allow a day/month swap; IDs, phones and addresses allow a
typo or a shortened form. Which level says how much is not decided here but learnt by EM
(medshare.identity.scoring) from the region's own records.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from medshare.identity.rules import COMPOUND_SURNAMES, SURNAME_READINGS
from medshare.identity.scoring import MISSING, FieldSpec, Weights, date_level

FIELDS = (
    FieldSpec("national_id", ("same", "one_typo", "different")),
    FieldSpec("name", ("same_characters", "same_sound", "similar", "different")),
    FieldSpec("sex", ("same", "different")),
    FieldSpec("birth_date", ("same", "day_month_swapped", "one_part_differs", "different")),
    FieldSpec("phone", ("same", "one_typo", "different")),
    FieldSpec("address", ("same", "one_contains_other", "similar", "different")),
)
FIELD_INDEX = {spec.name: i for i, spec in enumerate(FIELDS)}
KEY_COLUMNS = ("key_id", "key_name", "key_given", "key_phone")
NAME_SIMILAR = 0.88  # Jaro-Winkler of the pinyin at which two names count as similar
ADDRESS_SIMILAR = 75  # rapidfuzz partial ratio at which two addresses count as similar
LETTERS = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Profile:
    """A record's values as matching sees them."""

    record_id: int
    name: str
    family_sound: str
    given_sound: str
    spelled: frozenset[str]
    sex: str | None
    birth_date: dt.date | None
    national_id: str | None
    phone: str
    address: str

    @property
    def sound(self) -> str:
        """The whole name's pinyin without tones or spaces, surname first."""
        return self.family_sound + self.given_sound


@lru_cache(maxsize=200_000)
def name_sound(name: str) -> tuple[str, str]:
    """Surname and given name of a name in characters, as toneless lower-case pinyin."""
    name = re.sub(r"\s+", "", name)
    if not any("\u4e00" <= ch <= "\u9fff" for ch in name):
        letters = LETTERS.findall(strip_tones(name).lower())
        return (letters[0], "".join(letters[1:])) if letters else ("", "")
    split = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    family, given = name[:split], name[split:]
    family_sound = SURNAME_READINGS.get(family) or "".join(lazy_pinyin(family))
    return family_sound.lower(), "".join(lazy_pinyin(given)).lower()


def strip_tones(text: str) -> str:
    """Text without tone marks (ǎ -> a); ü is written v, as pinyin keyboards do."""
    text = text.replace("ü", "v").replace("Ü", "V")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def spelled_forms(pinyin: str) -> frozenset[str]:
    """A written pinyin name in every order a clerk may have used: "ZHANG Wei", "Wei Zhang", "zhāngwěi"."""
    tokens = LETTERS.findall(strip_tones(pinyin).lower())
    if not tokens:
        return frozenset()
    forms = {"".join(tokens)}
    if len(tokens) > 1:
        forms.add("".join(tokens[1:] + tokens[:1]))  # given name first, surname last
        forms.add("".join(tokens[-1:] + tokens[:-1]))
    return frozenset(forms)


def profile(record_id: int, *, name: str, name_pinyin: str = "", sex: str | None = None,
            birth_date: dt.date | None = None, national_id: str | None = None, phone: str = "",
            address: str = "") -> Profile:
    """The matching view of one record's values."""
    family, given = name_sound(name or "")
    return Profile(record_id, re.sub(r"\s+", "", name or ""), family, given, spelled_forms(name_pinyin or ""),
                   sex if sex in ("male", "female", "other") else None, birth_date, national_id or None,
                   phone or "", re.sub(r"\s+", "", address or ""))


def profile_of(record) -> Profile:
    """The matching view of a PatientRecord (or anything with its attributes)."""
    return profile(record.id, name=record.name, name_pinyin=record.name_pinyin, sex=record.sex,
                   birth_date=record.birth_date, national_id=record.national_id, phone=record.phone,
                   address=record.address)


def date_key(born: dt.date | None) -> str:
    """A birth date with day and month in sorted order, so a swapped date has the same key."""
    if born is None:
        return ""
    low, high = sorted((born.month, born.day))
    return f"{born.year:04d}{low:02d}{high:02d}"


def blocking_keys(p: Profile) -> dict[str, str | None]:
    """Indexed keys under which a record is found as a candidate: ID, sound+birth, given+birth, phone.

    Sound rather than characters, so a homophone typo (张/章) keeps the key; sorted day and
    month, so a transposed birth date does; the given name with the birth date catches a
    surname typo that changes the sound (黄/王).
    """
    born = date_key(p.birth_date)
    return {
        "key_id": p.national_id,
        "key_name": f"{p.sound}|{born}"[:64] if p.sound else None,
        "key_given": f"{p.given_sound}|{born}"[:64] if p.given_sound and born else None,
        "key_phone": p.phone or None,
    }


def _name_level(a: Profile, b: Profile) -> int:
    if not a.name or not b.name:
        return MISSING
    if a.name == b.name:
        return 0
    if a.sound and a.sound == b.sound:
        return 1
    if (a.spelled & b.spelled) or (a.sound in b.spelled) or (b.sound in a.spelled):
        return 1
    if len(a.name) == len(b.name) >= 2 and sum(x != y for x, y in zip(a.name, b.name, strict=True)) == 1:
        return 2
    if JaroWinkler.normalized_similarity(a.sound, b.sound) >= NAME_SIMILAR:
        return 2
    return 3


def _address_level(a: str, b: str) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 0
    if a in b or b in a:
        return 1
    return 2 if fuzz.partial_ratio(a, b) >= ADDRESS_SIMILAR else 3


def _typo_level(a: str | None, b: str | None, bound: int) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 0
    return 1 if DamerauLevenshtein.distance(a, b) <= bound else 2


def compare(a: Profile, b: Profile) -> tuple[int, ...]:
    """The comparison vector of two records, one level per field of FIELDS."""
    sex = MISSING if a.sex is None or b.sex is None else int(a.sex != b.sex)
    return (
        _typo_level(a.national_id, b.national_id, 2),
        _name_level(a, b),
        sex,
        date_level(a.birth_date, b.birth_date),
        _typo_level(a.phone, b.phone, 1),
        _address_level(a.address, b.address),
    )


def ids_conflict(a: str | None, b: str | None) -> bool:
    """Two different national IDs, each valid (only valid ones are stored): never linked automatically."""
    return bool(a) and bool(b) and a != b


def explain(gamma: tuple[int, ...], weights: Weights) -> list[dict]:
    """Each field's level and weight, for the review page."""
    out = []
    for spec, level in zip(FIELDS, gamma, strict=True):
        out.append({"field": spec.name, "level": "missing" if level == MISSING else spec.levels[level],
                    "weight": round(weights.level_weight(spec.name, level), 2)})
    return out


def total_weight(gamma: tuple[int, ...], weights: Weights) -> float:
    """The match weight of one comparison vector, prior included."""
    return weights.prior_weight() + sum(weights.level_weight(s.name, g) for s, g in zip(FIELDS, gamma, strict=True))


def gamma_matrix(pairs: list[tuple[Profile, Profile]]) -> np.ndarray:
    """Comparison vectors of many pairs, one row each."""
    out = np.empty((len(pairs), len(FIELDS)), dtype=np.int8)
    for i, (a, b) in enumerate(pairs):
        out[i] = compare(a, b)
    return out


# Weights before the region's own are estimated (`medshare identity relink` trains them):
# rounded from a training run on the demo city, so a fresh database links sensibly.
DEFAULT_WEIGHTS = Weights(
    FIELDS,
    prior=0.3,
    m={"national_id": [0.999, 0.0005, 0.0005], "name": [0.93, 0.05, 0.015, 0.005], "sex": [0.999, 0.001],
       "birth_date": [0.97, 0.02, 0.005, 0.005], "phone": [0.9, 0.001, 0.099],
       "address": [0.75, 0.2, 0.04, 0.01]},
    u={"national_id": [0.0005, 0.02, 0.9795], "name": [0.03, 0.01, 0.05, 0.91], "sex": [0.5, 0.5],
       "birth_date": [0.05, 0.002, 0.05, 0.898], "phone": [0.02, 0.001, 0.979],
       "address": [0.05, 0.2, 0.3, 0.45]},
)
