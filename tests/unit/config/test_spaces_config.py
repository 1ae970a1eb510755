"""Spaces and questions in the configuration: what parses, and a clear error for each mistake."""

from __future__ import annotations

import datetime as dt

import pytest

from config import ConfigError, load_settings

UTC = dt.UTC
HEAD = '[site]\nsecret_key = "s3cret"\n'
GOOD = """
[[spaces]]
slug = "unece-review"
title = "Review"
moderators = ["Mia@UN.example"]
languages = ["en", "fr"]
opens = 2024-01-18T00:00:00Z
closes = 2024-02-29T23:59:59+01:00

[[spaces.questions]]
number = 1
text = { en = "Practices?", fr = "Pratiques ?" }

[[spaces.questions]]
number = 2
text = "Challenges?"
"""


def load(tmp_path, spaces: str):
    path = tmp_path / "hubmail.toml"
    path.write_text(HEAD + spaces, "utf-8")
    return load_settings(path, env={})


def mistake(tmp_path, spaces: str) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, spaces)
    assert str(tmp_path / "hubmail.toml") in str(error.value)
    return error.value


def test_good_space(tmp_path):
    [space] = load(tmp_path, GOOD).spaces
    assert space.moderators == ("mia@un.example",) and space.languages == ("en", "fr")
    assert space.opens == dt.datetime(2024, 1, 18, tzinfo=UTC)
    assert space.closes == dt.datetime(2024, 2, 29, 22, 59, 59, tzinfo=UTC)
    assert space.question(1).text == {"en": "Practices?", "fr": "Pratiques ?"}
    assert space.question(2).text == {"en": "Challenges?"}  # a plain string is the first language
    assert space.question(3) is None
    assert space.question(1).text_in("ru", "fr") == "Pratiques ?"
    assert (space.visibility, space.posting, space.timezone) == ("public", "anyone", "UTC")


def test_is_open_at_the_boundaries(tmp_path):
    [space] = load(tmp_path, GOOD).spaces
    assert not space.is_open(space.opens - dt.timedelta(seconds=1))
    assert space.is_open(space.opens) and space.is_open(space.closes)
    assert not space.is_open(space.closes + dt.timedelta(seconds=1))


def test_dates_without_time_cover_whole_days(tmp_path):
    [space] = load(
        tmp_path,
        GOOD.replace("2024-01-18T00:00:00Z", "2024-01-18").replace("2024-02-29T23:59:59+01:00", "2024-02-29"),
    ).spaces
    assert space.opens == dt.datetime(2024, 1, 18, tzinfo=UTC)
    assert space.closes == dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "old, new, key, problem",
    [
        ('slug = "unece-review"', 'slug = "UNECE"', "spaces[0].slug", "is not a usable slug"),
        ('slug = "unece-review"', 'slug = "moderate"', "spaces[0].slug", "is not a usable slug"),
        ('slug = "unece-review"', 'slug = "x-request"', "spaces[0].slug", "is not a usable slug"),
        ('title = "Review"', 'title = "Review"\ncolour = "red"', "spaces[0].colour", "unknown key"),
        (
            "opens = 2024-01-18T00:00:00Z",
            "opens = 2024-01-18T00:00:00",
            "spaces.unece-review.opens",
            "needs a time zone",
        ),
        ("opens = 2024-01-18T00:00:00Z", 'opens = "soon"', "spaces.unece-review.opens", "is not a date"),
        (
            "opens = 2024-01-18T00:00:00Z",
            "opens = 2024-03-18T00:00:00Z",
            "spaces.unece-review.closes",
            "is not after opens",
        ),
        (
            'title = "Review"',
            'title = "Review"\nvisibility = "secret"',
            "spaces.unece-review.visibility",
            "is not one of public, registered, private",
        ),
        (
            'title = "Review"',
            'title = "Review"\nposting = "nobody"',
            "spaces.unece-review.posting",
            "is not one of anyone, members, allowlist",
        ),
        (
            'moderators = ["Mia@UN.example"]',
            "moderators = []",
            "spaces.unece-review.moderators",
            "at least one moderator",
        ),
        (
            'moderators = ["Mia@UN.example"]',
            'moderators = ["mia"]',
            "spaces.unece-review.moderators",
            "is not an email address",
        ),
        (
            'languages = ["en", "fr"]',
            'languages = ["english"]',
            "spaces.unece-review.languages",
            "is not a language code",
        ),
        (
            'languages = ["en", "fr"]',
            'languages = ["en", "en"]',
            "spaces.unece-review.languages",
            "lists a language twice",
        ),
        (
            'title = "Review"',
            'title = "Review"\ntimezone = "Mars/Olympus"',
            "spaces.unece-review.timezone",
            "is not a time zone name",
        ),
        ("number = 2", "number = 1", "spaces.unece-review.questions[1].number", "is listed twice"),
        ("number = 2", "number = 0", "spaces.unece-review.questions[1].number", "is not a number from 1"),
        (
            'text = "Challenges?"',
            'text = ""',
            "spaces.unece-review.questions[2].text.en",
            "must be a non-empty string",
        ),
        (
            'text = "Challenges?"',
            'text = { english = "x" }',
            "spaces.unece-review.questions[2].text.english",
            "is not a language code",
        ),
        (
            'text = "Challenges?"',
            'text = "x"\nhint = "y"',
            "spaces.unece-review.questions[1].hint",
            "unknown key",
        ),
    ],
)
def test_space_mistakes(tmp_path, old, new, key, problem):
    error = mistake(tmp_path, GOOD.replace(old, new, 1))
    assert (error.key, problem in error.problem) == (key, True), error


def test_duplicate_slug(tmp_path):
    second = GOOD.split("[[spaces.questions]]")[0]
    error = mistake(tmp_path, GOOD + second)
    assert error.key == "spaces[1].slug" and "duplicate slug 'unece-review'" in error.problem


def test_spaces_must_be_an_array_of_tables(tmp_path):
    path = tmp_path / "hubmail.toml"
    path.write_text('spaces = "x"\n' + HEAD, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert error.value.key == "spaces" and "array of tables" in error.value.problem
