"""The demo region's shared assets and weeks of their booking history, as plain rows.

Equipment follows China's density in hospitals of grade 2 and above (about 9.4 CT and 4.9 MRI
per million people): several of each in tertiary hospitals, one or two CT and at most one MRI in
secondary ones, DR and ultrasound in primary ones. A medical mall rents consulting rooms and
day-surgery theatres to doctors registered there; tertiary hospitals share research instruments.
Bookings run from three weeks back to each asset's horizon, with tertiary MRI booked out and
secondary equipment half idle; completed and no-show bookings are settled in a balanced ledger.
Every row obeys the assets domain's rules: slots on the grid inside opening hours and outside
closures, one live booking per grid unit, requesters the sharing policy admits, frozen prices.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from medshare.assets import rules
from medshare.demo.institutions import InstitutionBuilder, Site
from medshare.demo.places import Division, Prefecture, distance_km
from medshare.errors import DomainError
from medshare.registry import rules as registry_rules
from medshare.registry.models import InstitutionType as T

# Sanming keeps China Standard Time, the platform's default region time zone.
TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
CT_PER_MILLION = 9.4
MRI_PER_MILLION = 4.9
PAST_DAYS = 21
NO_SHOW_SHARE = 0.04
LIVE = ("held", "pending", "confirmed")
CLAIMING = (*LIVE, "completed", "no_show")  # the service releases units only on cancel, decline or expiry


@dataclass(frozen=True)
class Exam:
    code: str
    name: str
    minutes: int
    yuan: int  # the price to an outside institution at a tertiary hospital
    weight: float  # how often it is booked, relative to the asset's other exams
    needs: str | None = None  # a capability the asset must have to offer it


EXAMS = {
    "CT": [Exam("CT-HEAD", "头颅CT平扫", 15, 200, 3), Exam("CT-CHEST", "胸部CT平扫", 15, 230, 5),
           Exam("CT-SPINE", "腰椎CT平扫", 15, 260, 2), Exam("CT-ABD-C", "全腹部CT增强", 30, 450, 1.5, "contrast"),
           Exam("CT-CTA", "冠状动脉CTA", 30, 700, 0.7, "cardiac")],
    "MRI": [Exam("MRI-HEAD", "颅脑MRI平扫", 30, 450, 4), Exam("MRI-SPINE", "腰椎MRI平扫", 45, 520, 3),
            Exam("MRI-KNEE", "膝关节MRI平扫", 30, 480, 2), Exam("MRI-ABD-C", "上腹部MRI增强", 45, 800, 1, "contrast"),
            Exam("MRI-CARDIAC", "心脏MRI", 60, 1000, 0.4, "cardiac")],
    "PET-CT": [Exam("PETCT-BODY", "全身PET-CT（FDG）", 60, 7000, 4), Exam("PETCT-BRAIN", "脑PET-CT", 45, 5500, 1)],
    "DSA": [Exam("DSA-CAG", "冠状动脉造影", 60, 3000, 4), Exam("DSA-CEREBRAL", "全脑血管造影", 90, 3500, 2),
            Exam("DSA-PCI", "经皮冠状动脉介入治疗", 120, 6000, 2)],
    "DR": [Exam("DR-CHEST", "胸部正侧位X线片", 15, 80, 5), Exam("DR-LIMB", "四肢关节X线片", 15, 70, 3)],
    "ultrasound": [Exam("US-ABD", "腹部彩超", 15, 150, 5), Exam("US-HEART", "心脏彩超", 30, 260, 2, "cardiac"),
                   Exam("US-OB", "产科彩超", 30, 220, 2, "obstetric")],
    "endoscopy": [Exam("ENDO-GASTRO", "胃镜检查", 30, 300, 3), Exam("ENDO-COLON", "结肠镜检查", 45, 450, 2)],
    "lab_analyser": [Exam("LAB-BATCH", "批量检测上机", 60, 300, 3),
                     Exam("LAB-PCR", "核酸扩增检测批次", 120, 800, 1, "PCR")],
    "room": [Exam("ROOM-HALFDAY", "诊室半天（4小时）", 240, 200, 3), Exam("ROOM-HOUR", "诊室按小时", 60, 60, 1.5)],
    "theatre": [Exam("OT-MINOR", "门诊小手术", 60, 600, 2), Exam("OT-DAY", "日间手术", 180, 2000, 1)],
}
# Research platforms: name, capabilities, exams; the first tertiary hospital has all, the second two.
RESEARCH = [
    ("激光共聚焦显微镜 · 蔡司 LSM 980", ["confocal", "live-cell"],
     [Exam("CONF-2H", "共聚焦成像（2小时）", 120, 600, 3), Exam("CONF-4H", "共聚焦成像（4小时）", 240, 1100, 1)]),
    ("流式细胞仪 · BD FACSCanto II", ["flow-cytometry", "8-colour"],
     [Exam("FLOW-1H", "流式细胞分析（1小时）", 60, 250, 1)]),
    ("高通量测序仪 · Illumina NextSeq 550", ["NGS", "150bp-PE"], [Exam("SEQ-RUN", "测序运行（中通量）", 480, 6000, 1)]),
    ("液相色谱-串联质谱仪 · SCIEX QTRAP 6500+", ["LC-MS/MS"], [Exam("MS-RUN", "质谱分析批次", 240, 1500, 1)]),
]
CT_MODELS = {"256-slice": "GE Revolution CT", "128-slice": "联影 uCT 760", "64-slice": "联影 uCT 528",
             "16-slice": "东软 NeuViz 16"}
MRI_MODELS = {"3T": ["西门子 MAGNETOM Skyra 3.0T", "联影 uMR 790 3.0T", "GE SIGNA Pioneer 3.0T"],
              "1.5T": ["联影 uMR 588 1.5T", "西门子 MAGNETOM Amira 1.5T", "飞利浦 Multiva 1.5T"]}
# Prices by requester category, as a share of the outside price; individual doctors pay that too.
CATEGORY_SHARE = {"own": 0.7, "community": 0.85, "other": 1.0, "individual": 1.0}
GRADE_PRICE = {3: 1.0, 2: 0.9, 1: 0.8}  # Fujian's price schedule steps down by hospital grade
# Who asks for other institutions' equipment, relative to one another, before distance.
REQUEST_WEIGHT = {T.SECONDARY_HOSPITAL: 5.0, T.COMMUNITY_HEALTH_CENTRE: 3.0, T.TOWNSHIP_HEALTH_CENTRE: 2.5,
                  T.PRIMARY_HOSPITAL: 2.5, T.TERTIARY_HOSPITAL: 1.5, T.INDIVIDUAL_CLINIC: 0.6,
                  T.VILLAGE_CLINIC: 0.15}
REQUEST_KM = 20.0
OWN_SHARE = {T.TERTIARY_HOSPITAL: 0.3, T.SECONDARY_HOSPITAL: 0.5, T.PRIMARY_HOSPITAL: 0.6,
             T.TOWNSHIP_HEALTH_CENTRE: 0.6}
# Booked share of open time: (past days, [(future days up to, share), ...]); nothing beyond.
LOAD = {
    "tertiary-MRI": (0.92, [(14, 0.96), (21, 0.92), (28, 0.55)]),
    "tertiary-CT": (0.95, [(7, 0.97), (14, 0.8)]),
    "tertiary-other": (0.8, [(7, 0.85), (14, 0.6), (28, 0.3)]),
    "secondary-CT": (0.55, [(7, 0.5), (14, 0.38)]),
    "secondary-MRI": (0.45, [(7, 0.45), (14, 0.4), (28, 0.2)]),
    "primary": (0.35, [(7, 0.3), (14, 0.15)]),
    "centre": (0.65, [(7, 0.6), (14, 0.45), (28, 0.2)]),
    "research": (0.55, [(14, 0.5), (28, 0.35), (60, 0.15)]),
    "mall": (0.55, [(14, 0.55), (28, 0.4), (56, 0.25)]),
}
MALL_SPECIALTIES = {"皮肤科", "口腔科", "眼科", "中医科", "儿科", "妇产科", "心内科", "内分泌科", "全科", "耳鼻喉科",
                    "骨科", "康复科", "消化内科"}
MALL_ROOMS = 20
MALL_THEATRES = 2


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _week(days: range | tuple[int, ...], *intervals: str) -> list[tuple[int, dt.time, dt.time]]:
    """Opening hours: each of days, each interval written "08:00-12:00"."""
    return [(d, _t(i[:5]), _t(i[6:])) for d in days for i in intervals]


EVERY_DAY, WEEKDAYS, MON_SAT = range(7), range(5), range(6)
HOURS = {
    "tertiary-MRI": _week(EVERY_DAY, "07:00-22:00"),
    "tertiary-CT": _week(EVERY_DAY, "08:00-21:00"),
    "PET-CT": _week(MON_SAT, "08:00-17:00"),
    "DSA": _week(WEEKDAYS, "08:00-18:00"),
    "endoscopy": _week(MON_SAT, "08:00-12:00", "14:00-17:30"),
    "secondary-CT": _week(WEEKDAYS, "08:00-12:00", "14:30-17:30") + _week((5,), "08:00-12:00"),
    "secondary": _week(WEEKDAYS, "08:00-12:00", "14:30-17:30"),
    "centre": _week(EVERY_DAY, "08:00-20:00"),
    "lab": _week(MON_SAT, "08:00-20:00"),
    "research": _week(WEEKDAYS, "08:30-20:30"),
    "room": _week(EVERY_DAY, "08:00-12:00", "13:30-17:30") + _week(WEEKDAYS, "18:00-21:00"),
    "theatre": _week(MON_SAT, "08:00-18:00"),
}


@dataclass
class Planned:
    """An asset while its history is drawn: its row, exams, calendar, policy and load."""

    row: dict
    site: Site
    exams: list[Exam]
    hours: list[tuple[int, dt.time, dt.time]]
    load: str
    policy: rules.SharingPolicy
    prices: dict[tuple[str, str], int] = field(default_factory=dict)
    closures: list[rules.Interval] = field(default_factory=list)
    requesters: list[Site] = field(default_factory=list)  # outside institutions the policy admits
    cumulative: list[float] = field(default_factory=list)


@dataclass
class History:
    """Every row the assets add to a region."""

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


def local(day: dt.date, time: dt.time) -> dt.datetime:
    """A local wall-clock time on day, in UTC."""
    return dt.datetime.combine(day, time, TZ).astimezone(UTC)


# -- the medical mall and its doctors ------------------------------------------------------


def add_mall(builder: InstitutionBuilder, prefecture: Prefecture, division: Division) -> tuple[Site, list[dict]]:
    """A medical mall in the urban district, and its practice licence rows (numbered from 1)."""
    lat, lon = builder.near(division.latitude, division.longitude, 1.0)
    site = builder.add(T.PRIMARY_HOSPITAL, prefecture, division, f"{prefecture.full_name}健康城医疗中心",
                       f"{prefecture.name_en} Health City Medical Mall", latitude=lat, longitude=lon,
                       town=division.towns[0], grade=(1, None))
    licences = [{"id": i + 1, "institution_id": site.id, "number": number, "scope": scope, "valid_from": start,
                 "valid_to": end} for i, (number, scope, start, end) in enumerate(builder._practice_licences(site))]
    return site, licences


def mall_registrations(rng: random.Random, today: dt.date, mall: Site, sites: dict[int, Site],
                       practitioners: list[dict], registrations: list[dict], must: list[int],
                       max_sites: int) -> list[dict]:
    """The registrations with the mall's added for doctors near it (must first), within the site limit."""
    held: dict[int, list[dict]] = {}
    for row in registrations:
        held.setdefault(row["practitioner_id"], []).append(row)
    wanted = max(6, round(0.012 * len(practitioners)))
    order = {"resident": 0, "attending": 1, "associate_chief": 2, "chief": 3}
    scored = []
    for row in practitioners:
        home = sites[row["primary_institution_id"]]
        if (row["profession"] != "doctor" or not row["active"] or row["specialty"] not in MALL_SPECIALTIES
                or home.type is T.VILLAGE_CLINIC or home.prefecture is not mall.prefecture):
            continue
        km = distance_km(home.latitude, home.longitude, mall.latitude, mall.longitude)
        weight = (1 + order.get(row["title"], 0)) * math.exp(-km / 15)
        scored.append((rng.random() ** (1 / weight), row["id"]))
    chosen = list(dict.fromkeys(must + [pid for _, pid in sorted(scored, reverse=True)]))
    result = [dict(r) for r in registrations]
    added = 0
    for pid in chosen:
        if added >= wanted:
            break
        windows = [registry_rules.Window(r["valid_from"], r["valid_to"]) for r in held.get(pid, [])
                   if not r["ended"]]
        start = today - dt.timedelta(days=rng.randint(45, 400))
        new = registry_rules.Window(start, today + dt.timedelta(days=rng.randint(200, 900)))
        if max_sites >= 2 and registry_rules.most_concurrent_sites(windows, new) <= max_sites:
            result.append({"id": len(result) + 1, "practitioner_id": pid, "institution_id": mall.id,
                           "valid_from": new.start, "valid_to": new.end, "ended": False})
            added += 1
        elif pid in must:
            # No room for another site: one of the doctor's current ones moves to the mall.
            current = [r for r in result if r["practitioner_id"] == pid and not r["ended"]
                       and r["valid_from"] <= today <= r["valid_to"]]
            if current:
                # Every other current site also covers today, so running this one longer adds no overlap.
                current[0]["institution_id"] = mall.id
                current[0]["valid_to"] = max(current[0]["valid_to"], today + dt.timedelta(days=365))
                added += 1
    return result


# -- assets --------------------------------------------------------------------------------


class AssetBuilder:
    """Lists the region's shared assets and draws their booking history."""

    def __init__(self, rng: random.Random, today: dt.date, sites: list[Site], memberships: list[dict],
                 practitioners: list[dict], registrations: list[dict], users: list[dict],
                 mall: Site | None) -> None:
        self.rng = rng
        self.today = today
        self.now = local(today, dt.time())  # rows describe the region as it stood at midnight
        self.sites = sites
        self.by_id = {s.id: s for s in sites}
        self.mall = mall
        self.communities: dict[int, frozenset[int]] = {}
        for m in memberships:
            self.communities[m["institution_id"]] = self.communities.get(m["institution_id"], frozenset()) | {
                m["community_id"]}
        self.practitioners = {p["id"]: p for p in practitioners}
        self.mall_doctors = [r for r in registrations if mall is not None and r["institution_id"] == mall.id
                             and not r["ended"]]
        self.admins = {u["institution_id"]: u["username"] for u in users if u["role"] == "institution_admin"}
        self.accounts = {u["practitioner_id"]: u["username"] for u in users if u["practitioner_id"] is not None}
        self.out = History()
        self.planned: list[Planned] = []
        self.ledger: dict[str, int] = {}

    # -- listing ---------------------------------------------------------------------------

    def _requester(self, site: Site) -> rules.Requester:
        return rules.Requester(institution_id=site.id, institution_type=site.type.value,
                               grade_level=site.row["grade_level"],
                               communities=self.communities.get(site.id, frozenset()))

    def _add(self, site: Site, *, kind: str, modality: str | None, name: str, location: str,
             capabilities: list[str], exams: list[Exam], hours: str, load: str, grid: int = 15,
             open_to: str = "all", grades: tuple[int, ...] = (), types: tuple[str, ...] = (),
             bookers: str = "institutions", approval: bool = False, lead: int = 60, horizon: int = 14,
             quota: int | None = None, hold: int = 10, price_factor: float | None = None) -> Planned:
        exams = [e for e in exams if e.needs is None or e.needs in capabilities]
        asset_id = len(self.out.assets) + 1
        row = {"id": asset_id, "owner_institution_id": site.id, "name": name, "kind": kind, "modality": modality,
               "capabilities": capabilities, "site": location, "latitude": site.latitude,
               "longitude": site.longitude, "open_to": open_to, "allowed_grades": list(grades),
               "allowed_types": list(types), "bookers": bookers, "approval_required": approval,
               "grid_minutes": grid, "min_lead_minutes": lead, "max_horizon_days": horizon, "quota_count": quota,
               "quota_period_days": 7, "free_cancel_hours": 24, "late_cancel_fee_percent": 50,
               "no_show_fee_percent": 100, "hold_minutes": hold, "active": True}
        self.out.assets.append(row)
        for weekday, opens, closes in HOURS[hours]:
            self.out.opening_hours.append({"id": len(self.out.opening_hours) + 1, "asset_id": asset_id,
                                           "weekday": weekday, "opens": opens, "closes": closes})
        factor = price_factor or GRADE_PRICE.get(site.row["grade_level"] or 1, 0.8)
        for exam in exams:
            self.out.exam_types.append({"id": len(self.out.exam_types) + 1, "asset_id": asset_id,
                                        "code": exam.code, "name": exam.name, "minutes": exam.minutes})
            for category, share in CATEGORY_SHARE.items():
                # Whole yuan in tens, as price lists are printed.
                yuan = max(10, round(exam.yuan * factor * share / 10) * 10)
                self.out.prices.append({"id": len(self.out.prices) + 1, "asset_id": asset_id,
                                        "exam_code": exam.code, "category": category, "amount_fen": yuan * 100})
        policy = rules.SharingPolicy(owner_institution_id=site.id,
                                     owner_communities=self.communities.get(site.id, frozenset()),
                                     open_to=open_to, allowed_grades=grades, allowed_types=types, bookers=bookers)
        planned = Planned(row, site, exams, HOURS[hours], load, policy,
                          prices={(p["exam_code"], p["category"]): p["amount_fen"] for p in self.out.prices
                                  if p["asset_id"] == asset_id})
        self.planned.append(planned)
        return planned

    def equipment(self) -> None:
        """Equipment by grade, calibrated on the CT and MRI density of each prefecture's population."""
        for code in dict.fromkeys(s.prefecture.code for s in self.sites):
            own = [s for s in self.sites if s.prefecture.code == code]
            divisions = {s.division.code: s.division for s in own}
            people_m = sum(d.weight for d in divisions.values()) / 100
            tertiary = [s for s in own if s.type is T.TERTIARY_HOSPITAL]
            secondary = sorted((s for s in own if s.type is T.SECONDARY_HOSPITAL),
                               key=lambda s: (s.row["name"].endswith(("中医院", "妇幼保健院")),
                                              -s.division.weight, s.id))
            ct = [5, 4, 3][:len(tertiary)] + [self.rng.randint(3, 4) for _ in tertiary[3:]]
            mri = [3, 3, 2][:len(tertiary)] + [self.rng.randint(2, 3) for _ in tertiary[3:]]
            extra_ct = min(len(secondary), max(0, round(CT_PER_MILLION * people_m) - sum(ct) - len(secondary)))
            with_mri = min(len(secondary), max(0, round(MRI_PER_MILLION * people_m) - sum(mri)))
            for rank, site in enumerate(tertiary):
                self._tertiary(site, rank, ct[rank], mri[rank])
            for rank, site in enumerate(secondary):
                self._secondary(site, 1 + (rank < extra_ct), rank < with_mri)
            for site in own:
                if (site.type is T.PRIMARY_HOSPITAL and site is not self.mall) or (
                        site.type is T.TOWNSHIP_HEALTH_CENTRE and site.row["grade_level"] == 1):
                    self._primary(site)
                elif site.type is T.IMAGING_CENTRE:
                    self._imaging_centre(site)
                elif site.type is T.THIRD_PARTY_LAB:
                    self._lab(site)

    def _tertiary(self, site: Site, rank: int, ct: int, mri: int) -> None:
        for j in range(ct):
            slices = "256-slice" if j == 0 else "128-slice" if j == 1 else "64-slice"
            caps = [slices, "contrast"] + (["cardiac"] if j < 2 else []) + (["dual-energy"] if j == 0 else [])
            policy = ({"open_to": "all"}, {"open_to": "community"}, {"open_to": "listed", "grades": (1, 2)},
                      {"open_to": "listed", "types": ("secondary_hospital", "community_health_centre",
                                                      "township_health_centre")})[j % 4]
            self._add(site, kind="equipment", modality="CT", name=f"CT {j + 1}号机 · {CT_MODELS[slices]}",
                      location="医技楼一层 放射科", capabilities=caps, exams=EXAMS["CT"], hours="tertiary-CT",
                      load="tertiary-CT", **policy)
        for j in range(mri):
            tesla = "3T" if j < 2 else "1.5T"
            caps = [tesla, "contrast"] + (["cardiac", "functional"] if j == 0 else [])
            policy = ({"open_to": "all"}, {"open_to": "community"},
                      {"open_to": "listed", "grades": (1, 2), "approval": True})[j % 3]
            self._add(site, kind="equipment", modality="MRI", name=f"MRI {j + 1}号机 · {MRI_MODELS[tesla][j % 3]}",
                      location="医技楼负一层 磁共振室", capabilities=caps, exams=EXAMS["MRI"], hours="tertiary-MRI",
                      load="tertiary-MRI", lead=120, horizon=28, **policy)
        self._add(site, kind="equipment", modality="DSA", name="DSA · 飞利浦 Azurion 7", location="介入中心",
                  capabilities=["cardiac", "neuro", "peripheral"], exams=EXAMS["DSA"], hours="DSA",
                  load="tertiary-other", open_to="listed", grades=(2, 3), approval=True, lead=1440, horizon=28)
        self._add(site, kind="equipment", modality="endoscopy", name="内镜 · 奥林巴斯 EVIS X1",
                  location="门诊楼三层 消化内镜中心", capabilities=["gastroscopy", "colonoscopy", "painless"],
                  exams=EXAMS["endoscopy"], hours="endoscopy", load="tertiary-other", open_to="community",
                  lead=1440, horizon=28)
        if rank == 0:
            self._add(site, kind="equipment", modality="PET-CT", name="PET-CT · 联影 uMI 550",
                      location="核医学科", capabilities=["FDG", "contrast"], exams=EXAMS["PET-CT"], hours="PET-CT",
                      load="tertiary-other", approval=True, lead=2880, horizon=28, quota=4)
        for name, caps, exams in RESEARCH[: 4 if rank == 0 else 2 if rank == 1 else 0]:
            self._add(site, kind="research_instrument", modality=None, name=name, location="科研楼 公共技术平台",
                      capabilities=caps, exams=exams, hours="research", load="research", grid=30,
                      open_to="listed", types=("tertiary_hospital", "secondary_hospital"), bookers="both",
                      approval=True, lead=1440, horizon=60, quota=3)

    def _secondary(self, site: Site, ct: int, mri: bool) -> None:
        member = bool(self.communities.get(site.id))
        for j in range(ct):
            slices = "64-slice" if j == 0 else "16-slice"
            self._add(site, kind="equipment", modality="CT", name=f"CT {j + 1}号机 · {CT_MODELS[slices]}",
                      location="医技楼一层 放射科", capabilities=[slices] + (["contrast"] if j == 0 else []),
                      exams=EXAMS["CT"], hours="secondary-CT", load="secondary-CT",
                      open_to="community" if member and j == 0 else "all", lead=30)
        if mri:
            self._add(site, kind="equipment", modality="MRI", name=f"MRI · {MRI_MODELS['1.5T'][site.id % 3]}",
                      location="医技楼一层 磁共振室", capabilities=["1.5T", "contrast"], exams=EXAMS["MRI"],
                      hours="secondary", load="secondary-MRI", open_to="all", lead=60, horizon=28)

    def _primary(self, site: Site) -> None:
        open_to = "community" if self.communities.get(site.id) else "all"
        self._add(site, kind="equipment", modality="DR", name="DR · 万东 新东方1000", location="放射科",
                  capabilities=["digital"], exams=EXAMS["DR"], hours="secondary", load="primary", open_to=open_to)
        self._add(site, kind="equipment", modality="ultrasound", name="彩超 · 迈瑞 Resona 7", location="超声科",
                  capabilities=["colour-doppler", "obstetric"], exams=EXAMS["ultrasound"], hours="secondary",
                  load="primary", open_to=open_to)

    def _imaging_centre(self, site: Site) -> None:
        for j, caps in enumerate((["128-slice", "contrast", "cardiac"], ["64-slice", "contrast"])):
            self._add(site, kind="equipment", modality="CT", name=f"CT {j + 1}号机 · {CT_MODELS[caps[0]]}",
                      location="影像中心一层", capabilities=caps, exams=EXAMS["CT"], hours="centre", load="centre",
                      price_factor=0.9)
        for j, tesla in enumerate(("3T", "1.5T")):
            self._add(site, kind="equipment", modality="MRI", name=f"MRI {j + 1}号机 · {MRI_MODELS[tesla][1]}",
                      location="影像中心负一层", capabilities=[tesla, "contrast"], exams=EXAMS["MRI"], hours="centre",
                      load="centre", horizon=28, price_factor=0.9)
        self._add(site, kind="equipment", modality="DR", name="DR · 联影 uDR 780i", location="影像中心一层",
                  capabilities=["digital"], exams=EXAMS["DR"], hours="centre", load="centre", price_factor=0.9)

    def _lab(self, site: Site) -> None:
        for name, caps in (("全自动生化分析仪 · 罗氏 cobas c702", ["biochemistry"]),
                           ("化学发光免疫分析仪 · 迈瑞 CL-6000i", ["immunoassay"]),
                           ("实时荧光定量PCR仪 · 罗氏 LightCycler 480", ["PCR"])):
            self._add(site, kind="equipment", modality="lab_analyser", name=name, location="检验实验室",
                      capabilities=caps, exams=EXAMS["lab_analyser"], hours="lab", load="centre", grid=30,
                      lead=120, price_factor=0.9)

    def mall_rooms(self) -> None:
        """The mall's consulting rooms and day-surgery theatres, rented by doctors registered there."""
        if self.mall is None:
            return
        for n in range(1, MALL_ROOMS + 1):
            floor = 2 + (n - 1) // 8
            self._add(self.mall, kind="consulting_room", modality=None, name=f"诊室 {floor}{(n - 1) % 8 + 1:02d}",
                      location=f"{floor}楼 共享诊区", capabilities=["consulting"] + (["treatment-couch"] if n % 3 == 0
                                                                                   else []),
                      exams=EXAMS["room"], hours="room", load="mall", grid=30, bookers="practitioners",
                      horizon=56, hold=720, price_factor=1.0)
        for n in range(1, MALL_THEATRES + 1):
            self._add(self.mall, kind="operating_theatre", modality=None, name=f"日间手术室 {n}",
                      location="5楼 日间手术中心", capabilities=["day-surgery", "laminar-flow"],
                      exams=EXAMS["theatre"], hours="theatre", load="mall", grid=30, bookers="both", approval=True,
                      lead=1440, horizon=56, price_factor=1.0)

    def maintenance(self) -> None:
        """A helium refill on a tertiary MRI next week, a tube replacement done on a CT, a theatre's validation."""
        picks = [
            (next((p for p in self.planned if p.row["modality"] == "MRI" and p.load == "tertiary-MRI"), None), 9,
             "maintenance", "液氦补充与线圈校准"),
            (next((p for p in self.planned if p.row["modality"] == "CT" and p.load == "secondary-CT"), None), -10,
             "maintenance", "更换CT球管"),
            (next((p for p in self.planned if p.row["kind"] == "operating_theatre"), None), 12, "blackout",
             "年度空气洁净度检测与消毒"),
        ]
        for planned, days, kind, reason in picks:
            if planned is None:
                continue
            day = self.today + dt.timedelta(days=days)
            while not any(w == day.weekday() for w, _, _ in planned.hours):
                day += dt.timedelta(days=1)
            start, end = local(day, dt.time(7)), local(day, dt.time(22))
            planned.closures.append(rules.Interval(start, end))
            self.out.blackouts.append({"id": len(self.out.blackouts) + 1, "asset_id": planned.row["id"],
                                       "starts_at": start, "ends_at": end, "kind": kind, "reason": reason})

    # -- history ---------------------------------------------------------------------------

    def history(self) -> History:
        """Weekly room series first, then every asset's days filled to its load; returns all rows."""
        self.taken: dict[int, set[dt.datetime]] = {p.row["id"]: set() for p in self.planned}
        self.quota: dict[tuple, list[dt.datetime]] = {}
        for planned in self.planned:
            self._eligible(planned)
        self._series()
        for planned in self.planned:
            self._fill(planned)
        return self.out

    def _eligible(self, planned: Planned) -> None:
        """Outside institutions the policy admits, weighted by who asks and how far away they are."""
        if planned.policy.bookers == "practitioners":
            return
        weights = []
        for site in self.sites:
            weight = REQUEST_WEIGHT.get(site.type, 0.0)
            if not weight or site is planned.site or site is self.mall:
                continue
            try:
                rules.check_may_book(self._requester(site), planned.policy)
            except DomainError:
                continue
            km = distance_km(site.latitude, site.longitude, planned.site.latitude, planned.site.longitude)
            planned.requesters.append(site)
            weights.append(weight * math.exp(-km / REQUEST_KM))
        planned.cumulative = list(itertools.accumulate(weights))

    def _doctor(self, registration: dict) -> tuple[int, int, str, str]:
        practitioner = self.practitioners[registration["practitioner_id"]]
        home = practitioner["primary_institution_id"]
        username = self.accounts.get(practitioner["id"]) or self.admins.get(home, "admin")
        return home, practitioner["id"], "individual", username

    def _registered(self, start: dt.datetime) -> list[dict]:
        """The mall's doctors whose registration holds on the slot's local and UTC dates."""
        days = (start.astimezone(TZ).date(), start.date())
        return [r for r in self.mall_doctors if r["valid_from"] <= min(days) and max(days) <= r["valid_to"]]

    def _who(self, planned: Planned, start: dt.datetime) -> tuple[int, int | None, str, str] | None:
        """(institution, practitioner, price category, creator's username) of a new booking, or None."""
        rng = self.rng
        if planned.row["kind"] in ("consulting_room", "operating_theatre"):
            doctors = self._registered(start)
            return self._doctor(rng.choice(doctors)) if doctors else None
        owner = planned.site
        candidates = []
        if planned.cumulative and rng.random() >= OWN_SHARE.get(owner.type, 0.0):
            at = bisect.bisect_right(planned.cumulative, rng.random() * planned.cumulative[-1])
            candidates.append(planned.requesters[min(at, len(planned.requesters) - 1)])
        if owner.type in OWN_SHARE:
            candidates.append(owner)
        for site in candidates:
            if self._within_quota(planned, site.id, start):
                category = rules.price_category(self._requester(site), planned.policy)
                return site.id, None, category, self.admins.get(site.id, "admin")
        return None

    def _within_quota(self, planned: Planned, requester: int, start: dt.datetime) -> bool:
        quota = planned.row["quota_count"]
        if quota is None:
            return True
        starts = self.quota.setdefault((planned.row["id"], requester), [])
        period = dt.timedelta(days=planned.row["quota_period_days"])
        # Stricter than the rule (which counts live bookings only), so every booking would pass it.
        if bisect.bisect_left(starts, start + period) - bisect.bisect_right(starts, start - period) >= quota:
            return False
        bisect.insort(starts, start)
        return True

    def _created(self, planned: Planned, start: dt.datetime) -> dt.datetime:
        """When a booking of start was made: after the horizon opened, before the lead time and before now."""
        lead = planned.row["min_lead_minutes"]
        low = max(lead, int((start - self.now).total_seconds() // 60) + 1)
        high = planned.row["max_horizon_days"] * 1440
        minutes = low + int((high - low) * self.rng.random() ** 2)
        return start - dt.timedelta(minutes=minutes)

    def _status(self, planned: Planned, start: dt.datetime, created: dt.datetime) -> str:
        if start < self.now:
            return "no_show" if self.rng.random() < NO_SHOW_SHARE else "completed"
        if planned.row["approval_required"] and created > self.now - dt.timedelta(days=2):
            return "pending"
        if (planned.row["kind"] == "consulting_room" and created > self.now - dt.timedelta(hours=5)
                and self.rng.random() < 0.1):
            return "held"
        return "confirmed"

    def _book(self, planned: Planned, exam: Exam, start: dt.datetime, who: tuple, *, status: str | None = None,
              created: dt.datetime | None = None, series_id: int | None = None) -> dict:
        institution_id, practitioner_id, category, username = who
        end = start + dt.timedelta(minutes=exam.minutes)
        created = created or self._created(planned, start)
        status = status or self._status(planned, start, created)
        hold = created + dt.timedelta(minutes=planned.row["hold_minutes"]) if status == "held" else None
        price = rules.pick_price(planned.prices, exam.code, category)
        booking = {"id": len(self.out.bookings) + 1, "asset_id": planned.row["id"], "exam_code": exam.code,
                   "starts_at": start, "ends_at": end, "status": status, "requester_institution_id": institution_id,
                   "requester_practitioner_id": practitioner_id, "patient_record_id": None,
                   "created_by_username": username, "price_category": category, "price_fen": price,
                   "hold_expires_at": hold, "series_id": series_id, "idempotency_key": None, "note": "",
                   "created_at": created, "updated_at": created}
        self.out.bookings.append(booking)
        if status in CLAIMING:
            for unit in rules.units(start, end, planned.row["grid_minutes"]):
                self.out.slot_claims.append({"asset_id": planned.row["id"], "unit_start": unit,
                                             "booking_id": booking["id"], "hold_expires_at": hold})
                self.taken[planned.row["id"]].add(unit)
        if status in ("completed", "no_show"):
            self._settle(planned, booking, end)
        return booking

    def _account(self, institution_id: int | None = None, practitioner_id: int | None = None) -> int:
        party = f"institution:{institution_id}" if practitioner_id is None else f"practitioner:{practitioner_id}"
        if party not in self.ledger:
            self.ledger[party] = len(self.out.ledger_accounts) + 1
            self.out.ledger_accounts.append({"id": self.ledger[party], "party": party,
                                             "institution_id": institution_id if practitioner_id is None else None,
                                             "practitioner_id": practitioner_id})
        return self.ledger[party]

    def _settle(self, planned: Planned, booking: dict, end: dt.datetime) -> None:
        """What the payer owes the owner for a used slot, or the no-show fee; nothing between one's own."""
        amount = booking["price_fen"]
        reason = booking["status"]
        if reason == "no_show":
            amount = amount * planned.row["no_show_fee_percent"] // 100
        posted = min(end + dt.timedelta(minutes=self.rng.randint(5, 240)), self.now - dt.timedelta(minutes=1))
        booking["updated_at"] = posted
        if booking["requester_institution_id"] == planned.site.id and booking["requester_practitioner_id"] is None:
            return
        payer = self._account(booking["requester_institution_id"], booking["requester_practitioner_id"])
        lines = rules.settlement_lines(amount, payer, self._account(planned.site.id))
        if not lines:
            return
        entry = len(self.out.journal_entries) + 1
        self.out.journal_entries.append({"id": entry, "booking_id": booking["id"], "posted_at": posted,
                                         "reason": reason})
        for account, fen in lines:
            self.out.journal_lines.append({"id": len(self.out.journal_lines) + 1, "entry_id": entry,
                                           "account_id": account, "amount_fen": fen})

    def _free(self, planned: Planned, start: dt.datetime, end: dt.datetime) -> str | None:
        """None when the slot may be booked, else the rule it breaks."""
        if any(c.start < end and start < c.end for c in planned.closures):
            return "not-closed"
        taken = self.taken[planned.row["id"]]
        if any(u in taken for u in rules.units(start, end, planned.row["grid_minutes"])):
            return "slot-free"
        return None

    def _series(self) -> None:
        """Doctors renting a room for the same half day every week, conflicts skipped and reported."""
        rooms = [p for p in self.planned if p.row["kind"] == "consulting_room"]
        if not rooms:
            return
        half_day = EXAMS["room"][0]
        messages = {"slot-free": "the slot was just taken; choose another",
                    "not-closed": "the asset is closed (blackout or maintenance) then",
                    "registered-at-owner": "an individual doctor needs a valid multi-site registration at the owner"}
        for registration in self.mall_doctors:
            for _ in range(1 if self.rng.random() < 0.6 else 2):
                room = self.rng.choice(rooms)
                opens = self.rng.choice((dt.time(8), dt.time(13, 30)))
                first = self.today - dt.timedelta(days=self.rng.randint(14, 28))
                first += dt.timedelta(days=(self.rng.randrange(6) - first.weekday()) % 7)
                created = local(first, opens) - dt.timedelta(days=3)
                series_id = len(self.out.booking_series) + 1
                skipped = []
                for week in range(8):
                    start = local(first + dt.timedelta(weeks=week), opens)
                    end = start + dt.timedelta(minutes=half_day.minutes)
                    rule = None if registration in self._registered(start) else "registered-at-owner"
                    rule = rule or self._free(room, start, end)
                    if rule:
                        skipped.append({"starts_at": start.isoformat(), "rule": rule, "message": messages[rule]})
                        continue
                    status = self._status(room, start, created)
                    self._book(room, half_day, start, self._doctor(registration), created=created,
                               status="confirmed" if status == "held" else status, series_id=series_id)
                self.out.booking_series.append({"id": series_id, "asset_id": room.row["id"], "created_at": created,
                                                "rule": {"weekday": first.weekday(), "time": opens.isoformat(),
                                                         "weeks": 8, "exam_code": half_day.code},
                                                "skipped": skipped})

    def _fill(self, planned: Planned) -> None:
        """Walk each open interval slot by slot, booking each with the day's share."""
        rng = self.rng
        past, future = LOAD[planned.load]
        jitter = rng.uniform(0.96, 1.02)
        by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for weekday, opens, closes in planned.hours:
            by_day.setdefault(weekday, []).append((opens, closes))
        weights = list(itertools.accumulate(e.weight for e in planned.exams))
        shortest = min(planned.exams, key=lambda e: e.minutes)
        step = dt.timedelta(minutes=planned.row["grid_minutes"])
        approval = planned.row["approval_required"]
        for offset in range(-PAST_DAYS, planned.row["max_horizon_days"]):
            share = past if offset < 0 else next((s for upto, s in future if offset < upto), 0.0)
            if not share:
                continue
            share = min(0.99, share * jitter)
            day = self.today + dt.timedelta(days=offset)
            for opens, closes in sorted(by_day.get(day.weekday(), ())):
                start, close = local(day, opens), local(day, closes)
                while True:
                    exam = planned.exams[bisect.bisect_right(weights, rng.random() * weights[-1])]
                    if start + dt.timedelta(minutes=exam.minutes) > close:
                        exam = shortest
                    end = start + dt.timedelta(minutes=exam.minutes)
                    if end > close:
                        break
                    if self._free(planned, start, end):
                        start += step
                        continue
                    roll = rng.random()
                    if roll < share and (who := self._who(planned, start)) is not None:
                        self._book(planned, exam, start, who)
                    elif roll > 1 - (0.1 if offset < 0 else 0.05) and (who := self._who(planned, start)):
                        # A slot freed by a cancellation, or a request the owner declined.
                        status = "declined" if approval and offset < 0 and rng.random() < 0.4 else "cancelled"
                        self._book(planned, exam, start, who, status=status)
                    start = end


def build(rng: random.Random, today: dt.date, sites: list[Site], memberships: list[dict],
          practitioners: list[dict], registrations: list[dict], users: list[dict], mall: Site | None) -> History:
    """Every asset row of a region and its booking history."""
    builder = AssetBuilder(rng, today, sites, memberships, practitioners, registrations, users, mall)
    builder.equipment()
    builder.mall_rooms()
    builder.maintenance()
    return builder.history()
