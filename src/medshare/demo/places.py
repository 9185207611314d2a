"""The demo region's geography: Fujian prefectures, their GB/T 2260 divisions, towns and villages.

Sanming's divisions, towns and streets are real, drawn at CITY_SPREAD of their real distances;
the other prefectures' divisions are real codes and names placed on a ring around the
prefecture's centre, with made-up towns.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cache, lru_cache

from pypinyin import lazy_pinyin

PROVINCE = "福建省"
KM_PER_DEGREE_LAT = 111.2
# The real Sanming spreads over ~180 km; the demo city is drawn at this fraction of the real
# distances (seats keep their bearings from the centre) so it is ~50 km across, the size of
# region whose patients can reasonably travel to any of its hospitals.
CITY_SPREAD = 0.28


@dataclass
class Village:
    """A village (行政村) of a town, where people live and a village clinic may stand."""

    name: str
    name_en: str
    latitude: float
    longitude: float


@dataclass
class Town:
    """A town (镇), township (乡) or urban street (街道) of a division."""

    name: str
    name_en: str
    kind: str  # "street", "town" or "township"
    latitude: float
    longitude: float
    villages: list[Village] = field(default_factory=list)


@dataclass
class Division:
    """A county-level division: district (区), county (县) or county-level city (市)."""

    code: str
    name: str
    name_en: str
    latitude: float
    longitude: float
    weight: float  # population, in ten thousands
    urban: bool
    old_codes: tuple[str, ...] = ()  # codes of divisions since merged into this one, still in IDs
    towns: list[Town] = field(default_factory=list)

    @property
    def short_en(self) -> str:
        """The English name without "District", "County" or "City"."""
        return self.name_en.rsplit(" ", 1)[0]


@dataclass
class Prefecture:
    """A prefecture-level city (地级市) and its divisions; the first division is its centre."""

    code: str
    name: str  # without 市
    name_en: str
    area_code: str  # telephone
    latitude: float
    longitude: float
    divisions: list[Division]
    tertiary_sites: list[str]  # division codes where its tertiary hospitals stand, in order

    @property
    def full_name(self) -> str:
        """The name with its 市."""
        return f"{self.name}市"

    def division(self, code: str) -> Division:
        """The division with this code."""
        return next(d for d in self.divisions if d.code == code)


# Sanming: code, name, English, seat latitude, longitude, population (10k), urban, towns.
# In the town lists a trailing * marks the county seat, streets end in 街道.
SANMING = [
    ("350403", "三元区", "Sanyuan District", 26.234, 117.608, 37, True,
     "城关街道* 白沙街道 富兴堡街道 荆西街道 列东街道 列西街道 徐碧街道 莘口镇 岩前镇 洋溪镇 陈大镇 中村乡"),
    ("350404", "沙县区", "Shaxian District", 26.397, 117.792, 23, False,
     "凤岗街道* 虬江街道 夏茂镇 高砂镇 青州镇 高桥镇 富口镇 大洛镇 南霞乡 郑湖乡 湖源乡"),
    ("350421", "明溪县", "Mingxi County", 26.356, 117.202, 10, False,
     "雪峰镇* 城关乡 瀚仙镇 盖洋镇 胡坊镇 夏阳乡 沙溪乡 枫溪乡 夏坊乡"),
    ("350423", "清流县", "Qingliu County", 26.177, 116.816, 12, False,
     "龙津镇* 嵩溪镇 嵩口镇 灵地镇 长校镇 林畲镇 赖坊镇 温郊乡 田源乡 沙芜乡 余朋乡 李家乡 里田乡"),
    ("350424", "宁化县", "Ninghua County", 26.262, 116.654, 28, False,
     "翠江镇* 泉上镇 湖村镇 石壁镇 曹坊镇 安远镇 淮土镇 安乐镇 水茜镇 城郊镇 城南镇 济村乡 方田乡 中沙乡"
     " 河龙乡"),
    ("350425", "大田县", "Datian County", 25.693, 117.847, 31, False,
     "均溪镇* 石牌镇 上京镇 广平镇 桃源镇 太华镇 建设镇 奇韬镇 华兴镇 吴山镇 文江镇 梅山镇 济阳乡 武陵乡"
     " 谢洋乡 湖美乡 前坪乡 屏山乡"),
    ("350426", "尤溪县", "Youxi County", 26.170, 118.190, 36, False,
     "城关镇* 梅仙镇 西滨镇 洋中镇 新阳镇 管前镇 西城镇 尤溪口镇 坂面镇 联合镇 中仙镇 汤川乡 溪尾乡 台溪乡"
     " 八字桥乡"),
    ("350428", "将乐县", "Jiangle County", 26.728, 117.471, 15, False,
     "古镛镇* 万安镇 高唐镇 白莲镇 黄潭镇 水南镇 光明镇 漠源乡 南口乡 万全乡 安仁乡 大源乡 余坊乡"),
    ("350429", "泰宁县", "Taining County", 26.900, 117.176, 11, False,
     "杉城镇* 朱口镇 下渠镇 开善乡 上青乡 大田乡 梅口乡 新桥乡 大龙乡"),
    ("350430", "建宁县", "Jianning County", 26.831, 116.846, 12, False,
     "濉溪镇* 里心镇 溪口镇 均口镇 伊家乡 黄坊乡 溪源乡 客坊乡 黄埠乡"),
    ("350481", "永安市", "Yong'an City", 25.942, 117.365, 35, False,
     "燕东街道* 燕西街道 燕南街道 燕北街道 西洋镇 贡川镇 安砂镇 小陶镇 大湖镇 曹远镇 洪田镇 槐南镇 上坪乡"
     " 罗坊乡"),
]
# 沙县 became 沙县区 (350427 -> 350404) and 梅列区 merged into 三元区 (350402 -> 350403) in 2021.
SANMING_OLD_CODES = {"350404": ("350427",), "350403": ("350402",)}

# The other prefectures: code, name, English, area code, centre, "code name English ..." divisions.
OTHER_PREFECTURES = [
    ("3501", "福州", "Fuzhou", "0591", 26.074, 119.296,
     "350102 鼓楼区 Gulou|350103 台江区 Taijiang|350104 仓山区 Cangshan|350111 晋安区 Jin'an|350105 马尾区 Mawei"
     "|350112 长乐区 Changle|350121 闽侯县 Minhou|350122 连江县 Lianjiang|350123 罗源县 Luoyuan"
     "|350124 闽清县 Minqing|350125 永泰县 Yongtai|350128 平潭县 Pingtan|350181 福清市 Fuqing"),
    ("3502", "厦门", "Xiamen", "0592", 24.480, 118.089,
     "350203 思明区 Siming|350206 湖里区 Huli|350205 海沧区 Haicang|350211 集美区 Jimei|350212 同安区 Tong'an"
     "|350213 翔安区 Xiang'an"),
    ("3503", "莆田", "Putian", "0594", 25.454, 119.008,
     "350302 城厢区 Chengxiang|350304 荔城区 Licheng|350303 涵江区 Hanjiang|350305 秀屿区 Xiuyu"
     "|350322 仙游县 Xianyou"),
    ("3505", "泉州", "Quanzhou", "0595", 24.874, 118.676,
     "350503 丰泽区 Fengze|350502 鲤城区 Licheng|350504 洛江区 Luojiang|350505 泉港区 Quangang"
     "|350521 惠安县 Hui'an|350524 安溪县 Anxi|350525 永春县 Yongchun|350526 德化县 Dehua|350581 石狮市 Shishi"
     "|350582 晋江市 Jinjiang|350583 南安市 Nan'an"),
    ("3506", "漳州", "Zhangzhou", "0596", 24.513, 117.647,
     "350602 芗城区 Xiangcheng|350603 龙文区 Longwen|350604 龙海区 Longhai|350605 长泰区 Changtai"
     "|350622 云霄县 Yunxiao|350623 漳浦县 Zhangpu|350624 诏安县 Zhao'an|350626 东山县 Dongshan"
     "|350627 南靖县 Nanjing|350628 平和县 Pinghe|350629 华安县 Hua'an"),
    ("3507", "南平", "Nanping", "0599", 26.642, 118.178,
     "350702 延平区 Yanping|350703 建阳区 Jianyang|350721 顺昌县 Shunchang|350722 浦城县 Pucheng"
     "|350723 光泽县 Guangze|350724 松溪县 Songxi|350725 政和县 Zhenghe|350781 邵武市 Shaowu"
     "|350782 武夷山市 Wuyishan|350783 建瓯市 Jian'ou"),
    ("3508", "龙岩", "Longyan", "0597", 25.075, 117.017,
     "350802 新罗区 Xinluo|350803 永定区 Yongding|350821 长汀县 Changting|350823 上杭县 Shanghang"
     "|350824 武平县 Wuping|350825 连城县 Liancheng|350881 漳平市 Zhangping"),
    ("3509", "宁德", "Ningde", "0593", 26.666, 119.548,
     "350902 蕉城区 Jiaocheng|350921 霞浦县 Xiapu|350922 古田县 Gutian|350923 屏南县 Pingnan"
     "|350924 寿宁县 Shouning|350925 周宁县 Zhouning|350926 柘荣县 Zherong|350981 福安市 Fu'an"
     "|350982 福鼎市 Fuding"),
]

# Syllables of made-up place names, in the style of Fujian's hill country.
PLACE_FIRST = "上下东西南北大小新高龙石桂黄吉洋溪竹梅桃林后前中双三五长白青金凤云"
PLACE_SECOND = "坪洋溪坑口头岭山湖田坊源地厝垄墩坂洲峰村阳塘埔尾垅畲"
SUFFIX_EN = {"区": "District", "县": "County", "市": "City"}
# Place-name readings that differ from the common reading pypinyin gives.
PLACE_READINGS = {"莘": "xin", "长": "chang", "厦": "xia", "单": "shan"}


@cache
def place_pinyin(name: str) -> str:
    """A place name in pinyin, one capitalised word: 夏茂 -> "Xiamao"."""
    syllables = [PLACE_READINGS.get(ch) or lazy_pinyin(ch)[0] for ch in name]
    return "".join(syllables).capitalize()


def strip_suffix(name: str) -> str:
    """A place name without its administrative suffix: 夏茂镇 -> 夏茂."""
    for suffix in ("街道", "镇", "乡", "区", "县", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def offset(latitude: float, longitude: float, north_km: float, east_km: float) -> tuple[float, float]:
    """The point north_km and east_km away from a point."""
    lat = latitude + north_km / KM_PER_DEGREE_LAT
    lon = longitude + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(latitude)))
    return round(lat, 6), round(lon, 6)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance between two nearby points, on an equirectangular projection."""
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return KM_PER_DEGREE_LAT * math.hypot(lat2 - lat1, x)


def _made_up_names(rng: random.Random, count: int, suffix: str, taken: set[str]) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            names.append(name + suffix)
    return names


def _add_towns(rng: random.Random, division: Division, names: list[str]) -> None:
    # The seat town sits at the seat; the others on a loose ring, urban streets close by.
    radius = (1.0, 3.0) if division.urban else (2.0, 7.0)
    for i, raw in enumerate(names):
        seat = raw.endswith("*") or i == 0
        name = raw.rstrip("*")
        kind = "street" if name.endswith("街道") else "township" if name.endswith("乡") else "town"
        if seat:
            lat, lon = offset(division.latitude, division.longitude, rng.gauss(0, 0.5), rng.gauss(0, 0.5))
        else:
            r = rng.uniform(1.0, 2.5) if kind == "street" else rng.uniform(*radius)
            angle = rng.uniform(0, 2 * math.pi)
            lat, lon = offset(division.latitude, division.longitude, r * math.sin(angle), r * math.cos(angle))
        division.towns.append(Town(name, place_pinyin(strip_suffix(name)), kind, lat, lon))


def _add_villages(rng: random.Random, town: Town) -> None:
    if town.kind == "street":
        return  # urban streets have residents' committees, not villages
    taken: set[str] = set()
    for name in _made_up_names(rng, rng.randint(8, 14), "村", taken):
        r, angle = rng.uniform(0.5, 2.5), rng.uniform(0, 2 * math.pi)
        lat, lon = offset(town.latitude, town.longitude, r * math.sin(angle), r * math.cos(angle))
        town.villages.append(Village(name, place_pinyin(name[:-1]), lat, lon))


def _sanming(rng: random.Random) -> Prefecture:
    divisions = []
    centre_lat, centre_lon = 26.263, 117.639
    for code, name, name_en, real_lat, real_lon, weight, urban, towns in SANMING:
        lat = centre_lat + (real_lat - centre_lat) * CITY_SPREAD
        lon = centre_lon + (real_lon - centre_lon) * CITY_SPREAD
        division = Division(code, name, name_en, lat, lon, weight, urban, SANMING_OLD_CODES.get(code, ()))
        _add_towns(rng, division, towns.split())
        divisions.append(division)
    return Prefecture("3504", "三明", "Sanming", "0598", centre_lat, centre_lon, divisions,
                      tertiary_sites=["350403", "350481", "350403", "350404"])


def _other(rng: random.Random, row: tuple) -> Prefecture:
    code, name, name_en, area_code, lat, lon, spec = row
    divisions = []
    districts = [entry.split(" ", 2) for entry in spec.split("|")]
    for i, (div_code, div_name, div_en) in enumerate(districts):
        urban = div_name.endswith("区")
        # Districts crowd round the centre, counties and county-level cities spread out.
        r = 0.0 if i == 0 else rng.uniform(2, 5) if urban else rng.uniform(10, 22)
        angle = i * 2.39996  # the golden angle spreads them evenly
        d_lat, d_lon = offset(lat, lon, r * math.sin(angle), r * math.cos(angle))
        division = Division(div_code, div_name, f"{div_en} {SUFFIX_EN[div_name[-1]]}", d_lat, d_lon,
                            45.0 if urban else 30.0, urban)
        taken: set[str] = set()
        streets = _made_up_names(rng, 5, "街道", taken) if urban else []
        towns = _made_up_names(rng, 5 if urban else 10, "镇", taken)
        for j in range(0, len(towns), 3):
            towns[j] = towns[j][:-1] + "乡"
        _add_towns(rng, division, streets + towns)
        divisions.append(division)
    sites = [divisions[0].code, divisions[0].code, divisions[1].code, divisions[0].code, divisions[2].code]
    return Prefecture(code, name, name_en, area_code, lat, lon, divisions, tertiary_sites=sites)


@lru_cache(maxsize=4)
def fujian(prefectures: int) -> tuple[Prefecture, ...]:
    """Sanming and, after it, up to eight more Fujian prefectures, with towns and villages.

    The geography does not depend on the seed: every seed's region lies in the same places,
    and Sanming is the same whether or not other prefectures come with it. Callers must not
    change what they get back (it is cached).
    """
    result = []
    for i in range(prefectures):
        code = "3504" if i == 0 else OTHER_PREFECTURES[i - 1][0]
        rng = random.Random(f"medshare-demo-geography-{code}")
        prefecture = _sanming(rng) if i == 0 else _other(rng, OTHER_PREFECTURES[i - 1])
        for division in prefecture.divisions:
            for town in division.towns:
                _add_villages(rng, town)
        result.append(prefecture)
    return tuple(result)
