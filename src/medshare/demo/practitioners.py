"""The demo region's practitioners and their multi-site registrations (多点执业)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

from medshare.demo import people
from medshare.demo.institutions import CLINIC_KINDS, Site, allocate
from medshare.demo.places import distance_km
from medshare.registry.models import InstitutionType as T
from medshare.registry.models import Profession as P
from medshare.registry.models import Title

# Staff an institution of each type has, relative to the others.
STAFF_WEIGHT = {T.TERTIARY_HOSPITAL: 220, T.SECONDARY_HOSPITAL: 70, T.PRIMARY_HOSPITAL: 12,
                T.COMMUNITY_HEALTH_CENTRE: 12, T.TOWNSHIP_HEALTH_CENTRE: 8, T.VILLAGE_CLINIC: 1,
                T.INDIVIDUAL_CLINIC: 1.2, T.THIRD_PARTY_LAB: 15, T.IMAGING_CENTRE: 15}
HOSPITAL_MIX = {P.DOCTOR: 35, P.NURSE: 47, P.PHARMACIST: 9, P.TECHNICIAN: 9}
MIX = {
    T.TERTIARY_HOSPITAL: HOSPITAL_MIX, T.SECONDARY_HOSPITAL: HOSPITAL_MIX, T.PRIMARY_HOSPITAL: HOSPITAL_MIX,
    T.COMMUNITY_HEALTH_CENTRE: {P.DOCTOR: 42, P.NURSE: 38, P.PHARMACIST: 9, P.TECHNICIAN: 11},
    T.TOWNSHIP_HEALTH_CENTRE: {P.DOCTOR: 42, P.NURSE: 38, P.PHARMACIST: 9, P.TECHNICIAN: 11},
    T.VILLAGE_CLINIC: {P.DOCTOR: 92, P.NURSE: 8},
    T.INDIVIDUAL_CLINIC: {P.DOCTOR: 80, P.NURSE: 20},
    T.THIRD_PARTY_LAB: {P.DOCTOR: 30, P.TECHNICIAN: 70},
    T.IMAGING_CENTRE: {P.DOCTOR: 40, P.NURSE: 10, P.TECHNICIAN: 50},
}
# Title pyramids (resident, attending, associate chief, chief): seniors gather in big hospitals.
PYRAMID = {T.TERTIARY_HOSPITAL: (35, 35, 20, 10), T.SECONDARY_HOSPITAL: (42, 36, 16, 6),
           T.THIRD_PARTY_LAB: (45, 35, 15, 5), T.IMAGING_CENTRE: (45, 35, 15, 5)}
PRIMARY_PYRAMID = (56, 33, 9, 2)
TITLES = (Title.RESIDENT, Title.ATTENDING, Title.ASSOCIATE_CHIEF, Title.CHIEF)
MALE_SHARE = {P.DOCTOR: 0.55, P.NURSE: 0.03, P.PHARMACIST: 0.35, P.TECHNICIAN: 0.5}

# A hospital staffs its departments in this order, then grows them by these weights.
HOSPITAL_DEPARTMENTS = [
    ("心内科", 3), ("普外科", 3), ("放射科", 2), ("急诊科", 2), ("儿科", 2), ("妇产科", 3), ("骨科", 2),
    ("神经内科", 2), ("呼吸内科", 2), ("消化内科", 2), ("检验科", 1), ("麻醉科", 2), ("超声科", 1),
    ("内分泌科", 1), ("泌尿外科", 1), ("神经外科", 1), ("肾内科", 1), ("眼科", 1), ("耳鼻喉科", 1),
    ("口腔科", 1), ("皮肤科", 1), ("重症医学科", 1), ("肿瘤科", 1), ("康复科", 1), ("中医科", 1), ("病理科", 1),
    ("心胸外科", 1), ("感染科", 1),
]
PRIMARY_DEPARTMENTS = [("全科", 6), ("中医科", 1), ("放射科", 1), ("口腔科", 1), ("儿科", 1), ("妇产科", 1),
                       ("康复科", 1)]
VILLAGE_DEPARTMENTS = [("全科", 5), ("中医科", 1)]
LAB_DEPARTMENTS = [("检验科", 3), ("病理科", 1)]
IMAGING_DEPARTMENTS = [("放射科", 3), ("超声科", 1), ("核医学科", 1)]
CLINIC_SPECIALTY = {"口腔": "口腔科", "中医": "中医科", "内科": "全科", "眼科": "眼科", "皮肤科": "皮肤科",
                    "儿科": "儿科"}
COMMUNITY_CARE = (T.COMMUNITY_HEALTH_CENTRE, T.TOWNSHIP_HEALTH_CENTRE, T.VILLAGE_CLINIC)
NURSING = ["内科护理", "外科护理", "急诊护理", "重症护理", "手术室护理", "儿科护理", "妇产科护理"]
PHARMACY = ["药学", "临床药学", "中药学"]
TECHNIQUES = {T.THIRD_PARTY_LAB: ["医学检验技术", "医学检验技术", "病理技术"],
              T.IMAGING_CENTRE: ["医学影像技术"]}
HOSPITAL_TECHNIQUES = ["医学检验技术", "医学影像技术", "康复治疗技术", "病理技术"]
LICENCE_DIGIT = {P.DOCTOR: "1", P.NURSE: "2", P.PHARMACIST: "3", P.TECHNICIAN: "4"}

# Where practitioners take extra sites, and how far they are willing to go.
EXTRA_SITE_WEIGHT = {T.SECONDARY_HOSPITAL: 4, T.PRIMARY_HOSPITAL: 3, T.COMMUNITY_HEALTH_CENTRE: 3,
                     T.TOWNSHIP_HEALTH_CENTRE: 2, T.INDIVIDUAL_CLINIC: 2, T.TERTIARY_HOSPITAL: 1.5}
EXTRA_SITE_KM = 30.0
MULTI_SITE_SHARE = 0.15


def _draw(rng: random.Random, weights: dict):
    keys = list(weights)
    return people.pick(rng, keys, list(itertools.accumulate(weights.values())))


def _departments(site: Site) -> list[tuple[str, int]]:
    if site.type in (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL):
        return HOSPITAL_DEPARTMENTS
    if site.type is T.THIRD_PARTY_LAB:
        return LAB_DEPARTMENTS
    if site.type is T.IMAGING_CENTRE:
        return IMAGING_DEPARTMENTS
    if site.type is T.VILLAGE_CLINIC:
        return VILLAGE_DEPARTMENTS
    if site.type is T.INDIVIDUAL_CLINIC:
        kind = next(k for k, _ in CLINIC_KINDS if k in site.row["name"])
        return [(CLINIC_SPECIALTY[kind], 1)]
    return PRIMARY_DEPARTMENTS


class PractitionerBuilder:
    """Staffs the clinical institutions and registers some practitioners at more sites."""

    def __init__(self, rng: random.Random, today: dt.date, max_sites: int = 3) -> None:
        self.rng = rng
        self.today = today
        self.max_sites = max_sites  # the region's limit, the primary site included
        self.rows: list[dict] = []
        self.sites: dict[int, Site] = {}
        self.extra_sites: dict[str, list[Site]] = {}  # by prefecture code

    def staff(self, sites: list[Site], total: int) -> None:
        """total practitioners, shared among sites by their size; every site has at least one."""
        clinical = [s for s in sites if s.type in STAFF_WEIGHT]
        self.sites = {s.id: s for s in sites}
        for site in sites:
            if site.type in EXTRA_SITE_WEIGHT or site.type in (T.IMAGING_CENTRE, T.THIRD_PARTY_LAB):
                self.extra_sites.setdefault(site.prefecture.code, []).append(site)
        counts = allocate(total, [STAFF_WEIGHT[s.type] for s in clinical], minimum=1)
        for site, count in zip(clinical, counts, strict=True):
            departments = _departments(site)
            cumulative = list(itertools.accumulate(w for _, w in departments))
            doctors = 0
            for _ in range(count):
                profession = _draw(self.rng, MIX[site.type])
                self._add(site, profession, self._specialty(site, profession, departments, cumulative, doctors))
                if profession is P.DOCTOR:
                    doctors += 1

    def _specialty(self, site: Site, profession: P, departments: list[tuple[str, int]], cumulative: list[int],
                   doctors: int) -> str:
        if profession is P.DOCTOR:
            # Every department gets its first doctor before any gets a second.
            if doctors < len(departments):
                return departments[doctors][0]
            return people.pick(self.rng, departments, cumulative)[0]
        if profession is P.NURSE:
            if site.type in (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL):
                return self.rng.choice(NURSING)
            return "社区护理" if site.type in COMMUNITY_CARE else "护理"
        if profession is P.PHARMACIST:
            return self.rng.choice(PHARMACY)
        return self.rng.choice(TECHNIQUES.get(site.type, HOSPITAL_TECHNIQUES))

    def _add(self, site: Site, profession: P, specialty: str) -> None:
        rng = self.rng
        sex = "male" if rng.random() < MALE_SHARE[profession] else "female"
        birth_year = self.today.year - rng.randint(24, 62)
        family, given = people.surname(rng), people.given_name(rng, sex, birth_year)
        pyramid = PYRAMID.get(site.type, PRIMARY_PYRAMID)
        title = people.pick(rng, TITLES, list(itertools.accumulate(pyramid)))
        number = len(self.rows) + 1
        # Doctors' and technicians' licences do not lapse; nurses and pharmacists re-register
        # every five years, and a few are overdue.
        valid_to = (self.today + dt.timedelta(days=rng.randint(-60, 5 * 365))
                    if profession in (P.NURSE, P.PHARMACIST) else None)
        level = {T.TERTIARY_HOSPITAL: "3", T.SECONDARY_HOSPITAL: "2"}.get(site.type, "1")
        self.rows.append({
            "id": number,
            "licence_number": f"{LICENCE_DIGIT[profession]}{level}{site.division.code}{number:07d}",
            "name": family + given,
            "name_pinyin": people.pinyin(family, given),
            "sex": sex,
            "profession": profession.value,
            "specialty": specialty,
            "title": title.value,
            "primary_institution_id": site.id,
            "licence_valid_to": valid_to,
            "active": rng.random() >= 0.02,
        })

    def find(self, *, types: tuple[T, ...], profession: P, specialty: str | None = None,
             site_id: int | None = None) -> dict | None:
        """The most senior active practitioner who fits, the first one on a tie."""
        order = {t.value: i for i, t in enumerate(TITLES)}
        fits = [r for r in self.rows
                if r["active"] and r["profession"] == profession.value
                and self.sites[r["primary_institution_id"]].type in types
                and (specialty is None or r["specialty"] == specialty)
                and (site_id is None or r["primary_institution_id"] == site_id)]
        return max(fits, key=lambda r: (order[r["title"]], -r["id"]), default=None)

    def registrations(self, must: list[int]) -> list[dict]:
        """Extra sites for about 15% of practitioners, never above the region's limit of sites at once."""
        rng = self.rng
        if self.max_sites < 2:
            return []
        weights = []
        for row in self.rows:
            site = self.sites[row["primary_institution_id"]]
            if site.type is T.VILLAGE_CLINIC or not row["active"]:
                weights.append(0.0)
            elif row["profession"] == P.DOCTOR.value:
                senior = row["title"] != Title.RESIDENT.value
                big = site.type in (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL)
                weights.append(6.0 if senior and big else 2.0)
            else:
                weights.append(0.4)
        wanted = round(MULTI_SITE_SHARE * len(self.rows))
        # Weighted sampling without replacement (Efraimidis-Spirakis keys).
        keyed = sorted(((rng.random() ** (1 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True)
        chosen = set(must) | {self.rows[i]["id"] for _, i in keyed[: max(0, wanted - len(must))]}
        rows: list[dict] = []
        for row in self.rows:
            if row["id"] in chosen:
                rows.extend(self._sites_of(row, len(rows)))
        return rows

    def _candidates(self, row: dict) -> list[tuple[Site, float]]:
        home = self.sites[row["primary_institution_id"]]
        specialty = row["specialty"]
        result = []
        for site in self.extra_sites.get(home.prefecture.code, []):
            if site is home:
                continue
            weight = EXTRA_SITE_WEIGHT.get(site.type, 0.0)
            if site.type is T.IMAGING_CENTRE and specialty in ("放射科", "超声科", "核医学科", "医学影像技术"):
                weight = 6.0
            if site.type is T.THIRD_PARTY_LAB and specialty in ("检验科", "病理科", "医学检验技术", "病理技术"):
                weight = 6.0
            if site.type is T.INDIVIDUAL_CLINIC and row["profession"] != P.DOCTOR.value:
                weight = 0.0
            if weight:
                km = distance_km(home.latitude, home.longitude, site.latitude, site.longitude)
                result.append((site, weight * math.exp(-km / EXTRA_SITE_KM)))
        return result

    def _sites_of(self, row: dict, numbered: int) -> list[dict]:
        rng = self.rng
        candidates = self._candidates(row)
        if not candidates:
            return []
        cumulative = list(itertools.accumulate(w for _, w in candidates))
        extra = min(1 if rng.random() < 0.7 else 2, self.max_sites - 1)
        picked: list[Site] = []
        for _ in range(20):
            site = people.pick(rng, candidates, cumulative)[0]
            if site not in picked:
                picked.append(site)
            if len(picked) == min(extra, len(candidates)):
                break
        windows = []
        for _ in picked:
            # Registrations run for one to three years; some lapsed in the last four months.
            length = rng.randint(365, 3 * 365)
            start = self.today - dt.timedelta(days=rng.randint(0, length + 120))
            windows.append((start, start + dt.timedelta(days=length), False))
        if rng.random() < 0.1:
            # An earlier registration elsewhere, over (or ended early) before the current ones began.
            earliest = min(start for start, _, _ in windows)
            end = earliest - dt.timedelta(days=rng.randint(1, 60))
            windows.append((end - dt.timedelta(days=rng.randint(300, 1100)), end, rng.random() < 0.3))
            leftovers = [s for s, _ in candidates if s not in picked]
            picked.append(rng.choice(leftovers) if leftovers else picked[0])
        return [{"id": numbered + i + 1, "practitioner_id": row["id"], "institution_id": site.id,
                 "valid_from": start, "valid_to": end, "ended": ended}
                for i, (site, (start, end, ended)) in enumerate(zip(picked, windows, strict=True))]
