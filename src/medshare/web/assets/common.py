"""What the shared-asset pages share: local times, money in yuan, and the few filters templates need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from fastapi import Request

from medshare import i18n
from medshare.assets import service as assets
from medshare.errors import InvalidInput
from medshare.web import labels
from medshare.web.core import templates

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def in_viewers_language(request: Request) -> None:
    """Translate what the route itself words (chart titles, row names) into the page's language.

    render() sets the language in the thread that renders; text made before it would be English.
    """
    i18n.current_locale.set(getattr(request.state, "locale", None) or i18n.DEFAULT_LOCALE)


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """An instant in the region's local time (opening hours and slots are read in it)."""
    return moment.astimezone(assets.region_tz()) if moment is not None else None


def when(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant written in local time."""
    return local(moment).strftime(fmt) if moment is not None else ""


def weekday_of(moment: dt.datetime) -> str:
    """The translated weekday of an instant, in local time."""
    return labels.label(local(moment).weekday(), "weekday")


def parse_local(value: str, field: str) -> dt.datetime:
    """A datetime-local field (region's wall clock) as an aware instant; refused naming the field."""
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.on(field, "datetime", "must be a date and time") from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=assets.region_tz())


def parse_instant(value: str, field: str) -> dt.datetime:
    """An ISO instant carried by a hidden field (a slot's start), aware; refused naming the field."""
    moment = parse_local(value, field)
    return moment.astimezone(dt.UTC)


def yuan(fen: int | None) -> str:
    """An amount in fen written in yuan, as the region's price lists are (¥1,234.50)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def yuan_plain(fen: int | None) -> str:
    """An amount in fen as the yuan a form field shows (300, 299.5): no symbol, no separators."""
    if fen is None:
        return ""
    return f"{Decimal(fen) / 100:f}".rstrip("0").rstrip(".") if fen % 100 else str(fen // 100)


def fen_of(text: str, field: str) -> int | None:
    """Yuan typed into a form as whole fen; blank is no price, anything else not money is refused."""
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        raise InvalidInput.on(field, "yuan", "must be an amount in yuan, e.g. 300 or 299.50") from None
    fen = amount * 100
    if amount < 0 or fen != fen.to_integral_value():
        raise InvalidInput.on(field, "yuan", "must be an amount in yuan, e.g. 300 or 299.50")
    return int(fen)


def percent(ratio: float) -> str:
    """A ratio as a whole percentage."""
    return f"{ratio * 100:.0f}%"


templates.env.filters["yuan"] = yuan
templates.env.filters["when"] = when
templates.env.filters["percent"] = percent
templates.env.globals["weekday_of"] = weekday_of
