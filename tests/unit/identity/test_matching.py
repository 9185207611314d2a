"""Comparison of two records: names by characters and sound, dates with swaps, IDs with typos."""

from __future__ import annotations

import datetime as dt

from medshare.identity import matching
from medshare.identity.scoring import MISSING


def levels(a: dict, b: dict) -> dict[str, str]:
    gamma = matching.compare(matching.profile(1, **a), matching.profile(2, **b))
    return {spec.name: "missing" if g == MISSING else spec.levels[g] for spec, g in zip(matching.FIELDS, gamma,
                                                                                          strict=True)}


def test_a_homophone_typo_sounds_the_same():
    assert levels({"name": "张伟"}, {"name": "章伟"})["name"] == "same_sound"


def test_pinyin_in_any_order_spacing_case_or_tone_marks_is_the_same_spelling():
    forms = [matching.spelled_forms(s) for s in ("Zhang Wei", "ZHANG WEI", "Wei Zhang", "zhangwei", "Zhāng Wěi")]
    assert all("zhangwei" in f for f in forms)


def test_a_written_pinyin_name_agrees_with_characters_it_was_not_derived_from():
    assert levels({"name": "张伟"}, {"name": "张玮", "name_pinyin": "Wei Zhang"})["name"] == "same_sound"


def test_a_swapped_day_and_month_is_its_own_level_and_keeps_the_blocking_key():
    a, b = dt.date(1985, 3, 7), dt.date(1985, 7, 3)
    assert levels({"name": "x", "birth_date": a}, {"name": "x", "birth_date": b})["birth_date"] == "day_month_swapped"
    assert matching.date_key(a) == matching.date_key(b)


def test_a_surname_typo_that_changes_the_sound_still_shares_the_given_name_key():
    born = dt.date(1970, 1, 2)
    a = matching.blocking_keys(matching.profile(1, name="黄建国", birth_date=born))
    b = matching.blocking_keys(matching.profile(2, name="王建国", birth_date=born))
    assert a["key_name"] != b["key_name"] and a["key_given"] == b["key_given"]


def test_ids_compare_exact_by_one_typo_or_different_and_missing_carries_no_evidence():
    assert levels({"name": "x", "national_id": "350403198005170011"},
                  {"name": "x", "national_id": "350403198005170011"})["national_id"] == "same"
    assert levels({"name": "x", "national_id": "350403198005170011"},
                  {"name": "x", "national_id": "350403198005170031"})["national_id"] == "one_typo"
    assert levels({"name": "x", "national_id": "350403198005170011"}, {"name": "x"})["national_id"] == "missing"


def test_a_shortened_address_is_contained_in_the_full_one():
    full, short = "福建省三明市三元区莘口镇杉口村12号", "三元区莘口镇杉口村"
    assert levels({"name": "x", "address": full}, {"name": "x", "address": short})["address"] == "one_contains_other"


def test_unknown_sex_is_missing_not_different():
    assert levels({"name": "x", "sex": "male"}, {"name": "x", "sex": "unknown"})["sex"] == "missing"


def test_two_valid_ids_that_differ_conflict():
    assert matching.ids_conflict("350403198005170011", "350403198005170031")
    assert not matching.ids_conflict("350403198005170011", None)
