"""The synthetic region: deterministic, and true to the registries' and identity's rules."""

from __future__ import annotations

import collections
import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from stdnum.cn import uscc

from medshare.accounts.models import Role
from medshare.accounts.rules import check_binding
from medshare.accounts.schemas import UserIn
from medshare.demo.generator import SCALES, generate
from medshare.demo.institutions import allocate
from medshare.identity.rules import PHONE, check_national_id
from medshare.registry import rules as registry_rules
from medshare.registry.models import InstitutionType as T
from medshare.settings import Settings

TODAY = dt.date(2026, 6, 1)
DISTORTIONS = {"id_missing", "id_wrong", "birth_date_swapped", "name_typo", "pinyin_missing", "pinyin_variant",
               "phone_missing", "phone_changed", "address_short", "sex_unknown"}
USERNAME = re.compile(UserIn.model_fields["username"].metadata[-1].pattern)


@pytest.fixture(scope="module")
def small():
    return generate("small", 1, today=TODAY)


@pytest.fixture(scope="module")
def city():
    return generate("city", 1, today=TODAY)


def test_the_same_seed_gives_the_same_region(small):
    again = generate("small", 1, today=TODAY)
    assert again.tables() == small.tables()
    assert again.digest() == small.digest()


def test_the_region_is_the_same_in_every_process(small):
    # String hashing is salted per process; nothing may depend on it.
    script = ("import datetime as dt; from medshare.demo.generator import generate; "
              "print(generate('small', 1, today=dt.date(2026, 6, 1)).digest())")
    for hash_seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env=os.environ | {"PYTHONHASHSEED": hash_seed})
        assert run.stdout.strip() == small.digest()


def test_another_seed_gives_another_region(small):
    other = generate("small", 2, today=TODAY)
    assert other.digest() != small.digest()
    assert [r["name"] for r in other.patient_records[:50]] != [r["name"] for r in small.patient_records[:50]]


def test_an_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="small, city, province"):
        generate("planet", 1, today=TODAY)


def test_every_national_id_passes_gb11643_with_the_record_birth_date_and_sex(city):
    with_id = [r for r in city.patient_records if r["national_id"] is not None]
    assert len(with_id) > 0.85 * len(city.patient_records)
    for record in with_id:
        assert check_national_id(record["national_id"], birth_date=record["birth_date"],
                                 sex=record["sex"]) == record["national_id"]


def test_every_phone_is_a_mainland_mobile_or_a_landline(city):
    phones = [r["phone"] for r in city.patient_records if r["phone"]] + [i["phone"] for i in city.institutions]
    assert all(PHONE.match(phone) for phone in phones)


def test_grades_fit_types_and_places_are_gb2260_divisions(city):
    for institution in city.institutions:
        registry_rules.check_grade(T(institution["type"]), institution["grade_level"], institution["grade_class"])
        registry_rules.check_division_code(institution["division_code"])
        registry_rules.check_location(institution["latitude"], institution["longitude"])
    tertiary = [i for i in city.institutions if i["type"] == T.TERTIARY_HOSPITAL.value]
    assert {(i["grade_level"], i["grade_class"]) for i in tertiary} == {(3, "A")}
    assert {i["division_code"][:4] for i in city.institutions} == {"3504"}  # all in Sanming


def test_institution_codes_are_unique_unified_social_credit_codes(city):
    codes = [i["code"] for i in city.institutions]
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(code) for code in codes)


def test_no_practitioner_holds_more_than_the_regions_limit_of_sites(city):
    limit = Settings().max_sites_per_practitioner
    by_practitioner = collections.defaultdict(list)
    for registration in city.registrations:
        registry_rules.check_validity(registration["valid_from"], registration["valid_to"])
        by_practitioner[registration["practitioner_id"]].append(
            registry_rules.Window(registration["valid_from"], registration["valid_to"]))
    primary = {p["id"]: p["primary_institution_id"] for p in city.practitioners}
    assert all(r["institution_id"] != primary[r["practitioner_id"]] for r in city.registrations)
    for windows in by_practitioner.values():
        for i, window in enumerate(windows):
            others = windows[:i] + windows[i + 1:]
            assert registry_rules.most_concurrent_sites(others, window) <= limit
    share = len(by_practitioner) / len(city.practitioners)
    assert 0.13 <= share <= 0.17
    extra = collections.Counter(len(w) for w in by_practitioner.values())
    assert extra[2] > 0  # some hold the full three sites


def test_a_stricter_site_limit_is_kept_too():
    region = generate("small", 1, today=TODAY, max_sites=2)
    by_practitioner = collections.defaultdict(list)
    for registration in region.registrations:
        by_practitioner[registration["practitioner_id"]].append(
            registry_rules.Window(registration["valid_from"], registration["valid_to"]))
    assert by_practitioner
    for windows in by_practitioner.values():
        for i, window in enumerate(windows):
            assert registry_rules.most_concurrent_sites(windows[:i] + windows[i + 1:], window) <= 2


def test_a_realistic_share_of_people_have_several_records(city):
    per_person = collections.Counter(t["person_key"] for t in city.truths)
    spread = collections.Counter(min(n, 3) for n in per_person.values())
    people = len(per_person)
    assert 0.60 <= spread[1] / people <= 0.70
    assert 0.20 <= spread[2] / people <= 0.30
    assert 0.07 <= spread[3] / people <= 0.13


def test_the_truth_names_the_person_and_the_distortions_of_every_record(city):
    assert [t["patient_record_id"] for t in city.truths] == [r["id"] for r in city.patient_records]
    marks = collections.Counter(m for t in city.truths for m in t["distortions"].split(",") if m)
    assert set(marks) == DISTORTIONS
    assert all(len(t["distortions"]) <= 200 for t in city.truths)
    # Records with no distortion of a field agree on it across the person's records.
    births = collections.defaultdict(set)
    for record, truth in zip(city.patient_records, city.truths, strict=True):
        if "birth_date_swapped" not in truth["distortions"]:
            births[truth["person_key"]].add(record["birth_date"])
    assert all(len(dates) == 1 for dates in births.values())


def test_a_persons_records_sit_at_distinct_institutions_with_local_ids_unique_there(city):
    seen = collections.Counter((r["institution_id"], r["local_id"]) for r in city.patient_records)
    assert max(seen.values()) == 1
    places = collections.Counter((t["person_key"], r["institution_id"])
                                 for r, t in zip(city.patient_records, city.truths, strict=True))
    assert max(places.values()) == 1


def test_the_city_has_the_figures_of_a_real_city(city):
    types = collections.Counter(i["type"] for i in city.institutions)
    assert types[T.TERTIARY_HOSPITAL] == 3 and types[T.SECONDARY_HOSPITAL] == 10
    primary = types[T.COMMUNITY_HEALTH_CENTRE] + types[T.TOWNSHIP_HEALTH_CENTRE] + types[T.PRIMARY_HOSPITAL]
    assert primary == 60 + 1  # the medical mall is a primary hospital beside the scale's 60
    assert types[T.VILLAGE_CLINIC] == 200 and types[T.INDIVIDUAL_CLINIC] == 20
    assert types[T.THIRD_PARTY_LAB] == 1 and types[T.IMAGING_CENTRE] == 1
    assert (types[T.SUPPLIER], types[T.LOGISTICS_FIRM], types[T.INSURER], types[T.REGULATOR]) == (10, 2, 2, 2)
    assert len(city.practitioners) == 2_000 and len(city.patient_records) == 100_000
    professions = collections.Counter(p["profession"] for p in city.practitioners)
    assert 0.40 <= professions["doctor"] / 2_000 <= 0.50
    assert 0.35 <= professions["nurse"] / 2_000 <= 0.45
    titles = collections.Counter(p["title"] for p in city.practitioners)
    assert titles["resident"] > titles["attending"] > titles["associate_chief"] > titles["chief"] > 0
    assert 2 <= len(city.communities) <= 4


def test_the_province_is_ten_cities_and_small_a_twentieth():
    city, province, small = SCALES["city"], SCALES["province"], SCALES["small"]
    assert province.patient_records == 10 * city.patient_records
    assert province.practitioners == 10 * city.practitioners
    assert province.villages == 10 * city.villages
    assert city.patient_records / 40 <= small.patient_records <= city.patient_records / 20
    assert 100 <= small.practitioners <= 200


def test_some_licences_have_expired_and_some_are_due(city):
    statuses = collections.Counter(registry_rules.licence_status(lic["valid_from"], lic["valid_to"], TODAY)
                                   for lic in city.licences)
    assert statuses["expired"] > 0 and statuses["expiring"] > 0
    assert statuses["valid"] > 0.8 * len(city.licences)
    licensed = collections.Counter(lic["institution_id"] for lic in city.licences)
    for institution in city.institutions:
        expected = (0, 0) if institution["type"] == T.REGULATOR.value else (1, 2)
        assert expected[0] <= licensed[institution["id"]] <= expected[1]


def test_communities_are_led_by_hospitals_that_belong_to_them(city):
    kinds = {i["id"]: i["type"] for i in city.institutions}
    members = collections.defaultdict(set)
    for membership in city.memberships:
        members[membership["community_id"]].add(membership["institution_id"])
    for community in city.communities:
        lead = community["lead_institution_id"]
        assert lead in members[community["id"]]
        expected = T.TERTIARY_HOSPITAL if community["kind"] == "city_group" else T.SECONDARY_HOSPITAL
        assert kinds[lead] == expected.value
    county = [c for c in city.communities if c["kind"] == "county_community"]
    assert all(any(kinds[m] == T.VILLAGE_CLINIC.value for m in members[c["id"]]) for c in county)


def test_demo_accounts_are_bound_as_their_roles_require(small):
    users = {u["username"]: u for u in small.users}
    assert len(users) == len(small.users)
    for user in small.users:
        assert USERNAME.match(user["username"]) and 3 <= len(user["username"]) <= 64
        check_binding(Role(user["role"]), user["institution_id"], user["patient_record_id"])
    assert users["admin"]["role"] == "platform_admin" and users["admin"]["locale"] == "en"
    assert users["regulator"]["locale"] == "zh_Hans"
    practitioners = {p["id"]: p for p in small.practitioners}
    for name in ("doctor", "radiologist", "family-doctor", "nurse"):
        bound = practitioners[users[name]["practitioner_id"]]
        assert users[name]["institution_id"] == bound["primary_institution_id"]
    assert practitioners[users["doctor"]["practitioner_id"]]["specialty"] == "心内科"
    assert any(r["practitioner_id"] == users["doctor"]["practitioner_id"] for r in small.registrations)
    kinds = {i["id"]: i["type"] for i in small.institutions}
    admins = {u["institution_id"] for u in small.users if u["role"] == "institution_admin"}
    hospitals = {i for i, kind in kinds.items()
                 if kind in ("tertiary_hospital", "secondary_hospital", "primary_hospital", "third_party_lab",
                             "imaging_centre")}
    assert hospitals <= admins
    record_ids = {r["id"] for r in small.patient_records}
    assert users["patient"]["patient_record_id"] in record_ids


def test_allocation_splits_a_total_exactly_and_honours_the_minimum():
    assert allocate(100, [5, 3, 2]) == [50, 30, 20]
    assert allocate(5, [10, 1, 1, 1], minimum=1) == [2, 1, 1, 1]
    assert sum(allocate(2_000, [220, 70, 12, 1, 1, 1], minimum=1)) == 2_000
