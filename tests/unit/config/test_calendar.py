"""Phases and the calendar: every transition, and a clear error for each wrong phase."""

from __future__ import annotations

import datetime as dt

import pytest

from config import ConfigError
from config.calendar import moment
from config.spaces import parse_spaces

QUESTIONS = [{"number": n, "text": {"en": f"Question {n}?"}} for n in (1, 2, 3)]
FIRST = {
    "name": {"en": "Before the review", "fr": "Avant l'examen"},
    "opens": dt.datetime(2024, 1, 18, tzinfo=dt.UTC),
    "closes": dt.datetime(2024, 2, 16, 23, 59, 59, tzinfo=dt.UTC),
    "questions": [1, 2],
}
SECOND = {
    "name": "After the review",
    "opens": dt.date(2024, 3, 1),
    "closes": dt.date(2024, 3, 15),
    "questions": [3],
}
PHASES = [FIRST, SECOND]


def space(**changes):
    item = {"slug": "s", "moderators": ["m@un.example"], "questions": QUESTIONS, "phases": PHASES, **changes}
    [parsed] = parse_spaces("hubmail.toml", [item], "hub.example.org", "en")
    return parsed


def at(*when) -> dt.datetime:
    return dt.datetime(*when, tzinfo=dt.UTC)


def test_a_space_with_phases_runs_from_the_first_to_the_last():
    parsed = space()
    assert parsed.opens == at(2024, 1, 18) and parsed.closes == at(2024, 3, 15, 23, 59, 59)
    assert [p.number for p in parsed.phases] == [1, 2]
    assert parsed.phase(2).name == {"en": "After the review"}


@pytest.mark.parametrize(
    ("now", "state", "phase", "questions"),
    [
        (at(2024, 1, 17, 23, 59), "before", 1, ()),
        (at(2024, 1, 18), "open", 1, (1, 2)),
        (at(2024, 2, 16, 23, 59, 59), "open", 1, (1, 2)),
        (at(2024, 2, 20), "between", 2, ()),
        (at(2024, 3, 1), "open", 2, (3,)),
        (at(2024, 3, 16), "grace", None, ()),
        (at(2024, 3, 22, 23, 59, 59), "grace", None, ()),
        (at(2024, 3, 23), "closed", None, ()),
    ],
)
def test_every_transition(now, state, phase, questions):
    here = moment(space(grace_days=7), now)
    assert (here.state, here.phase.number if here.phase else None, here.open_questions) == (
        state,
        phase,
        questions,
    )


def test_without_phases_every_question_is_open_between_the_dates():
    plain = space(phases=[], opens=dt.date(2024, 1, 1), closes=dt.date(2024, 1, 31))
    assert moment(plain, at(2024, 1, 10)).open_questions == (1, 2, 3)
    assert moment(plain, at(2024, 2, 1)).state == "closed"


def phase(**changes):
    return [{**PHASES[0], **changes}]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"phases": phase(closes=dt.date(2024, 1, 1))}, "is not after opens"),
        ({"phases": phase(questions=[1, 9])}, "names question 9, which the space does not have"),
        ({"phases": phase(questions="1")}, "must be a list of question numbers"),
        ({"phases": phase(opens=None)}, "needs both opens and closes"),
        ({"phases": phase(colour="red")}, "unknown key"),
        ({"phases": [PHASES[0], {**PHASES[1], "opens": dt.date(2024, 2, 10)}]}, "phases 1 and 2 overlap"),
        ({"closes": dt.date(2024, 3, 1)}, "phase 2 lies outside the space's dates"),
        ({"grace_days": -1}, "not a number of days"),
        ({"phases": phase(name={"xx": "Nonsense"})}, "is not a language code"),
        ({"languages": ["en", "zz"]}, "'zz' is not a language code"),
    ],
)
def test_a_wrong_phase_is_named(changes, problem):
    with pytest.raises(ConfigError) as error:
        space(**changes)
    assert problem in str(error.value)


def test_titles_and_descriptions_in_several_languages():
    titled = space(
        languages=["en", "fr"],
        title={"en": "Regional review", "fr": "Examen régional"},
        description={"en": "Tell us.", "fr": "Dites-nous."},
    )
    assert titled.title == "Regional review" and titled.title_in("fr") == "Examen régional"
    assert titled.description_in("fr") == "Dites-nous." and titled.title_in("ru") == "Regional review"
    with pytest.raises(ConfigError, match="needs a text in the space's first language, en"):
        space(languages=["en", "fr"], title={"fr": "Examen régional"})
