"""Synthetic people: names, pinyin, national IDs and phones, and the ways clerks get them wrong."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import re
from functools import cache

from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric

# Surnames with weights (per thousand people) as they are spread in Fujian: 陈 and 林 lead
# there, 赖, 邱 and 曾 are common in the west, the national leaders 王 李 张 刘 follow.
SURNAMES = (
    "陈110 林80 黄60 张45 吴35 李35 王30 刘25 郑25 杨20 许15 蔡14 罗14 谢13 邱13 曾13 周12 江12"
    " 何12 廖12 苏11 赖11 叶11 徐10 游9 詹8 余9 魏9 卢8 洪8 朱8 郭8 胡7 高7 萧4 肖7 钟7 傅6 范5"
    " 邓6 吕5 宋5 姚5 孙5 马5 梁5 沈4 汤4 严4 彭5 唐4 韩4 冯4 涂4 温4 戴4 方4 邹4 熊4 丁4 姜3"
    " 袁3 潘4 董3 阮3 程3 杜3 石3 雷3 龚3 汪3 柯3 翁3 庄4 骆2 上官1 欧阳1 司马1 诸葛1"
)
SURNAME_LIST, SURNAME_WEIGHTS = zip(
    *(re.fullmatch(r"(\D+)(\d+)", entry).groups() for entry in SURNAMES.split()), strict=True
)
SURNAME_WEIGHTS = tuple(int(w) for w in SURNAME_WEIGHTS)
SURNAME_CUMULATIVE = list(itertools.accumulate(SURNAME_WEIGHTS))
# Surnames read differently from the same character in other words.
SURNAME_READINGS = {"曾": "zeng", "单": "shan", "覃": "qin", "解": "xie", "仇": "qiu", "查": "zha"}

# Characters of given names, by the era a person was born in and by sex.
GIVEN = {
    ("old", "male"): "国建华明德福金荣贵生文志清永忠祥春海林水财发成平兴木松茂根",
    ("old", "female"): "秀英兰桂珍凤玉梅美琴花芳淑娟香华金银春月爱云素碧",
    ("mid", "male"): "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁建峰海林俊东亮斌龙晖锋",
    ("mid", "female"): "丽芳娜敏静秀燕玲霞红萍琴云兰洁梅琳婷雪颖莉晶慧艳丹虹妹",
    ("new", "male"): "浩宇轩博晨子泽睿昊毅航豪逸辰铭皓煜嘉俊杰宸瑞鸿哲",
    ("new", "female"): "欣怡涵萱佳诗雨晴琪悦彤妍可馨梓婉语嘉思钰菲雯琳",
}
# Characters a clerk may type for another one that sounds or looks the same.
SIMILAR = {
    "张": "章", "章": "张", "王": "汪", "汪": "王", "黄": "王", "徐": "许", "许": "徐", "肖": "萧", "萧": "肖",
    "吴": "伍", "杨": "阳", "刘": "柳", "李": "黎", "钟": "仲", "曾": "增", "林": "霖", "陈": "程",
    "丽": "莉", "莉": "丽", "玲": "琳", "琳": "玲", "华": "桦", "明": "铭", "伟": "玮", "军": "君", "静": "婧",
    "芳": "方", "红": "虹", "英": "瑛", "辉": "晖", "晖": "辉", "杰": "洁", "涛": "韬", "斌": "彬", "峰": "锋",
    "锋": "峰", "燕": "艳", "艳": "燕", "霞": "侠", "云": "芸", "兰": "岚", "敏": "闽", "萍": "平", "平": "萍",
    "婷": "亭", "雪": "学", "欣": "馨", "宇": "雨", "浩": "皓", "鹏": "朋", "鑫": "新", "波": "博", "磊": "雷",
    "勇": "永", "超": "潮", "刚": "钢", "建": "健", "文": "雯", "志": "智", "秀": "绣", "凤": "风", "珍": "真",
    "梅": "媚", "晶": "静", "颖": "英", "慧": "惠", "惠": "慧", "琴": "勤", "娟": "鹃", "桂": "贵", "金": "今",
    "春": "椿", "俊": "骏", "轩": "萱", "涵": "含", "怡": "宜", "佳": "家", "晨": "辰", "辰": "晨",
}
MOBILE_PREFIXES = tuple(
    str(n) for n in (134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 178, 182, 183, 184,
                     187, 188, 198, 130, 131, 132, 155, 156, 166, 175, 176, 185, 186, 133, 153, 173, 177,
                     180, 181, 189, 191, 199)
)

# Ages by five-year band (0-4 ... 95-99), weights after China's 2020 census.
AGE_BANDS = (5.4, 6.4, 6.3, 5.3, 5.3, 6.4, 8.8, 7.0, 6.6, 8.0, 8.3, 7.1, 5.2, 5.5, 3.7, 2.3, 1.5, 0.8,
             0.3, 0.1)
AGE_CUMULATIVE = list(itertools.accumulate(AGE_BANDS))


def pick(rng: random.Random, items, cumulative: list[float]):
    """One of items, drawn with the given cumulative weights."""
    return items[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def surname(rng: random.Random) -> str:
    """A surname, drawn by its frequency."""
    return pick(rng, SURNAME_LIST, SURNAME_CUMULATIVE)


def era(birth_year: int) -> str:
    """Which fashion of given names a person born in birth_year follows."""
    return "old" if birth_year < 1965 else "mid" if birth_year < 1995 else "new"


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """A given name of one (about a fifth) or two characters."""
    pool = GIVEN[(era(birth_year), sex)]
    if rng.random() < 0.2:
        return rng.choice(pool)
    return rng.choice(pool) + rng.choice(pool)


def birth_date(rng: random.Random, reference: dt.date) -> dt.date:
    """A birth date under the region's age pyramid, on or before reference."""
    band = bisect.bisect_right(AGE_CUMULATIVE, rng.random() * AGE_CUMULATIVE[-1])
    age_days = int((band * 5 + rng.random() * 5) * 365.25)
    return reference - dt.timedelta(days=age_days)


@cache
def _syllables(text: str, tone: bool) -> tuple[str, ...]:
    style = Style.TONE if tone else Style.NORMAL
    return tuple(lazy_pinyin(text, style=style))


def _surname_syllables(family: str, tone: bool) -> tuple[str, ...]:
    if not tone and family in SURNAME_READINGS:
        return (SURNAME_READINGS[family],)
    return _syllables(family, tone)


@cache
def pinyin(family: str, given: str, style: str = "standard") -> str:
    """A name in pinyin as a clerk would write it, in one of several styles.

    standard "Zhang Wei"; upper "ZHANG Wei"; western "Wei Zhang"; joined "zhangwei";
    lower "zhang wei"; caps "ZHANG WEI"; tones "Zhāng Wěi".
    """
    tone = style == "tones"
    fam = "".join(_surname_syllables(family, tone))
    giv = "".join(_syllables(given, tone))
    match style:
        case "upper":
            return f"{fam.upper()} {giv.capitalize()}"
        case "western":
            return f"{giv.capitalize()} {fam.capitalize()}"
        case "joined":
            return f"{fam}{giv}".lower()
        case "lower":
            return f"{fam} {giv}".lower()
        case "caps":
            return f"{fam} {giv}".upper()
        case _:
            return f"{fam.capitalize()} {giv.capitalize()}"


PINYIN_VARIANTS = ("upper", "western", "joined", "lower", "caps", "tones")


def similar_name(rng: random.Random, family: str, given: str) -> tuple[str, str] | None:
    """The name with one character swapped for a homophone or look-alike, or None if none fits."""
    spots = [i for i, ch in enumerate(family + given) if ch in SIMILAR]
    if not spots:
        return None
    i = rng.choice(spots)
    if i < len(family):
        return family[:i] + SIMILAR[family[i]] + family[i + 1:], given
    j = i - len(family)
    return family, given[:j] + SIMILAR[given[j]] + given[j + 1:]


def national_id(division: str, born: dt.date, sequence: int) -> str:
    """A GB 11643 resident ID; the last digit of the three-digit sequence is odd for men."""
    body = f"{division}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def sequence_for(rng: random.Random, sex: str) -> int:
    """A three-digit sequence number whose parity carries sex."""
    return rng.randrange(0, 500) * 2 + (1 if sex == "male" else 0)


def mobile(rng: random.Random) -> str:
    """An eleven-digit mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area_code: str) -> str:
    """A landline number with its area code."""
    return f"{area_code}-{rng.randrange(2, 9)}{rng.randrange(10**6):06d}"


def transposed(born: dt.date) -> dt.date | None:
    """The birth date with day and month swapped, when that is another real date."""
    if born.day > 12 or born.day == born.month:
        return None
    return born.replace(month=born.day, day=born.month)
