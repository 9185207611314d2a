"""Language negotiation for visitors who have not chosen one."""

from medshare.i18n import negotiate


def test_simplified_chinese_browsers_get_chinese_pages():
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == "zh_Hans"
    assert negotiate("zh-Hans") == "zh_Hans"


def test_traditional_chinese_and_unknown_languages_fall_back_to_english():
    assert negotiate("zh-TW") == "en"
    assert negotiate("fr-FR,de;q=0.5") == "en"
    assert negotiate("en;q=0.2,zh;q=0.9") == "zh_Hans"
    assert negotiate("garbage;q=x") == "en"
