"""Reading moderation commands from a reply: Subject, then the first lines the moderator typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from babel.support import NullTranslations

from archive.record.commandlines import command_lines, english_words, verb_table
from templates import N_

MAX_COMMANDS = 10
MAX_PROSE_LINES = 5
BEGIN, END = "---begin---", "---end---"


class Verb(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DISCARD = "discard"
    MOVE = "move"
    EDIT = "edit"
    TRANSLATE = "translate"
    HELP = "help"


class Why(StrEnum):
    """Why a line was not read as a command; the value is the msgid said to the moderator."""

    APPROVE_WORDS = N_("approve takes no words other than 'trust'")
    MOVE_FORM = N_("write move qN, e.g. move q2")
    EDIT_BLOCK = N_("edit needs the new text between ---begin--- and ---end---")
    TRANSLATE_FORM = N_(
        "write translate and the language, e.g. translate fr, then the text between ---begin--- and "
        "---end---, or attach it as a .txt or .docx file"
    )
    NOT_A_COMMAND = N_("not a command")


def verb_words(words: NullTranslations) -> dict[str, str]:
    """The commands in a catalog's language; moderators may write these or the English ones."""
    return {
        "approve": words.pgettext("command", "approve"),
        "trust": words.pgettext("command", "trust"),
        "reject": words.pgettext("command", "reject"),
        "discard": words.pgettext("command", "discard"),
        "move": words.pgettext("command", "move"),
        "edit": words.pgettext("command", "edit"),
        "translate": words.pgettext("command", "translate"),
        "help": words.pgettext("command", "help"),
    }


@dataclass(frozen=True)
class Command:
    verb: Verb
    post_id: int | None = None  # given in a summary reply ("approve 12"); None: the notice's hold
    reason: str = ""  # reject
    question: int | None = None  # move
    trust: bool = False  # approve trust
    text: str = ""  # edit, translate (empty: the translation may be attached)
    language: str = ""  # translate


@dataclass(frozen=True)
class Problem:
    line: str
    why: Why

    def __str__(self) -> str:
        return f"{self.line[:80]!r}: {self.why}"


@dataclass
class Reading:
    commands: list[Command] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # lines we could not read, for the reply


def read_commands(subject: str, text: str, html: str = "") -> Reading:
    """Commands in order; unknown lines are reported, never guessed at."""
    table = verb_table(verb_words)
    subject_line, *lines = command_lines(subject, text, html)
    reading = Reading()
    if english_words(subject_line, table)[:1] in ([verb] for verb in Verb):
        _read_line(subject_line, [], reading, table)
    index = 0
    while index < len(lines) and len(reading.commands) < MAX_COMMANDS:
        line = lines[index]
        index += 1
        if not line:
            continue
        index += _read_line(line, lines[index:], reading, table)
        if len(reading.problems) >= MAX_PROSE_LINES:
            break  # a letter, not a list of commands: report what was read and stop
    return reading


def _read_line(line: str, following: list[str], reading: Reading, table: dict[str, str]) -> int:
    """Read one command line; returns how many following lines it consumed (an edit block)."""
    words = english_words(line, table)
    verb, args = words[0].lower().rstrip(".:!,"), words[1:]
    post_id = int(args.pop(0)) if args and args[0].isascii() and args[0].isdigit() else None
    if verb == Verb.APPROVE:
        trust = bool(args) and args[0].lower() == "trust"
        if args and not trust:
            return _problem(reading, line, Why.APPROVE_WORDS)
        reading.commands.append(Command(Verb.APPROVE, post_id, trust=trust))
    elif verb == Verb.REJECT:
        reason = line.split(None, 1 if post_id is None else 2)[-1] if args else ""  # as written
        reading.commands.append(Command(Verb.REJECT, post_id, reason=reason))
    elif verb in (Verb.DISCARD, Verb.HELP):
        reading.commands.append(Command(Verb(verb), post_id if verb == Verb.DISCARD else None))
    elif verb == Verb.MOVE:
        target = args[0].lower() if args else ""
        if not re.fullmatch(r"q?[1-9]\d{0,2}", target):
            return _problem(reading, line, Why.MOVE_FORM)
        reading.commands.append(Command(Verb.MOVE, post_id, question=int(target.lstrip("q"))))
    elif verb == Verb.EDIT:
        return _read_edit(line, post_id, following, reading)
    elif verb == Verb.TRANSLATE:
        return _read_translate(line, post_id, args, following, reading)
    else:
        return _problem(reading, line, Why.NOT_A_COMMAND)
    return 0


def _read_edit(line: str, post_id: int | None, following: list[str], reading: Reading) -> int:
    found = _block(following)
    if found is None:
        return _problem(reading, line, Why.EDIT_BLOCK)
    text, used = found
    reading.commands.append(Command(Verb.EDIT, post_id, text=text))
    return used


def _read_translate(
    line: str, post_id: int | None, args: list[str], following: list[str], reading: Reading
) -> int:
    """translate LANG, then its text as edit's block; without a block the text may be attached
    (moderation.replies reads it), so the following lines are read as commands again."""
    if len(args) != 1 or not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?", args[0]):
        return _problem(reading, line, Why.TRANSLATE_FORM)
    language = args[0].replace("_", "-").lower()
    starts_block = next((f for f in following if f), "").lower() == BEGIN
    found = _block(following) if starts_block else None
    text, used = found if found is not None else ("", 0)
    reading.commands.append(Command(Verb.TRANSLATE, post_id, text=text, language=language))
    return used


def _block(following: list[str]) -> tuple[str, int] | None:
    """The text between ---begin--- and ---end--- and how many lines it took, or None."""
    lowered = [f.lower() for f in following]
    if BEGIN not in lowered or END not in lowered[lowered.index(BEGIN) :]:
        return None
    start = lowered.index(BEGIN)
    end = start + lowered[start:].index(END)
    return "\n".join(following[start + 1 : end]).strip(), end + 1


def _problem(reading: Reading, line: str, why: Why) -> int:
    reading.problems.append(Problem(line, why))
    return 0
