"""Translations of the pages: gettext catalogues (Babel) in English and Simplified Chinese."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = {"en": "English", "zh_Hans": "简体中文"}
DEFAULT_LOCALE = "en"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of locale, compiled in memory from its .po files (English is the source text).

    Each capability keeps its messages in a .po file of its own (messages.po, assets.po, ...);
    they are merged here into one catalogue.
    """
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    files = sorted(folder.glob("*.po")) if locale != DEFAULT_LOCALE else []
    if not files:
        return NullTranslations()
    merged = None
    for po in files:
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale.replace("_Hans", ""))
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if message.id and message.string:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    """message in the current request's language."""
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """singular or plural, by n, in the current request's language."""
    return translations(current_locale.get()).ngettext(singular, plural, n)


def negotiate(accept_language: str) -> str:
    """The supported locale an Accept-Language header prefers most (zh, zh-CN, zh-Hans -> zh_Hans)."""
    weighted = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        weighted.append((weight, tag.strip().lower()))
    for _, tag in sorted(weighted, reverse=True):
        if tag.startswith("zh") and not tag.startswith(("zh-tw", "zh-hk", "zh-hant")):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE
