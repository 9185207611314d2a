"""The demo region's people and the records institutions keep of them, errors included.

Each person is registered at one or more institutions; every record is what that
institution's clerk wrote down, so records of one person disagree in the ways real ones do.
The truth (which person each record belongs to, and what was distorted) is kept beside them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass

from medshare.demo import people
from medshare.demo.institutions import ROADS, Site
from medshare.demo.places import PROVINCE, Division, Prefecture, Town, Village, distance_km
from medshare.registry.models import InstitutionType as T

# The fixed day people's ages are reckoned from, so a seed gives the same people on any day.
BORN_BY = dt.date(2025, 1, 1)
# How many institutions a person is registered at: about 65% one, 25% two, 10% three or more.
RECORDS_PER_PERSON = (1, 2, 3, 4, 5, 6)
RECORDS_CUMULATIVE = list(itertools.accumulate((65, 25, 6, 2.5, 1, 0.5)))
# How strongly each kind of institution draws patients, and how far they travel to it (km).
ATTRACTION = {T.TERTIARY_HOSPITAL: (12, 60), T.SECONDARY_HOSPITAL: (10, 20), T.PRIMARY_HOSPITAL: (3, 10),
              T.COMMUNITY_HEALTH_CENTRE: (10, 5), T.TOWNSHIP_HEALTH_CENTRE: (10, 6),
              T.INDIVIDUAL_CLINIC: (2, 6), T.THIRD_PARTY_LAB: (1, 30), T.IMAGING_CENTRE: (1, 30)}
VILLAGE_CLINIC_SHARE = 0.6  # of villagers whose village has a clinic, registered there
# Chance that a clerk leaves the ID out, by the kind of institution.
ID_MISSING = {T.VILLAGE_CLINIC: 0.45, T.INDIVIDUAL_CLINIC: 0.3, T.COMMUNITY_HEALTH_CENTRE: 0.15,
              T.TOWNSHIP_HEALTH_CENTRE: 0.15, T.PRIMARY_HOSPITAL: 0.1, T.SECONDARY_HOSPITAL: 0.04,
              T.TERTIARY_HOSPITAL: 0.02, T.THIRD_PARTY_LAB: 0.1, T.IMAGING_CENTRE: 0.1}
PINYIN_MISSING = {T.VILLAGE_CLINIC: 0.4, T.INDIVIDUAL_CLINIC: 0.3, T.COMMUNITY_HEALTH_CENTRE: 0.15,
                  T.TOWNSHIP_HEALTH_CENTRE: 0.15}
PHONE_MISSING = {T.VILLAGE_CLINIC: 0.2}
# An ID that passes GB 11643 yet is someone else's is rare: the platform refuses any ID whose check
# digit or birth date is wrong, so only a slip that the clerk's software re-checksummed gets through.
ID_WRONG, DATE_SWAPPED, NAME_TYPO, PINYIN_VARIANT = 0.003, 0.02, 0.03, 0.15
# A record whose birth date was mistyped keeps its (now inconsistent) ID only this often.
SWAPPED_KEEPS_ID = 0.15
PHONE_CHANGED, ADDRESS_SHORT, SEX_UNKNOWN = 0.08, 0.2, 0.003
# Where people's IDs were issued, when not where they live now.
ELSEWHERE_IN_CHINA = ("360102", "440106", "330106", "310115", "110105", "510107", "420106", "430104",
                      "360702", "441402")
LOCAL_ID_FORMAT = {T.TERTIARY_HOSPITAL: "{:08d}", T.SECONDARY_HOSPITAL: "{:08d}", T.PRIMARY_HOSPITAL: "ZY{:06d}",
                   T.COMMUNITY_HEALTH_CENTRE: "JK{:07d}", T.TOWNSHIP_HEALTH_CENTRE: "JK{:07d}",
                   T.VILLAGE_CLINIC: "C{:05d}", T.INDIVIDUAL_CLINIC: "M{:05d}", T.THIRD_PARTY_LAB: "L{:08d}",
                   T.IMAGING_CENTRE: "IMG{:07d}"}


@dataclass
class Person:
    """A synthetic resident: the truth every record of theirs is a copy of."""

    key: int
    family: str
    given: str
    sex: str
    born: dt.date
    national_id: str | None
    phone: str
    prefecture: Prefecture
    division: Division
    town: Town
    village: Village | None
    address: str
    short_addresses: tuple[str, ...]

    @property
    def name(self) -> str:
        """The name in characters, surname first."""
        return self.family + self.given


class PatientBuilder:
    """Draws people where the region's people live and registers them at institutions."""

    def __init__(self, rng: random.Random, sites: list[Site],
                 regions: list[tuple[Prefecture, list[Division]]]) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.site_type = {s.id: s.type for s in sites}
        self.village_clinic = {id(s.village): s for s in sites if s.type is T.VILLAGE_CLINIC}
        self.id_codes = [d.code for _, divisions in regions for d in divisions]
        homes, weights = [], []
        for prefecture, divisions in regions:
            for division in divisions:
                for town in division.towns:
                    homes.append((prefecture, division, town))
                    weights.append(division.weight / len(division.towns))
        self.homes, self.home_cumulative = homes, list(itertools.accumulate(weights))
        self.choices = {id(town): self._town_choices(town, prefecture, sites) for prefecture, _, town in homes}

    @staticmethod
    def _town_choices(town: Town, prefecture: Prefecture, sites: list[Site]) -> tuple[list[Site], list[float]]:
        # Per town rather than per person: people of a town go to the same places.
        chosen, weights = [], []
        for site in sites:
            if site.prefecture is prefecture and site.type in ATTRACTION:
                pull, reach = ATTRACTION[site.type]
                km = distance_km(town.latitude, town.longitude, site.latitude, site.longitude)
                chosen.append(site)
                weights.append(pull * math.exp(-km / reach))
        return chosen, list(itertools.accumulate(weights))

    # -- people -------------------------------------------------------------------------

    def person(self, key: int) -> Person:
        """One resident, drawn from the region's population."""
        rng = self.rng
        prefecture, division, town = people.pick(rng, self.homes, self.home_cumulative)
        village = rng.choice(town.villages) if town.villages else None
        sex = "male" if rng.random() < 0.51 else "female"
        born = people.birth_date(rng, BORN_BY)
        family, given = people.surname(rng), people.given_name(rng, sex, born.year)
        no_id = (BORN_BY - born).days < 365 and rng.random() < 0.5  # newborns not yet registered
        number = None if no_id else self._new_id(self._id_division(division, born), born, sex)
        address, short = self._address(prefecture, division, town, village)
        return Person(key, family, given, sex, born, number, people.mobile(rng), prefecture, division, town,
                      village, address, short)

    def _id_division(self, division: Division, born: dt.date) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return self.rng.choice(ELSEWHERE_IN_CHINA)
        if roll < 0.15:
            return self.rng.choice(self.id_codes)
        # IDs keep the codes of divisions merged or renamed since the holder was born.
        if division.old_codes and born.year < 2021 and (len(division.old_codes) > 1 or roll < 0.6):
            return self.rng.choice(division.old_codes)
        return division.code

    def _new_id(self, division: str, born: dt.date, sex: str) -> str:
        while True:
            number = people.national_id(division, born, people.sequence_for(self.rng, sex))
            if number not in self.ids:
                self.ids.add(number)
                return number

    def _address(self, prefecture: Prefecture, division: Division, town: Town,
                 village: Village | None) -> tuple[str, tuple[str, ...]]:
        rng = self.rng
        head = f"{PROVINCE}{prefecture.full_name}"
        if village is not None:
            house = f"{rng.randint(1, 180)}号"
            return (f"{head}{division.name}{town.name}{village.name}{house}",
                    (f"{division.name}{town.name}{village.name}", f"{town.name}{village.name}{house}"))
        road, number = rng.choice(ROADS), rng.randint(1, 400)
        block, room = rng.randint(1, 30), rng.randint(1, 18) * 100 + rng.randint(1, 4)
        return (f"{head}{division.name}{town.name}{road}{number}号{block}幢{room}室",
                (f"{division.name}{road}{number}号", f"{road}{number}号{block}-{room}"))

    # -- records ------------------------------------------------------------------------

    def sites_for(self, person: Person, count: int) -> list[Site]:
        """count distinct institutions the person is registered at, near home or big."""
        rng = self.rng
        picked: list[Site] = []
        clinic = self.village_clinic.get(id(person.village))
        if clinic is not None and rng.random() < VILLAGE_CLINIC_SHARE:
            picked.append(clinic)
        candidates, cumulative = self.choices[id(person.town)]
        for _ in range(count * 10):
            if len(picked) >= count:
                break
            site = candidates[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
            if site not in picked:
                picked.append(site)
        return picked

    def record(self, person: Person, site: Site) -> tuple[dict, list[str]]:
        """What site's clerk wrote down about person, and the distortions in it."""
        rng = self.rng
        kind = site.type
        marks: list[str] = []
        family, given, born, sex = person.family, person.given, person.born, person.sex
        number = person.national_id
        if number is not None and rng.random() < ID_MISSING[kind]:
            number = None
            marks.append("id_missing")
        if number is not None and rng.random() < ID_WRONG:
            number = self._wrong_id(number, born, sex)
            marks.append("id_wrong")
        if rng.random() < DATE_SWAPPED and (swapped := people.transposed(born)) is not None:
            born = swapped
            marks.append("birth_date_swapped")
            if number is not None:
                # An ID kept beside a mistyped date must carry the same mistake, or none is kept.
                if rng.random() >= SWAPPED_KEEPS_ID:
                    number = None
                    marks.append("id_missing")
                else:
                    number = self._wrong_id(number, born, sex, same_place=True)
                    if "id_wrong" not in marks:
                        marks.append("id_wrong")
        if rng.random() < NAME_TYPO and (similar := people.similar_name(rng, family, given)) is not None:
            family, given = similar
            marks.append("name_typo")
        if rng.random() < PINYIN_MISSING.get(kind, 0.03):
            spelled = ""
            marks.append("pinyin_missing")
        elif rng.random() < PINYIN_VARIANT:
            spelled = people.pinyin(family, given, rng.choice(people.PINYIN_VARIANTS))
            marks.append("pinyin_variant")
        else:
            spelled = people.pinyin(family, given)
        phone = person.phone
        if rng.random() < PHONE_MISSING.get(kind, 0.03):
            phone = ""
            marks.append("phone_missing")
        elif rng.random() < PHONE_CHANGED:
            phone = people.mobile(rng)
            marks.append("phone_changed")
        address = person.address
        if rng.random() < ADDRESS_SHORT:
            address = rng.choice(person.short_addresses)
            marks.append("address_short")
        if rng.random() < SEX_UNKNOWN:
            sex = "unknown"
            marks.append("sex_unknown")
        row = {"institution_id": site.id, "name": family + given, "name_pinyin": spelled, "sex": sex,
               "birth_date": born, "national_id": number, "phone": phone, "address": address, "active": True}
        return row, marks

    def _wrong_id(self, number: str, born: dt.date, sex: str, *, same_place: bool = False) -> str:
        # Another valid ID with the record's own birth date and sex: a twin's, or digits of the
        # place or the sequence mistyped and the check digit recomputed by the clerk's software.
        for _ in range(50):
            division = number[:6] if same_place or self.rng.random() < 0.5 else self.rng.choice(self.id_codes)
            candidate = people.national_id(division, born, people.sequence_for(self.rng, sex))
            if candidate != number and candidate not in self.ids:
                return candidate
        raise RuntimeError("no free national ID for a distorted record")  # pragma: no cover

    def build(self, target: int) -> tuple[list[dict], list[dict], tuple[Person, int] | None]:
        """target records and their truth, shuffled; and a person with several records, and one of their ids.

        That person, an adult with an ID registered at three or more institutions, is the one
        the demo patient account is bound to.
        """
        rng = self.rng
        pairs: list[tuple[dict, dict]] = []
        showcase: Person | None = None
        showcase_rows: list[dict] = []
        key = 0
        while len(pairs) < target:
            key += 1
            person = self.person(key)
            wanted = min(people.pick(rng, RECORDS_PER_PERSON, RECORDS_CUMULATIVE), target - len(pairs))
            rows = []
            for site in self.sites_for(person, wanted):
                row, marks = self.record(person, site)
                rows.append(row)
                pairs.append((row, {"person_key": key, "distortions": ",".join(marks)}))
            if (showcase is None and len(rows) >= 3 and person.national_id
                    and 25 <= (BORN_BY - person.born).days // 365 <= 60):
                showcase, showcase_rows = person, rows
        # Shuffled, so that a person's records do not sit next to each other in id order.
        rng.shuffle(pairs)
        counters: dict[int, int] = {}
        formats: dict[int, str] = {}
        records, truths = [], []
        for i, (row, truth) in enumerate(pairs, start=1):
            institution = row["institution_id"]
            if institution not in counters:
                counters[institution] = rng.randrange(1, 5000)
                formats[institution] = LOCAL_ID_FORMAT[self.site_type[institution]]
            counters[institution] += 1
            row["id"] = i
            row["local_id"] = formats[institution].format(counters[institution])
            records.append(row)
            truths.append({"patient_record_id": i, **truth})
        return records, truths, (showcase, showcase_rows[0]["id"]) if showcase is not None else None
