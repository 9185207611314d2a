"""The demo region's institutions, their licences and their medical communities."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from medshare.demo import people
from medshare.demo.places import PROVINCE, Division, Prefecture, Town, Village, offset, place_pinyin
from medshare.registry.models import InstitutionType as T

CLINICAL_TYPES = (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL, T.PRIMARY_HOSPITAL, T.COMMUNITY_HEALTH_CENTRE,
                  T.TOWNSHIP_HEALTH_CENTRE, T.VILLAGE_CLINIC, T.INDIVIDUAL_CLINIC, T.THIRD_PARTY_LAB,
                  T.IMAGING_CENTRE)
HOSPITAL_TYPES = (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL, T.PRIMARY_HOSPITAL)

ROADS = ["人民路", "解放路", "中山路", "建设路", "和平路", "滨江路", "环城路", "新华路", "东新路", "崇宁路",
         "府前路", "工业路", "学府路", "沿江路", "胜利路"]
TERTIARY_NAMES = [("第一医院", "First Hospital"), ("第二医院", "Second Hospital"),
                  ("中西医结合医院", "Integrated Medicine Hospital"), ("中医院", "TCM Hospital"),
                  ("第三医院", "Third Hospital"), ("妇幼保健院", "Maternal and Child Health Hospital")]
SECONDARY_NAMES = [("医院", "Hospital"), ("中医院", "TCM Hospital"),
                   ("妇幼保健院", "Maternal and Child Health Hospital")]
PRIVATE_HOSPITAL_BRANDS = ["仁爱", "博爱", "安康", "惠民", "济民", "同仁", "康宁", "协和", "慈济", "华侨", "明珠",
                           "康复"]
CLINIC_KINDS = [("口腔", "Dental"), ("中医", "TCM"), ("内科", "Internal Medicine"), ("眼科", "Eye"),
                ("皮肤科", "Dermatology"), ("儿科", "Paediatric")]
LAB_BRANDS = ["明康", "和信", "华检", "康正", "安诺", "博源", "睿检", "金检", "正源", "科信"]
IMAGING_BRANDS = ["瑞影", "康影", "明影", "华影", "光华", "精影", "远景", "合影", "清影", "新影"]
COMPANY_BRANDS = ["闽康", "华福", "明翠", "瑞泽", "恒安", "宏济", "鼎和", "益源", "康达", "百顺", "信宁", "泰和",
                  "安泽", "永升", "瑞丰", "万康", "嘉禾", "同德", "福瑞", "德信"]
SUPPLIER_KINDS = [("医疗器械有限公司", "Medical Devices Co., Ltd."), ("医药有限公司", "Pharmaceutical Co., Ltd."),
                  ("医用耗材有限公司", "Medical Consumables Co., Ltd."),
                  ("医用防护用品有限公司", "Protective Equipment Co., Ltd.")]
LOGISTICS_KINDS = [("医药物流有限公司", "Pharmaceutical Logistics Co., Ltd."),
                   ("冷链物流有限公司", "Cold Chain Logistics Co., Ltd.")]
LOGISTICS_BRANDS = ["通达", "顺程", "畅捷", "安运", "速维", "远航", "捷运", "联畅"]
INSURER_BRANDS = [("闽安", "Min'an"), ("海峡", "Haixia"), ("鹭安", "Lu'an")]
REGULATORS = [("卫生健康委员会", "Municipal Health Commission"), ("医疗保障局", "Healthcare Security Administration"),
              ("市场监督管理局", "Administration for Market Regulation")]

SCOPES = {
    T.TERTIARY_HOSPITAL: "预防保健科；内科；外科；妇产科；儿科；眼科；耳鼻咽喉科；口腔科；皮肤科；精神科；"
                         "感染科；急诊医学科；康复医学科；麻醉科；重症医学科；医学检验科；病理科；医学影像科；中医科",
    T.SECONDARY_HOSPITAL: "预防保健科；内科；外科；妇产科；儿科；眼科；耳鼻咽喉科；口腔科；急诊医学科；麻醉科；"
                          "医学检验科；医学影像科；中医科",
    T.PRIMARY_HOSPITAL: "内科；外科；康复医学科；医学检验科；医学影像科",
    T.COMMUNITY_HEALTH_CENTRE: "预防保健科；全科医疗科；中医科；康复医学科；医学检验科；医学影像科",
    T.TOWNSHIP_HEALTH_CENTRE: "预防保健科；全科医疗科；内科；外科；妇产科；儿科；中医科；医学检验科；医学影像科",
    T.VILLAGE_CLINIC: "全科医疗科；中医科",
    T.THIRD_PARTY_LAB: "医学检验科（临床体液、血液专业；临床化学检验专业；临床免疫、血清学专业；临床微生物学专业；"
                       "临床细胞分子遗传学专业）；病理科",
    T.IMAGING_CENTRE: "医学影像科（X线诊断专业；CT诊断专业；磁共振成像诊断专业；超声诊断专业；核医学专业）",
}
# Category digits of practice licence numbers (医疗机构类别).
LICENCE_CATEGORY = {T.TERTIARY_HOSPITAL: "11", T.SECONDARY_HOSPITAL: "11", T.PRIMARY_HOSPITAL: "11",
                    T.COMMUNITY_HEALTH_CENTRE: "31", T.TOWNSHIP_HEALTH_CENTRE: "41", T.VILLAGE_CLINIC: "52",
                    T.INDIVIDUAL_CLINIC: "62", T.THIRD_PARTY_LAB: "71", T.IMAGING_CENTRE: "72"}
# GB 11714 organisation codes: digits and capitals; the USCC alphabet leaves out I, O, S, V, Z.
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_PREFIX = {
    T.TERTIARY_HOSPITAL: "12", T.SECONDARY_HOSPITAL: "12", T.COMMUNITY_HEALTH_CENTRE: "12",
    T.TOWNSHIP_HEALTH_CENTRE: "12", T.PRIMARY_HOSPITAL: "52", T.VILLAGE_CLINIC: "52",
    T.INDIVIDUAL_CLINIC: "92", T.REGULATOR: "11",
}


@dataclass
class Site:
    """An institution while the region is built: its row and where it stands."""

    row: dict
    type: T
    prefecture: Prefecture
    division: Division
    town: Town | None = None
    village: Village | None = None

    @property
    def id(self) -> int:
        """The institution's id."""
        return self.row["id"]

    @property
    def latitude(self) -> float:
        """Where it stands, north."""
        return self.row["latitude"]

    @property
    def longitude(self) -> float:
        """Where it stands, east."""
        return self.row["longitude"]


def allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """total split in proportion to weights (largest remainder), each share at least minimum.

    A share that the proportion puts below minimum is raised to it, and the others give way.
    """
    if not weights:
        return []
    if total < minimum * len(weights):
        minimum = 0
    whole = sum(weights)
    excess = [max(total * w / whole - minimum, 0.0) for w in weights]
    rest = total - minimum * len(weights)
    spread = sum(excess) or 1.0
    exact = [rest * e / spread for e in excess]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + s for s in shares]


def slug(text: str) -> str:
    """A lower-case, hyphenated ASCII slug of an English name (up to its first comma)."""
    head = text.split(",")[0].replace("'", "").lower()
    return re.sub(r"[^a-z0-9]+", "-", head).strip("-")


def _org_code(rng: random.Random, public: bool) -> str:
    body = ("4" + "".join(rng.choice("0123456789") for _ in range(7)) if public
            else "MA" + "".join(rng.choice(ORG_ALPHABET) for _ in range(6)))
    total = sum(ORG_ALPHABET.index(ch) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _uscc_check(body17: str) -> str:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(ORG_ALPHABET.index(ch) * w for ch, w in zip(body17, weights, strict=True))
    return ORG_ALPHABET[(31 - total) % 31]


class InstitutionBuilder:
    """Places the institutions of a scale on the map and names them."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.sites: list[Site] = []
        self.codes: set[str] = set()

    # -- rows ---------------------------------------------------------------------------

    def _code(self, type_: T, division: str) -> str:
        prefix = USCC_PREFIX.get(type_, "91")
        while True:
            body = prefix + division + _org_code(self.rng, public=prefix in ("11", "12"))
            code = body + _uscc_check(body)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _address(self, prefecture: Prefecture, division: Division, town: Town | None,
                 village: Village | None = None) -> str:
        place = f"{PROVINCE}{prefecture.full_name}{division.name}{town.name if town else ''}"
        if village is not None:
            return f"{place}{village.name}"
        return f"{place}{self.rng.choice(ROADS)}{self.rng.randint(1, 300)}号"

    def add(self, type_: T, prefecture: Prefecture, division: Division, name: str, name_en: str, *,
            latitude: float, longitude: float, town: Town | None = None, village: Village | None = None,
            grade: tuple[int | None, str | None] = (None, None)) -> Site:
        """Append one institution."""
        # Many village doctors give their own mobile as the clinic's number.
        mobile = type_ is T.VILLAGE_CLINIC and self.rng.random() < 0.5
        row = {
            "id": len(self.sites) + 1,
            "code": self._code(type_, division.code),
            "name": name,
            "name_en": name_en,
            "type": type_.value,
            "grade_level": grade[0],
            "grade_class": grade[1],
            "division_code": division.code,
            "address": self._address(prefecture, division, town, village),
            "latitude": latitude,
            "longitude": longitude,
            "phone": people.mobile(self.rng) if mobile else people.landline(self.rng, prefecture.area_code),
            "status": "active",
        }
        site = Site(row, type_, prefecture, division, town, village)
        self.sites.append(site)
        return site

    def near(self, latitude: float, longitude: float, spread_km: float) -> tuple[float, float]:
        """A point scattered around another one."""
        return offset(latitude, longitude, self.rng.gauss(0, spread_km), self.rng.gauss(0, spread_km))

    # -- each type ----------------------------------------------------------------------

    def tertiary(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """The city's big general and specialist hospitals, in the urban centres."""
        allowed = {d.code for d in divisions}
        sites = [c for c in prefecture.tertiary_sites if c in allowed] or [divisions[0].code]
        for i in range(count):
            division = prefecture.division(sites[i % len(sites)])
            suffix, suffix_en = TERTIARY_NAMES[i % len(TERTIARY_NAMES)]
            grade_class = "A" if i < 3 or self.rng.random() < 0.7 else "B"
            lat, lon = self.near(division.latitude, division.longitude, 1.5)
            self.add(T.TERTIARY_HOSPITAL, prefecture, division, f"{prefecture.full_name}{suffix}",
                     f"{prefecture.name_en} {suffix_en}", latitude=lat, longitude=lon,
                     town=division.towns[0], grade=(3, grade_class))

    def secondary(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """County hospitals, one to each county first, then TCM and maternal hospitals."""
        counties = [d for d in divisions if d is not prefecture.divisions[0]] or divisions
        with_tertiary = {s.division.code for s in self.sites if s.type is T.TERTIARY_HOSPITAL}
        for i in range(count):
            division = counties[i % len(counties)]
            # A county's first hospital is its general one, unless a tertiary hospital is already there.
            first = 1 if division.code in with_tertiary else 0
            kind = (i // len(counties) + first) % len(SECONDARY_NAMES)
            suffix, suffix_en = SECONDARY_NAMES[kind]
            lat, lon = self.near(division.latitude, division.longitude, 1.0)
            en = f"{division.name_en} {suffix_en}" if kind == 0 else f"{division.short_en} {suffix_en}"
            self.add(T.SECONDARY_HOSPITAL, prefecture, division, f"{division.name}{suffix}", en,
                     latitude=lat, longitude=lon, town=division.towns[0],
                     grade=(2, "A" if self.rng.random() < 0.6 else "B"))

    def primary_hospitals(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Small private hospitals of grade 1."""
        for i in range(count):
            division = divisions[i % len(divisions)]
            brand = PRIVATE_HOSPITAL_BRANDS[(i // len(divisions)) % len(PRIVATE_HOSPITAL_BRANDS)]
            short = division.name[:-1] if len(division.name) > 2 else division.name
            lat, lon = self.near(division.latitude, division.longitude, 3.0)
            grade_class = self.rng.choice(("A", "B", None, None))
            self.add(T.PRIMARY_HOSPITAL, prefecture, division, f"{short}{brand}医院",
                     f"{division.short_en} {place_pinyin(brand)} Hospital", latitude=lat, longitude=lon,
                     town=division.towns[0], grade=(1, grade_class))

    def community_centres(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Community health centres in urban streets, then in county seats."""
        streets = _round_robin([[t for t in d.towns if t.kind == "street"] for d in divisions])
        seats = [d.towns[0] for d in divisions if d.towns[0].kind != "street"]
        towns = _round_robin([[t for t in d.towns[1:] if t.kind != "street"] for d in divisions])
        places = streets + seats + towns
        for i in range(count):
            town = places[i % len(places)]
            division = next(d for d in divisions if town in d.towns)
            lat, lon = self.near(town.latitude, town.longitude, 0.8)
            self.add(T.COMMUNITY_HEALTH_CENTRE, prefecture, division,
                     f"{division.name}{town.name}社区卫生服务中心",
                     f"{town.name_en} Community Health Centre, {division.name_en}",
                     latitude=lat, longitude=lon, town=town)

    def township_centres(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Township health centres, spread over the counties' towns."""
        towns = _round_robin([[t for t in d.towns[1:] if t.kind != "street"] for d in divisions])
        for i in range(min(count, len(towns))):
            town = towns[i]
            division = next(d for d in divisions if town in d.towns)
            central = self.rng.random() < 0.25
            lat, lon = self.near(town.latitude, town.longitude, 0.3)
            self.add(T.TOWNSHIP_HEALTH_CENTRE, prefecture, division,
                     f"{division.name}{town.name}{'中心' if central else ''}卫生院",
                     f"{town.name_en} {'Central ' if central else ''}Township Health Centre, {division.name_en}",
                     latitude=lat, longitude=lon, town=town, grade=(1, "A") if central else (None, None))

    def village_clinics(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Village clinics, in villages of the towns that have a health centre first."""
        served = [s.town for s in self.sites
                  if s.type is T.TOWNSHIP_HEALTH_CENTRE and s.prefecture is prefecture]
        others = [t for d in divisions for t in d.towns if t.villages and t not in served]
        villages = (_round_robin([[(t, v) for v in t.villages] for t in served])
                    + _round_robin([[(t, v) for v in t.villages] for t in others]))
        for town, village in villages[:count]:
            division = next(d for d in divisions if town in d.towns)
            lat, lon = self.near(village.latitude, village.longitude, 0.2)
            self.add(T.VILLAGE_CLINIC, prefecture, division, f"{division.name}{town.name}{village.name}卫生室",
                     f"{village.name_en} Village Clinic, {town.name_en}, {division.name_en}",
                     latitude=lat, longitude=lon, town=town, village=village)

    def individual_clinics(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Doctors' own clinics, mostly in the urban centre."""
        for i in range(count):
            division = divisions[0] if i % 3 != 2 else divisions[i % len(divisions)]
            family = people.surname(self.rng)
            kind, kind_en = CLINIC_KINDS[i % len(CLINIC_KINDS)]
            lat, lon = self.near(division.latitude, division.longitude, 2.5)
            self.add(T.INDIVIDUAL_CLINIC, prefecture, division, f"{division.name}{family}氏{kind}诊所",
                     f"{people.pinyin(family, '').strip()}'s {kind_en} Clinic, {division.name_en}",
                     latitude=lat, longitude=lon, town=division.towns[0])

    def centres(self, type_: T, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Third-party laboratories or imaging centres."""
        lab = type_ is T.THIRD_PARTY_LAB
        brands = LAB_BRANDS if lab else IMAGING_BRANDS
        for i in range(count):
            brand = brands[i % len(brands)]
            division = divisions[i % len(divisions)] if i else divisions[0]
            lat, lon = self.near(division.latitude, division.longitude, 2.0)
            kind, kind_en = (("医学检验实验室", "Medical Laboratory") if lab
                             else ("医学影像诊断中心", "Medical Imaging Centre"))
            name = f"{prefecture.name}{brand}{kind}"
            name_en = f"{prefecture.name_en} {place_pinyin(brand)} {kind_en}"
            self.add(type_, prefecture, division, name, name_en, latitude=lat, longitude=lon,
                     town=division.towns[0])

    def companies(self, type_: T, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """Suppliers of medical goods or logistics firms."""
        supplier = type_ is T.SUPPLIER
        kinds = SUPPLIER_KINDS if supplier else LOGISTICS_KINDS
        brands = COMPANY_BRANDS if supplier else LOGISTICS_BRANDS
        for i in range(count):
            kind, kind_en = kinds[(i + i // len(brands)) % len(kinds)]
            brand = brands[i % len(brands)]
            division = divisions[i % len(divisions)]
            lat, lon = self.near(division.latitude, division.longitude, 4.0)
            self.add(type_, prefecture, division, f"{prefecture.name}{brand}{kind}",
                     f"{prefecture.name_en} {place_pinyin(brand)} {kind_en}", latitude=lat, longitude=lon,
                     town=division.towns[0])

    def insurers(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """The city's medical insurance fund, then commercial health insurers' branches."""
        centre = divisions[0]
        for i in range(count):
            lat, lon = self.near(centre.latitude, centre.longitude, 1.0)
            if i == 0:
                name, name_en = (f"{prefecture.full_name}医疗保障基金中心",
                                 f"{prefecture.name_en} Medical Insurance Fund Centre")
            else:
                brand, brand_en = INSURER_BRANDS[(i - 1) % len(INSURER_BRANDS)]
                name = f"{brand}健康保险股份有限公司{prefecture.name}中心支公司"
                name_en = f"{brand_en} Health Insurance Co., Ltd., {prefecture.name_en} Branch"
            self.add(T.INSURER, prefecture, centre, name, name_en, latitude=lat, longitude=lon,
                     town=centre.towns[0])

    def regulators(self, prefecture: Prefecture, divisions: list[Division], count: int) -> None:
        """The health commission, the healthcare security administration, market regulation."""
        centre = divisions[0]
        for i in range(count):
            suffix, suffix_en = REGULATORS[i % len(REGULATORS)]
            lat, lon = self.near(centre.latitude, centre.longitude, 1.0)
            self.add(T.REGULATOR, prefecture, centre, f"{prefecture.full_name}{suffix}",
                     f"{prefecture.name_en} {suffix_en}", latitude=lat, longitude=lon, town=centre.towns[0])

    # -- licences and communities --------------------------------------------------------

    def licences(self) -> list[dict]:
        """One or two licences per institution; a few expired or expiring for the directory to show."""
        rows: list[dict] = []
        for site in self.sites:
            for number, scope, valid_from, valid_to in self._licences_of(site):
                rows.append({"id": len(rows) + 1, "institution_id": site.id, "number": number, "scope": scope,
                             "valid_from": valid_from, "valid_to": valid_to})
        return rows

    def _window(self, years: int) -> tuple[dt.date, dt.date]:
        # Most licences are mid-term; about 4% lapsed and 5% due for renewal within 90 days.
        roll = self.rng.random()
        if roll < 0.04:
            end = self.today - dt.timedelta(days=self.rng.randint(1, 240))
        elif roll < 0.09:
            end = self.today + dt.timedelta(days=self.rng.randint(0, 89))
        else:
            end = self.today + dt.timedelta(days=self.rng.randint(90, years * 365))
        return _years_before(end, years) + dt.timedelta(days=1), end

    def _licences_of(self, site: Site) -> list[tuple[str, str, dt.date, dt.date]]:
        if site.type is T.REGULATOR:
            return []  # a government office holds no licence to practise or trade
        if site.type in LICENCE_CATEGORY:
            return self._practice_licences(site)
        return self._business_licences(site)

    def _practice_licences(self, site: Site) -> list[tuple[str, str, dt.date, dt.date]]:
        # 医疗机构执业许可证, numbered organisation code + division + category + A (public) or B.
        code = site.row["code"]
        if site.type is T.INDIVIDUAL_CLINIC:
            kind = next(k for k, _ in CLINIC_KINDS if k in site.row["name"])
            scope = kind if kind.endswith("科") else f"{kind}科"
        else:
            scope = SCOPES[site.type]
        ownership = "A" if code[:2] == "12" else "B"
        number = f"{code[8:17]}{site.division.code}{LICENCE_CATEGORY[site.type]}{ownership}{1001 + site.id % 9000}"
        result = [(number, f"医疗机构执业许可证：{scope}", *self._window(5))]
        if site.type in (T.TERTIARY_HOSPITAL, T.SECONDARY_HOSPITAL, T.IMAGING_CENTRE):
            start, end = self._window(4)
            result.append((f"闽卫放证字（{start.year}）第{site.id:05d}号",
                           "放射诊疗许可证：X射线影像诊断；介入放射学；CT；磁共振成像", start, end))
        return result

    def _business_licences(self, site: Site) -> list[tuple[str, str, dt.date, dt.date]]:
        # A business licence numbered by the credit code, and the trade's own permit.
        code, initial = site.row["code"], site.prefecture.name[0]
        if "基金" in site.row["name"]:
            return [(f"事证第{site.division.code}{site.id:05d}号", "事业单位法人证书：医疗保障基金经办",
                     *self._window(5))]
        business = (code, f"营业执照：{site.row['name']}", *self._long_term())
        if site.type is T.SUPPLIER:
            start, end = self._window(5)
            return [business, (f"闽{initial}药监械经营许{start.year}{site.id:04d}号",
                               "医疗器械经营许可证：第二类、第三类医疗器械经营", start, end)]
        if site.type is T.LOGISTICS_FIRM:
            start, end = self._window(4)
            return [business, (f"闽交运管许可{initial}字{350000 + site.id}号",
                               "道路运输经营许可证：道路普通货物运输；冷藏保鲜设备运输", start, end)]
        start, end = self._window(3)
        return [business, (f"{site.id:08d}{site.division.code}", "经营保险业务许可证：健康保险；意外伤害保险",
                           start, end)]

    def _long_term(self) -> tuple[dt.date, dt.date]:
        # Business licences are issued without end (长期); thirty years stands in for that.
        start = self.today - dt.timedelta(days=self.rng.randint(200, 6000))
        return start, _years_before(start, -30)

    def communities(self, prefectures: list[tuple[Prefecture, list[Division]]],
                    county_communities: int) -> tuple[list[dict], list[dict]]:
        """Per prefecture, a city group led by its first tertiary hospital and county communities."""
        communities: list[dict] = []
        members: list[dict] = []

        def join(community_id: int, site: Site) -> None:
            joined = self.today - dt.timedelta(days=self.rng.randint(365, 7 * 365))
            members.append({"id": len(members) + 1, "community_id": community_id, "institution_id": site.id,
                            "joined_on": joined})

        for prefecture, divisions in prefectures:
            own = [s for s in self.sites if s.prefecture is prefecture]
            tertiary = [s for s in own if s.type is T.TERTIARY_HOSPITAL]
            if not tertiary:
                continue
            # County communities form round the hospitals of the most populous counties.
            secondary = [s for s in own if s.type is T.SECONDARY_HOSPITAL]
            leads: list[Site] = []
            for site in sorted(secondary, key=lambda s: (-s.division.weight, s.id)):
                if len(leads) < county_communities and all(site.division is not s.division for s in leads):
                    leads.append(site)
            community_id = len(communities) + 1
            communities.append({"id": community_id, "name": f"{tertiary[0].row['name']}医联体",
                                "kind": "city_group", "lead_institution_id": tertiary[0].id})
            urban = {divisions[0].code}
            for site in own:
                if site.type is T.TERTIARY_HOSPITAL or (
                        site.type in (T.COMMUNITY_HEALTH_CENTRE, T.PRIMARY_HOSPITAL, T.IMAGING_CENTRE,
                                      T.THIRD_PARTY_LAB)
                        and site.division.code in urban):
                    join(community_id, site)
            for lead in leads:
                community_id = len(communities) + 1
                communities.append({"id": community_id, "name": f"{lead.division.name}医共体",
                                    "kind": "county_community", "lead_institution_id": lead.id})
                join(community_id, lead)
                for site in own:
                    if (site.division is lead.division and site is not lead
                            and site.type in (T.TOWNSHIP_HEALTH_CENTRE, T.COMMUNITY_HEALTH_CENTRE,
                                              T.PRIMARY_HOSPITAL, T.VILLAGE_CLINIC)):
                        join(community_id, site)
        return communities, members


def _round_robin(groups: list[list]) -> list:
    """Items taken one from each group in turn."""
    result = []
    for i in range(max((len(g) for g in groups), default=0)):
        result.extend(g[i] for g in groups if i < len(g))
    return result


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
