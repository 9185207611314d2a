"""The deterministic synthetic region: plain rows from a scale and a seed, no database involved.

The rows depend only on (scale, seed, today): today anchors licence and registration windows
so that the directory always shows some licences expired or expiring, and the weeks of asset
bookings around it; people's birth dates and everything else do not move with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field, fields

from medshare.accounts.models import Role
from medshare.demo import assets
from medshare.demo.institutions import HOSPITAL_TYPES, InstitutionBuilder, Site, allocate, slug
from medshare.demo.patients import PatientBuilder, Person
from medshare.demo.places import Division, Prefecture, fujian
from medshare.demo.practitioners import PractitionerBuilder
from medshare.registry.models import InstitutionType as T
from medshare.registry.models import Profession as P


@dataclass(frozen=True)
class Scale:
    """How big a region is: institutions of each type, practitioners and patient records."""

    name: str
    prefectures: int
    tertiary: int
    secondary: int
    community_centres: int
    township_centres: int
    primary_hospitals: int
    villages: int
    individual_clinics: int
    labs: int
    imaging_centres: int
    suppliers: int
    logistics_firms: int
    insurers: int
    regulators: int
    county_communities: int  # per prefecture, beside its city group
    practitioners: int
    patient_records: int
    divisions: tuple[str, ...] = ()  # Sanming's divisions to use; empty means all


SCALES = {
    "small": Scale("small", 1, tertiary=1, secondary=2, community_centres=2, township_centres=3,
                   primary_hospitals=1, villages=12, individual_clinics=2, labs=1, imaging_centres=1,
                   suppliers=2, logistics_firms=1, insurers=1, regulators=1, county_communities=1,
                   practitioners=150, patient_records=3_000, divisions=("350403", "350404", "350481")),
    "city": Scale("city", 1, tertiary=3, secondary=10, community_centres=14, township_centres=36,
                  primary_hospitals=10, villages=200, individual_clinics=20, labs=1, imaging_centres=1,
                  suppliers=10, logistics_firms=2, insurers=2, regulators=2, county_communities=3,
                  practitioners=2_000, patient_records=100_000),
    "province": Scale("province", 9, tertiary=30, secondary=100, community_centres=140, township_centres=360,
                      primary_hospitals=100, villages=2_000, individual_clinics=200, labs=10, imaging_centres=10,
                      suppliers=100, logistics_firms=20, insurers=18, regulators=18, county_communities=3,
                      practitioners=20_000, patient_records=1_000_000),
}
INSTITUTION_ADMIN_TYPES = (*HOSPITAL_TYPES, T.THIRD_PARTY_LAB, T.IMAGING_CENTRE)
# Beside every hospital's and centre's admin, the first of these gets one, to show primary care.
SAMPLE_ADMIN_TYPES = (T.COMMUNITY_HEALTH_CENTRE, T.TOWNSHIP_HEALTH_CENTRE, T.VILLAGE_CLINIC,
                      T.INDIVIDUAL_CLINIC)


@dataclass
class Region:
    """Every row of a demo region, table by table, as plain dicts keyed by column name.

    Users carry no password hash: the loader hashes the demo password once and adds it.
    Bookings name their creator by created_by_username, which the loader turns into the user's id.
    """

    scale: str
    seed: int
    today: dt.date
    institutions: list[dict] = field(default_factory=list)
    licences: list[dict] = field(default_factory=list)
    communities: list[dict] = field(default_factory=list)
    memberships: list[dict] = field(default_factory=list)
    practitioners: list[dict] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)
    patient_records: list[dict] = field(default_factory=list)
    truths: list[dict] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)
    assets: list[dict] = field(default_factory=list)
    opening_hours: list[dict] = field(default_factory=list)
    exam_types: list[dict] = field(default_factory=list)
    prices: list[dict] = field(default_factory=list)
    blackouts: list[dict] = field(default_factory=list)
    booking_series: list[dict] = field(default_factory=list)
    bookings: list[dict] = field(default_factory=list)
    slot_claims: list[dict] = field(default_factory=list)
    ledger_accounts: list[dict] = field(default_factory=list)
    journal_entries: list[dict] = field(default_factory=list)
    journal_lines: list[dict] = field(default_factory=list)

    def tables(self) -> dict[str, list[dict]]:
        """The row lists by name, in an order that satisfies foreign keys."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("scale", "seed", "today")}

    def counts(self) -> dict[str, int]:
        """How many rows each table gets."""
        return {name: len(rows) for name, rows in self.tables().items()}

    def digest(self) -> str:
        """A SHA-256 of every row, to tell regions apart."""
        digest = hashlib.sha256()
        for name, rows in self.tables().items():
            digest.update(name.encode())
            for row in rows:
                digest.update(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False).encode())
        return digest.hexdigest()


def _regions(scale: Scale) -> list[tuple[Prefecture, list[Division]]]:
    result = []
    for prefecture in fujian(scale.prefectures):
        divisions = [d for d in prefecture.divisions if not scale.divisions or d.code in scale.divisions]
        result.append((prefecture, divisions))
    return result


def _institutions(builder: InstitutionBuilder, scale: Scale,
                  regions: list[tuple[Prefecture, list[Division]]]) -> None:
    weights = [sum(d.weight for d in divisions) for _, divisions in regions]
    plan = [
        (scale.tertiary, builder.tertiary), (scale.secondary, builder.secondary),
        (scale.primary_hospitals, builder.primary_hospitals), (scale.community_centres, builder.community_centres),
        (scale.township_centres, builder.township_centres), (scale.villages, builder.village_clinics),
        (scale.individual_clinics, builder.individual_clinics),
        (scale.labs, lambda *a: builder.centres(T.THIRD_PARTY_LAB, *a)),
        (scale.imaging_centres, lambda *a: builder.centres(T.IMAGING_CENTRE, *a)),
        (scale.suppliers, lambda *a: builder.companies(T.SUPPLIER, *a)),
        (scale.logistics_firms, lambda *a: builder.companies(T.LOGISTICS_FIRM, *a)),
        (scale.insurers, builder.insurers), (scale.regulators, builder.regulators),
    ]
    for total, add in plan:
        for (prefecture, divisions), count in zip(regions, allocate(total, weights, minimum=1), strict=True):
            add(prefecture, divisions, count)


def _accounts(sites: list[Site], picked: dict[str, dict | None],
              patient: tuple[Person, int] | None) -> list[dict]:
    def user(username: str, display_name: str, role: Role, locale: str = "en", *, institution_id: int | None = None,
             practitioner_id: int | None = None, patient_record_id: int | None = None) -> dict:
        return {"username": username, "display_name": display_name, "role": role.value,
                "institution_id": institution_id, "practitioner_id": practitioner_id,
                "patient_record_id": patient_record_id, "locale": locale}

    def first(type_: T) -> Site | None:
        return next((s for s in sites if s.type is type_), None)

    users = [user("admin", "Platform administrator", Role.PLATFORM_ADMIN)]
    regulator = first(T.REGULATOR)
    if regulator is not None:
        users.append(user("regulator", f"{regulator.row['name']}监管员", Role.REGULATOR, "zh_Hans",
                          institution_id=regulator.id))
    taken: set[str] = set()
    samples = {id(s) for s in (first(t) for t in SAMPLE_ADMIN_TYPES) if s is not None}
    for site in sites:
        if site.type in INSTITUTION_ADMIN_TYPES or id(site) in samples:
            name = f"admin-{slug(site.row['name_en'])}"[:60]
            base, n = name, 1
            while name in taken:
                n += 1
                name = f"{base}-{n}"
            taken.add(name)
            users.append(user(name, f"{site.row['name']}管理员", Role.INSTITUTION_ADMIN, "zh_Hans",
                              institution_id=site.id))
    for username, row in picked.items():
        if row is not None:
            users.append(user(username, row["name"], Role.PRACTITIONER, institution_id=row["primary_institution_id"],
                              practitioner_id=row["id"]))
    for role, type_ in ((Role.SUPPLIER, T.SUPPLIER), (Role.INSURER, T.INSURER)):
        site = first(type_)
        if site is not None:
            users.append(user(role.value, site.row["name"], role, institution_id=site.id))
    if patient is not None:
        person, record_id = patient
        users.append(user("patient", person.name, Role.PATIENT, patient_record_id=record_id))
    return users


def generate(scale: str, seed: int, *, today: dt.date | None = None, max_sites: int = 3) -> Region:
    """The region of scale ("small", "city" or "province") for seed; the same inputs give the same rows.

    max_sites is the region's limit of sites a practitioner holds at once, the primary one included.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    today = today or dt.date.today()
    regions = _regions(spec)
    region = Region(scale, seed, today)

    builder = InstitutionBuilder(random.Random(f"{seed}:institutions"), today)
    _institutions(builder, spec, regions)
    region.institutions = [s.row for s in builder.sites]
    region.licences = builder.licences()
    region.communities, region.memberships = builder.communities(regions, spec.county_communities)

    staff = PractitionerBuilder(random.Random(f"{seed}:practitioners"), today, max_sites)
    staff.staff(builder.sites, spec.practitioners)
    first_hospital = next(s.id for s in builder.sites if s.type is T.TERTIARY_HOSPITAL)
    picked = {
        "doctor": staff.find(types=(T.TERTIARY_HOSPITAL,), profession=P.DOCTOR, specialty="心内科",
                             site_id=first_hospital),
        "radiologist": staff.find(types=(T.SECONDARY_HOSPITAL,), profession=P.DOCTOR, specialty="放射科")
        or staff.find(types=(T.TERTIARY_HOSPITAL,), profession=P.DOCTOR, specialty="放射科"),
        "family-doctor": staff.find(types=(T.TOWNSHIP_HEALTH_CENTRE, T.COMMUNITY_HEALTH_CENTRE), profession=P.DOCTOR,
                         specialty="全科"),
        "nurse": staff.find(types=(T.TERTIARY_HOSPITAL,), profession=P.NURSE, site_id=first_hospital),
    }
    region.practitioners = staff.rows
    must = [picked["doctor"]["id"]] if picked["doctor"] else []
    region.registrations = staff.registrations(must)

    patients = PatientBuilder(random.Random(f"{seed}:patients"), builder.sites, regions)
    region.patient_records, region.truths, showcase = patients.build(spec.patient_records)

    # The mall comes last, so that every row drawn before it stays as it was without one.
    prefecture, divisions = regions[0]
    mall, licences = assets.add_mall(builder, prefecture, divisions[0])
    region.institutions.append(mall.row)
    region.licences += [{**row, "id": row["id"] + len(region.licences)} for row in licences]
    region.registrations = assets.mall_registrations(
        random.Random(f"{seed}:mall"), today, mall, staff.sites | {mall.id: mall}, region.practitioners,
        region.registrations, must, max_sites)
    region.users = _accounts(builder.sites, picked, showcase)

    history = assets.build(random.Random(f"{seed}:assets"), today, builder.sites, region.memberships,
                           region.practitioners, region.registrations, region.users, mall)
    for name, rows in vars(history).items():
        setattr(region, name, rows)
    return region
