"""Pure rules of patient records: GB 11643 IDs, phones, pinyin."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from medshare.errors import InvalidInput
from medshare.identity import rules


def make_id(birth: dt.date, sequence: int) -> str:
    body = f"350403{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


births = st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31))


@given(births, st.integers(0, 999))
def test_every_well_formed_id_passes_with_its_own_birth_date_and_sex(birth, sequence):
    number = make_id(birth, sequence)
    sex = "male" if sequence % 2 else "female"
    assert rules.check_national_id(number.lower(), birth_date=birth, sex=sex) == number


@given(births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(birth, sequence, position, shift):
    number = make_id(birth, sequence)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    with pytest.raises(InvalidInput) as error:
        rules.check_national_id(typo, birth_date=None, sex=None)
    assert error.value.problems[0].field == "national_id"


def test_the_id_must_agree_with_the_sex_on_the_record():
    number = make_id(dt.date(1990, 1, 1), 12)  # even sequence: female
    with pytest.raises(InvalidInput) as error:
        rules.check_national_id(number, birth_date=None, sex="male")
    assert error.value.problems[0].rule == "gb11643-sex-matches"


@pytest.mark.parametrize("value", ["12345", "35040319900101001", "3504031990010100AX"])
def test_a_malformed_id_names_the_format_rule(value):
    with pytest.raises(InvalidInput) as error:
        rules.check_national_id(value, birth_date=None, sex=None)
    assert error.value.problems[0].rule == "gb11643-format"


def test_phones_are_mobiles_or_landlines_with_area_code():
    assert rules.check_phone("+86 138 0013 8000") == "13800138000"
    assert rules.check_phone("0598-8221234") == "0598-8221234"
    with pytest.raises(InvalidInput):
        rules.check_phone("12345")


def test_pinyin_puts_the_surname_first_and_knows_compound_surnames():
    assert rules.pinyin_of("张伟") == "Zhang Wei"
    assert rules.pinyin_of("欧阳晓明") == "Ouyang Xiaoming"
    assert rules.pinyin_of("Li Na") == "Li Na"


def test_surnames_take_their_surname_reading():
    assert rules.pinyin_of("曾小红") == "Zeng Xiaohong"
    assert rules.pinyin_of("单田芳") == "Shan Tianfang"
