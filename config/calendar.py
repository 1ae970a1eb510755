"""The consultation calendar: phases with their own questions, and where a space stands at a moment."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from config.errors import ConfigError
from config.tables import array_of_tables

PHASE_KEYS = {"name", "opens", "closes", "questions"}
STATES = ("before", "open", "between", "grace", "closed")


@dataclass(frozen=True)
class PhaseConfig:
    number: int  # 1, 2, ... in calendar order
    name: dict[str, str]
    opens: dt.datetime
    closes: dt.datetime
    questions: tuple[int, ...]

    def name_in(self, language: str, fallback: str) -> str:
        return self.name.get(language) or self.name.get(fallback) or next(iter(self.name.values()))


@dataclass(frozen=True)
class Moment:
    """Where a space stands: before it opens, open (in a phase), between phases, in grace, closed."""

    state: str
    phase: PhaseConfig | None  # the open phase; before and between: the next one
    open_questions: tuple[int, ...]  # questions taking new top-level posts now


def moment(space: Any, now: dt.datetime) -> Moment:
    """space: a SpaceConfig, or anything with opens and closes (a stored space: no phases)."""
    phases = getattr(space, "phases", ())
    if space.opens and now < space.opens:
        return Moment("before", phases[0] if phases else None, ())
    if space.closes and now > space.closes:
        late = now <= space.closes + dt.timedelta(days=getattr(space, "grace_days", 0))
        return Moment("grace" if late else "closed", None, ())
    if not phases:
        return Moment("open", None, tuple(q.number for q in getattr(space, "questions", ())))
    current = next((p for p in space.phases if p.opens <= now <= p.closes), None)
    if current is not None:
        return Moment("open", current, current.questions)
    upcoming = next((p for p in space.phases if p.opens > now), None)
    return Moment("between", upcoming, ())


@dataclass(frozen=True)
class Countdown:
    """The next change a reader waits for: what (opens, phase_opens, phase_closes, closes) and when."""

    change: str
    at: dt.datetime


def countdown(space: Any, now: dt.datetime) -> Countdown | None:
    """Before: the opening; between phases: the next phase; in a phase that ends before the space
    does: that phase's end; otherwise open: the space's end. Nothing in grace or once closed."""
    here = moment(space, now)
    if here.state == "before" and space.opens:
        return Countdown("opens", space.opens)
    if here.state == "between" and here.phase is not None:
        return Countdown("phase_opens", here.phase.opens)
    if here.state != "open":
        return None
    if here.phase is not None and (not space.closes or here.phase.closes < space.closes):
        return Countdown("phase_closes", here.phase.closes)
    return Countdown("closes", space.closes) if space.closes else None


def parse_phases(
    file: str, key: str, value: Any, questions: set[int], languages: tuple[str, ...], when, text_map
) -> tuple[PhaseConfig, ...]:
    """when(file, key, value, end_of_day) and text_map(file, key, value, languages) are spaces.py's
    own readers, so a phase's dates and names follow exactly the rules of a space's."""
    phases = []
    hint = "name, opens, closes, questions"
    tables = array_of_tables(file, key, value, "spaces.phases", PHASE_KEYS, hint)
    for number, (where, item) in enumerate(tables, 1):
        opens = when(file, f"{where}.opens", item.get("opens"), end_of_day=False)
        closes = when(file, f"{where}.closes", item.get("closes"), end_of_day=True)
        if opens is None or closes is None:
            raise ConfigError(file, where, "a phase needs both opens and closes")
        if closes <= opens:
            raise ConfigError(file, f"{where}.closes", f"{closes.isoformat()} is not after opens")
        numbers = _question_numbers(file, f"{where}.questions", item.get("questions", []), questions)
        name = text_map(file, f"{where}.name", item.get("name", f"Phase {number}"), languages)
        phases.append(PhaseConfig(number, name, opens, closes, numbers))
    phases.sort(key=lambda phase: phase.opens)
    for earlier, later in itertools.pairwise(phases):
        if later.opens <= earlier.closes:
            raise ConfigError(
                file, key, f"phases {earlier.number} and {later.number} overlap ({later.opens.isoformat()})"
            )
    return tuple(PhaseConfig(i + 1, p.name, p.opens, p.closes, p.questions) for i, p in enumerate(phases))


def _question_numbers(file: str, key: str, value: Any, questions: set[int]) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        raise ConfigError(file, key, "must be a list of question numbers, e.g. [1, 2, 3]")
    for number in value:
        if number not in questions:
            raise ConfigError(file, key, f"names question {number}, which the space does not have")
    return tuple(value)


def check_within(file: str, key: str, phases: tuple[PhaseConfig, ...], opens, closes) -> None:
    """A phase outside the space's own dates would take mail the space refuses."""
    for phase in phases:
        if (opens and phase.opens < opens) or (closes and phase.closes > closes):
            raise ConfigError(file, f"{key}.phases", f"phase {phase.number} lies outside the space's dates")
