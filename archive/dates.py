"""Dates as readers of each language write them (Babel's CLDR data); hubmail's times are UTC."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval, format_time


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    # International organisations write "1 February 2020", not "February 1, 2020".
    tag = "en_GB" if language in ("en", "") else language.replace("-", "_")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def long_date(value: dt.date, language: str) -> str:
    """1 February 2020, 1 février 2020, 1 de febrero de 2020, 1 февраля 2020 г."""
    return format_date(value, "long", locale=_locale(language))


def span(first: dt.date, last: dt.date, language: str) -> str:
    """From one date to another as CLDR shortens it: 18 de enero – 16 de febrero de 2024."""
    return format_interval(first, last, "yMMMMd", locale=_locale(language))


def date_and_time(value: dt.datetime, language: str) -> str:
    """1 February 2020, 00:00 UTC."""
    return f"{long_date(value, language)}, {format_time(value, 'HH:mm', locale=_locale(language))} UTC"
