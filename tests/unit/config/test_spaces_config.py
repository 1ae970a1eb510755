"""Spaces and questions in the configuration: what parses, and a clear error for each mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.calendar import moment
from config.spaces import QuestionConfig, SpaceConfig

UTC = dt.UTC
HEAD = '[site]\nsecret_key = "s3cret"\n'
GOOD = """
[[spaces]]
slug = "unece-review"
title = "Review"
moderators = ["Mia@UN.example", "ivana@un.example"]
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
SECOND = """
[[spaces]]
slug = "second"
moderators = ["mia@un.example"]
"""


def is_open(space, now: dt.datetime) -> bool:
    return moment(space, now).state == "open"


def write(tmp_path: Path, spaces: str, head: str = HEAD) -> Path:
    path = tmp_path / "hubmail.toml"
    path.write_text(head + spaces, "utf-8")
    return path


def load(tmp_path: Path, spaces: str, head: str = HEAD) -> tuple[SpaceConfig, ...]:
    return load_settings(write(tmp_path, spaces, head), env={}).spaces


def mistake(tmp_path: Path, spaces: str) -> ConfigError:
    path = write(tmp_path, spaces)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    error = caught.value
    assert str(error) == f"{path}: {error.key}: {error.problem}"
    return error


# -- what parses ------------------------------------------------------------------------------------


def test_good_space(tmp_path):
    [space] = load(tmp_path, GOOD)
    assert isinstance(space, SpaceConfig)
    assert (space.slug, space.title, space.description, space.code_of_conduct) == (
        "unece-review",
        "Review",
        "",
        "",
    )
    assert space.moderators == ("mia@un.example", "ivana@un.example")  # addresses are lower-cased
    assert space.languages == ("en", "fr")
    assert space.opens == dt.datetime(2024, 1, 18, tzinfo=UTC)
    assert space.closes == dt.datetime(2024, 2, 29, 22, 59, 59, tzinfo=UTC)  # +01:00 turned into UTC
    assert space.opens.utcoffset() == dt.timedelta(0) and space.closes.utcoffset() == dt.timedelta(0)
    assert (space.visibility, space.posting, space.timezone) == ("public", "anyone", "UTC")


def test_question_text_as_a_table_of_languages_and_as_a_plain_string(tmp_path):
    [space] = load(tmp_path, GOOD)
    assert [q.number for q in space.questions] == [1, 2]
    assert all(isinstance(q, QuestionConfig) for q in space.questions)
    assert space.question(1).text == {"en": "Practices?", "fr": "Pratiques ?"}
    assert space.question(2).text == {"en": "Challenges?"}  # a plain string is in the first language


def test_plain_string_question_text_is_in_the_spaces_first_language(tmp_path):
    [space] = load(tmp_path, GOOD.replace('languages = ["en", "fr"]', 'languages = ["fr", "en"]'))
    assert space.question(2).text == {"fr": "Challenges?"}


def test_question_lookup(tmp_path):
    [space] = load(tmp_path, GOOD)
    assert space.question(1) is space.questions[0] and space.question(2) is space.questions[1]
    assert space.question(3) is None and space.question(0) is None
    assert space.question(1).text_in("fr", "en") == "Pratiques ?"
    assert space.question(1).text_in("ru", "fr") == "Pratiques ?"  # falls back to the given language
    assert space.question(2).text_in("fr", "ru") == "Challenges?"  # then to any text it has


def test_defaults_of_a_bare_space(tmp_path):
    [space] = load(tmp_path, SECOND, head=HEAD + 'language = "ru"\n')
    assert space.title == "second" and space.languages == ("ru",)
    assert space.opens is None and space.closes is None and space.questions == ()
    assert is_open(space, dt.datetime(1990, 1, 1, tzinfo=UTC)) and is_open(
        space, dt.datetime(2990, 1, 1, tzinfo=UTC)
    )


def test_every_space_key_can_be_set(tmp_path):
    [space] = load(
        tmp_path,
        GOOD.replace(
            'title = "Review"',
            'title = "  Review  "\ndescription = "About it."\ntimezone = "Europe/Zurich"\n'
            'visibility = "private"\nposting = "allowlist"\ncode_of_conduct = "https://example.org/coc"',
        ),
    )
    assert space.title == "Review" and space.description == "About it."
    assert (space.timezone, space.visibility, space.posting) == ("Europe/Zurich", "private", "allowlist")
    assert space.code_of_conduct == "https://example.org/coc"


def test_several_spaces_keep_their_order(tmp_path):
    spaces = load(tmp_path, GOOD + SECOND)
    assert [s.slug for s in spaces] == ["unece-review", "second"]


def test_no_spaces_at_all(tmp_path):
    assert load(tmp_path, "") == ()


def test_dates_without_time_cover_whole_days_in_utc(tmp_path):
    [space] = load(
        tmp_path,
        GOOD.replace("2024-01-18T00:00:00Z", "2024-01-18").replace("2024-02-29T23:59:59+01:00", "2024-02-29"),
    )
    assert space.opens == dt.datetime(2024, 1, 18, 0, 0, tzinfo=UTC)
    assert space.closes == dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)


def test_one_day_space_given_as_dates(tmp_path):
    [space] = load(tmp_path, SECOND + "opens = 2024-03-01\ncloses = 2024-03-01\n")
    assert space.opens == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert space.closes == dt.datetime(2024, 3, 1, 23, 59, 59, tzinfo=UTC)
    assert is_open(space, dt.datetime(2024, 3, 1, 12, tzinfo=UTC))


def test_only_opens_or_only_closes(tmp_path):
    [space] = load(tmp_path, SECOND + "opens = 2024-03-01T00:00:00Z\n")
    assert space.closes is None and is_open(space, dt.datetime(2999, 1, 1, tzinfo=UTC))
    assert not is_open(space, dt.datetime(2024, 2, 29, tzinfo=UTC))
    [space] = load(tmp_path, SECOND + "closes = 2024-03-01T00:00:00Z\n")
    assert space.opens is None and is_open(space, dt.datetime(1999, 1, 1, tzinfo=UTC))
    assert not is_open(space, dt.datetime(2024, 3, 2, tzinfo=UTC))


# -- open by the calendar ---------------------------------------------------------------------


def test_is_open_at_the_boundaries(tmp_path):
    [space] = load(tmp_path, GOOD)
    tick = dt.timedelta(microseconds=1)
    assert not is_open(space, space.opens - tick)
    assert is_open(space, space.opens)
    assert is_open(space, space.opens + tick)
    assert is_open(space, space.closes - tick)
    assert is_open(space, space.closes)
    assert not is_open(space, space.closes + tick)


def test_is_open_compares_instants_not_wall_clocks(tmp_path):
    [space] = load(tmp_path, GOOD)
    geneva = dt.timezone(dt.timedelta(hours=1))
    assert is_open(space, dt.datetime(2024, 1, 18, 1, 0, tzinfo=geneva))  # 00:00 UTC
    assert not is_open(
        space, dt.datetime(2024, 1, 18, 0, 59, 59, tzinfo=geneva)
    )  # 23:59:59 UTC the day before
    assert is_open(space, dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=geneva))  # closes as written
    assert not is_open(space, dt.datetime(2024, 3, 1, 0, 0, tzinfo=geneva))


# -- mistakes ---------------------------------------------------------------------------------------

SLUG = 'slug = "unece-review"'
TITLE = 'title = "Review"'
OPENS = "opens = 2024-01-18T00:00:00Z"
CLOSES = "closes = 2024-02-29T23:59:59+01:00"
MODERATORS = 'moderators = ["Mia@UN.example", "ivana@un.example"]'
LANGUAGES = 'languages = ["en", "fr"]'
Q2 = 'number = 2\ntext = "Challenges?"'
S = "spaces.unece-review"


@pytest.mark.parametrize(
    "old, new, key, problem",
    [
        # slug: checked before the slug can name the space, so spaces[i]
        (SLUG, 'slug = "UNECE"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "Unece-review"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "moderate"', "spaces[0].slug", "not a reserved name"),
        (SLUG, 'slug = "postmaster"', "spaces[0].slug", "not a reserved name"),
        (SLUG, 'slug = "unece-request"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "unece-owner"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "-unece"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "un ece"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = "unece+q1"', "spaces[0].slug", "is not a usable slug"),
        (SLUG, 'slug = ""', "spaces[0].slug", "must be a non-empty string"),
        (SLUG, "", "spaces[0].slug", "must be a non-empty string"),
        (SLUG, "slug = 7", "spaces[0].slug", "must be a non-empty string"),
        (TITLE, 'title = "Review"\ncolour = "red"', "spaces[0].colour", "unknown key"),
        (TITLE, 'title = ""', f"{S}.title", "must be a non-empty string"),
        # dates
        (OPENS, "opens = 2024-01-18T00:00:00", f"{S}.opens", "needs a time zone"),
        (CLOSES, "closes = 2024-02-29T23:59:59", f"{S}.closes", "needs a time zone"),
        (OPENS, 'opens = "2024-01-18T00:00:00Z"', f"{S}.opens", "is not a date"),
        (OPENS, 'opens = "soon"', f"{S}.opens", "is not a date"),
        (OPENS, "opens = 20240118", f"{S}.opens", "is not a date"),
        (CLOSES, "closes = 23:59:59", f"{S}.closes", "is not a date"),
        (OPENS, "opens = 2024-03-18T00:00:00Z", f"{S}.closes", "is not after opens"),
        (OPENS, "opens = 2024-02-29T22:59:59Z", f"{S}.closes", "is not after opens"),  # same instant
        (CLOSES, "closes = 2024-01-17", f"{S}.closes", "is not after opens"),
        # choices
        (
            TITLE,
            'title = "Review"\nvisibility = "secret"',
            f"{S}.visibility",
            "is not one of public, registered, private",
        ),
        (TITLE, 'title = "Review"\nvisibility = "Public"', f"{S}.visibility", "is not one of"),
        (
            TITLE,
            'title = "Review"\nposting = "nobody"',
            f"{S}.posting",
            "is not one of anyone, members, allowlist",
        ),
        # moderators
        (MODERATORS, "", f"{S}.moderators", "must list at least one moderator address"),
        (MODERATORS, "moderators = []", f"{S}.moderators", "must list at least one moderator address"),
        (MODERATORS, 'moderators = "mia@un.example"', f"{S}.moderators", "must list at least one"),
        (MODERATORS, 'moderators = ["mia"]', f"{S}.moderators", "'mia' is not an email address"),
        (MODERATORS, 'moderators = ["mia@"]', f"{S}.moderators", "is not an email address"),
        (MODERATORS, 'moderators = ["@un.example"]', f"{S}.moderators", "is not an email address"),
        (MODERATORS, 'moderators = ["mia@un example"]', f"{S}.moderators", "is not an email address"),
        (MODERATORS, 'moderators = ["mia..x@un.example"]', f"{S}.moderators", "is not an email address"),
        (MODERATORS, 'moderators = ["mia@un.example", 5]', f"{S}.moderators", "5 is not an email address"),
        # languages
        (LANGUAGES, 'languages = ["english"]', f"{S}.languages", "is not a language code"),
        (LANGUAGES, 'languages = ["EN"]', f"{S}.languages", "is not a language code"),
        (LANGUAGES, 'languages = ["en", 3]', f"{S}.languages", "is not a language code"),
        (LANGUAGES, "languages = []", f"{S}.languages", "must be a non-empty list"),
        (LANGUAGES, 'languages = "en"', f"{S}.languages", "must be a non-empty list"),
        (LANGUAGES, 'languages = ["en", "fr", "en"]', f"{S}.languages", "lists a language twice"),
        # time zone
        (TITLE, 'title = "Review"\ntimezone = "Mars/Olympus"', f"{S}.timezone", "is not a time zone name"),
        (TITLE, 'title = "Review"\ntimezone = "../etc/passwd"', f"{S}.timezone", "is not a time zone name"),
        (TITLE, 'title = "Review"\ntimezone = ""', f"{S}.timezone", "must be a non-empty string"),
        # questions
        ("number = 2", "number = 1", f"{S}.questions[1].number", "question 1 is listed twice"),
        ("number = 2", "number = 0", f"{S}.questions[1].number", "0 is not a number from 1 to 999"),
        ("number = 2", "number = 1000", f"{S}.questions[1].number", "is not a number from 1 to 999"),
        ("number = 2", 'number = "2"', f"{S}.questions[1].number", "is not a number from 1 to 999"),
        ("number = 2", "number = 2.0", f"{S}.questions[1].number", "is not a number from 1 to 999"),
        (Q2, 'text = "Challenges?"', f"{S}.questions[1].number", "None is not a number"),
        (Q2, 'number = 2\ntext = ""', f"{S}.questions[2].text.en", "must be a non-empty string"),
        (Q2, 'number = 2\ntext = "   "', f"{S}.questions[2].text.en", "must be a non-empty string"),
        (
            Q2,
            'number = 2\ntext = { en = "Ok", fr = "" }',
            f"{S}.questions[2].text.fr",
            "must be a non-empty string",
        ),
        (Q2, "number = 2\ntext = {}", f"{S}.questions[2].text", "must be a string or a table"),
        (Q2, "number = 2", f"{S}.questions[2].text", "must be a string or a table"),
        (Q2, "number = 2\ntext = 5", f"{S}.questions[2].text", "must be a string or a table"),
        (
            Q2,
            'number = 2\ntext = { english = "x" }',
            f"{S}.questions[2].text.english",
            "is not a language code",
        ),
        (Q2, 'number = 2\ntext = "x"\nhint = "y"', f"{S}.questions[1].hint", "unknown key"),
    ],
)
def test_space_mistakes(tmp_path, old, new, key, problem):
    assert old in GOOD
    error = mistake(tmp_path, GOOD.replace(old, new, 1))
    assert error.key == key and problem in error.problem, error


def test_duplicate_slug(tmp_path):
    error = mistake(tmp_path, GOOD + SECOND + SECOND.replace("second", "unece-review"))
    assert error.key == "spaces[2].slug" and error.problem == "duplicate slug 'unece-review'"


def test_spaces_must_be_an_array_of_tables(tmp_path):
    path = tmp_path / "hubmail.toml"
    path.write_text('spaces = "x"\n' + HEAD, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert error.value.key == "spaces" and "array of tables" in error.value.problem


def test_questions_must_be_an_array_of_tables(tmp_path):
    error = mistake(tmp_path, SECOND + 'questions = "what?"\n')
    assert error.key == "spaces.second.questions" and "[[spaces.questions]]" in error.problem


def test_a_time_zone_folder_is_not_a_time_zone(tmp_path):
    error = mistake(tmp_path, SECOND + 'timezone = "Europe"\n')
    assert error.key == "spaces.second.timezone" and "is not a time zone name" in error.problem


def test_time_zone_is_stored_as_validated(tmp_path):
    from zoneinfo import ZoneInfo

    [space] = load(tmp_path, SECOND + 'timezone = " Europe/Zurich "\n')
    assert space.timezone == "Europe/Zurich"
    ZoneInfo(space.timezone)


def test_the_time_zone_named_in_the_message_is_valid(tmp_path):
    error = mistake(tmp_path, SECOND + 'timezone = "Mars/Olympus"\n')
    suggested = error.problem.rsplit("such as ", 1)[1]
    [space] = load(tmp_path, SECOND + f'timezone = "{suggested}"\n')
    assert space.timezone == suggested
