"""Dates in calendar replies, notices and digests read as each language writes them."""

import datetime as dt

from templates.dates import date_and_time, long_date, span

CLOSES = dt.datetime(2020, 2, 1, 23, 59, tzinfo=dt.UTC)


def test_each_language_writes_its_own_date():
    assert long_date(CLOSES, "en") == "1 February 2020"
    assert long_date(CLOSES, "fr") == "1 février 2020"
    assert long_date(CLOSES, "es") == "1 de febrero de 2020"
    assert long_date(CLOSES, "ru").startswith("1 февраля 2020")


def test_times_are_said_to_be_utc_and_unknown_languages_fall_back_to_english():
    assert date_and_time(CLOSES, "fr") == "1 février 2020, 23:59 UTC"
    assert date_and_time(CLOSES, "x-klingon") == "1 February 2020, 23:59 UTC"
    assert long_date(CLOSES, "pt-BR") == "1 de fevereiro de 2020"


def test_a_span_within_one_year_says_the_year_once():
    opens = dt.date(2024, 1, 18)
    dash = "\u2009–\u2009"  # CLDR sets the dash between thin spaces
    assert span(opens, dt.date(2024, 2, 16), "es") == f"18 de enero{dash}16 de febrero de 2024"
    assert span(opens, dt.date(2025, 2, 16), "es") == f"18 de enero de 2024{dash}16 de febrero de 2025"
