"""Pure rules of patient records: the GB 11643 national ID, phone numbers and pinyin names."""

from __future__ import annotations

import datetime as dt
import re

from pypinyin import lazy_pinyin
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from medshare.errors import InvalidInput

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门",
}

# Surnames read differently from the same character in ordinary words (曾经 ceng, but 曾 Zeng).
SURNAME_READINGS = {"曾": "zeng", "单": "shan", "覃": "qin", "解": "xie", "查": "zha", "仇": "qiu", "区": "ou",
                    "朴": "piao", "盖": "ge", "缪": "miao", "尉": "yu", "种": "chong", "折": "she", "翟": "zhai"}


def normalise_national_id(value: str) -> str:
    """Strip spaces and upper-case the check character X."""
    return ric.compact(value)


def check_national_id(value: str, *, birth_date: dt.date | None, sex: str | None) -> str:
    """Validate a GB 11643 resident ID (check digit, birth date) against the record; return it compact."""
    number = normalise_national_id(value)
    if len(number) != 18 or not number[:17].isdigit():
        raise InvalidInput.on(
            "national_id", "gb11643-format", "must be 18 characters: 17 digits then a digit or X"
        )
    if number[17] != ric.calc_check_digit(number):
        raise InvalidInput.on("national_id", "gb11643-check-digit", "the check digit does not match")
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise InvalidInput.on(
            "national_id", "gb11643-birth-date", "the birth date inside the ID is not a real date"
        ) from None
    # The division part is not checked against a code list: IDs keep the codes of divisions
    # that have since been merged or renamed.
    if birth_date is not None and ric.get_birth_date(number) != birth_date:
        raise InvalidInput.on(
            "national_id", "gb11643-birth-date-matches", "the birth date inside the ID differs from birth_date"
        )
    if sex in ("male", "female"):
        id_sex = "male" if int(number[16]) % 2 else "female"
        if id_sex != sex:
            raise InvalidInput.on(
                "national_id", "gb11643-sex-matches", "the sex digit of the ID differs from sex"
            )
    return number


def check_phone(value: str) -> str:
    """A mainland mobile number or a landline with its area code; empty is allowed."""
    compact = re.sub(r"[\s()+]", "", value)
    if compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if compact and not PHONE.match(compact):
        raise InvalidInput.on("phone", "phone-format", "must be an 11-digit mobile or a landline with area code")
    return compact


def pinyin_of(name: str) -> str:
    """A Chinese name in pinyin, surname first: 欧阳晓明 -> "Ouyang Xiaoming"."""
    name = name.strip()
    if not name or not any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name
    split = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    surname, given = name[:split], name[split:]
    surname_pinyin = SURNAME_READINGS.get(surname) or "".join(lazy_pinyin(surname))
    parts = [surname_pinyin.capitalize(), "".join(lazy_pinyin(given)).capitalize()]
    return " ".join(p for p in parts if p)


def check_thresholds(link_probability: float, review_probability: float) -> None:
    """The policy's thresholds: 0 < review <= link < 1."""
    if not 0 < link_probability < 1:
        raise InvalidInput.on("link_probability", "probability", "must be between 0 and 1, exclusive")
    if not 0 < review_probability <= link_probability:
        raise InvalidInput.on("review_probability", "below-link", "must be above 0 and at most link_probability")
