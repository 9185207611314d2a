"""Every message of the pages has its Simplified Chinese translation, and services' messages are shown translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from medshare import i18n
from medshare.web import labels

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "src" / "medshare" / "locale" / "zh_Hans" / "LC_MESSAGES").glob("*.po"))


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture
def chinese():
    token = i18n.current_locale.set("zh_Hans")
    yield
    i18n.current_locale.reset(token)


def test_every_message_of_the_pages_is_translated_into_chinese():
    translated = set()
    for po in CATALOGUES:
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="zh_Hans")
        translated |= {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog
                       if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])}
        assert not [m.id for m in catalog if m.id and "fuzzy" in m.flags], po.name
        assert not list(catalog.check()), f"{po.name}: placeholders of a translation differ from its message"
    missing = _extracted() - translated
    assert not missing, f"add these to a zh_Hans catalogue (one .po per capability): {sorted(missing)}"


def test_codes_are_shown_in_the_words_of_the_region(chinese):
    assert labels.grade(3, "A") == "三级甲等"
    assert labels.label("township_health_centre", "institution_type") == "乡镇卫生院"
    assert labels.label("county_community", "community_kind").startswith("医共体")
    assert labels.title("nurse", "attending") == "主管护师"
    assert labels.label("expiring", "validity") == "即将到期"


def test_a_services_message_is_translated_with_its_values_kept(chinese):
    assert labels.message("the check digit does not match") == "校验码不符"
    limit = labels.message("this registration would make 4 practice sites at once; the region allows 3"
                           " (the primary site counts as one)")
    assert "4" in limit and "3" in limit and "执业地点" in limit
    assert labels.message("a village_clinic carries no hospital grade") == "村卫生室不评定医院等级"
    assert labels.message("something no catalogue knows") == "something no catalogue knows"


def test_english_pages_show_the_services_messages_as_written():
    assert labels.message("a village_clinic carries no hospital grade") == "a village_clinic carries no hospital grade"
