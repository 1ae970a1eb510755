"""Dates, numbers, sizes and language names as each language writes them (Babel, CLDR); times are UTC."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel.dates import format_date, format_interval, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal
from babel.units import format_unit

from templates import locale


def long_date(value: dt.date, language: str) -> str:
    """1 February 2020, 1 février 2020, 1 de febrero de 2020, 1 февраля 2020 г., 2020年2月1日."""
    return _day(_as_date(value), "long", language)


def short_date(value: dt.date, language: str) -> str:
    """1 Feb 2020, 1 févr. 2020, 2020年2月1日: for lists and page headings."""
    return _day(_as_date(value), "medium", language)


def day_month(value: dt.date, language: str) -> str:
    """30 Nov, 30 nov., 11月30日: a week's Monday on a chart's axis and in its table."""
    return format_skeleton("MMMd", _as_date(value), locale=locale(language))


def short_datetime(value: dt.datetime, language: str) -> str:
    """1 Feb 2020, 14:05 UTC."""
    return f"{short_date(value, language)}, {_clock(value.hour, value.minute, language)} UTC"


# A page of a hundred posts writes a hundred dates, most of them the same few days: CLDR's
# formatting is done once per day and language, and once per minute of the day.
@lru_cache(maxsize=8192)
def _day(value: dt.date, width: str, language: str) -> str:
    return format_date(value, width, locale=locale(language))


@lru_cache(maxsize=8192)
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(dt.time(hour, minute), "HH:mm", locale=locale(language))


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def span(first: dt.date, last: dt.date, language: str) -> str:
    """From one date to another as CLDR shortens it: 18 de enero – 16 de febrero de 2024."""
    return format_interval(first, last, "yMMMMd", locale=locale(language))


def date_and_time(value: dt.datetime, language: str) -> str:
    """1 February 2020, 00:00 UTC."""
    return f"{long_date(value, language)}, {_clock(value.hour, value.minute, language)} UTC"


def number(value: int | float, language: str) -> str:
    """1,234 / 1 234 / 1.234, as the language groups digits."""
    return format_decimal(value, locale=locale(language))


def size(count: int, language: str) -> str:
    """A file's size in the language's units: 980 B, 2.9 kB, 10 MB, 2,9 ko, 10 Мбайт."""
    for unit, scale in (("digital-megabyte", 1_000_000), ("digital-kilobyte", 1_000)):
        if count >= scale:
            return format_unit(round(count / scale, 1), unit, "short", locale=locale(language))
    return format_unit(count, "digital-byte", "short", locale=locale(language))


def language_name(code: str, language: str) -> str:
    """A language's name as the reader's language writes it (fr: English -> anglais), else the code."""
    return locale(language).languages.get(code.replace("-", "_").split("_")[0]) or code


def until(when: dt.datetime, now: dt.datetime, language: str) -> str:
    """How long until a moment, as the language says it: in 3 days, dans 3 jours, через 3 дня,
    3天后; hours on the last day, never a negative span (a moment just past is "in 0 minutes")."""
    left = max(when - now, dt.timedelta(0))
    return format_timedelta(
        left, granularity="minute", threshold=1, add_direction=True, format="long", locale=locale(language)
    )
