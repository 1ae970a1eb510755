"""Reading moderation commands from a reply: Subject, then the first lines the moderator typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.replytext import html_to_text, typed_lines

MAX_COMMANDS = 10
MAX_PROSE_LINES = 5
PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|fwd?|tr|rv|wg|réf|отв|ответ)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
VERBS = ("approve", "reject", "discard", "move", "edit", "help")
BEGIN, END = "---begin---", "---end---"


@dataclass(frozen=True)
class Command:
    verb: str
    post_id: int | None = None  # given in a summary reply ("approve 12"); None: the notice's hold
    reason: str = ""  # reject
    question: int | None = None  # move
    trust: bool = False  # approve trust
    text: str = ""  # edit


@dataclass
class Reading:
    commands: list[Command] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines we could not read, for the reply


def read_commands(subject: str, text: str, html: str = "") -> Reading:
    """Commands in order; unknown lines are reported, never guessed at."""
    body = text if text.strip() else html_to_text(html)
    reading = Reading()
    subject_line = PREFIX.sub("", subject or "").strip()
    if subject_line.split(" ", 1)[0].lower() in VERBS:
        _read_line(subject_line, [], reading)
    lines = typed_lines(body)
    index = 0
    while index < len(lines) and len(reading.commands) < MAX_COMMANDS:
        line = lines[index]
        index += 1
        if not line:
            continue
        index += _read_line(line, lines[index:], reading)
        if len(reading.problems) >= MAX_PROSE_LINES:
            break  # a letter, not a list of commands: report what was read and stop
    return reading


def _read_line(line: str, following: list[str], reading: Reading) -> int:
    """Read one command line; returns how many following lines it consumed (an edit block)."""
    words = line.split()
    verb, args = words[0].lower().rstrip(".:!,"), words[1:]
    post_id = int(args.pop(0)) if args and args[0].isascii() and args[0].isdigit() else None
    if verb == "approve":
        trust = bool(args) and args[0].lower() == "trust"
        if args and not trust:
            return _problem(reading, line, "approve takes no words other than 'trust'")
        reading.commands.append(Command("approve", post_id, trust=trust))
    elif verb == "reject":
        reading.commands.append(Command("reject", post_id, reason=" ".join(args)))
    elif verb == "discard":
        reading.commands.append(Command("discard", post_id))
    elif verb == "move":
        target = args[0].lower() if args else ""
        if not re.fullmatch(r"q?[1-9]\d{0,2}", target):
            return _problem(reading, line, "write move qN, e.g. move q2")
        reading.commands.append(Command("move", post_id, question=int(target.lstrip("q"))))
    elif verb == "edit":
        return _read_edit(line, post_id, following, reading)
    elif verb == "help":
        reading.commands.append(Command("help"))
    else:
        return _problem(reading, line, "not a command")
    return 0


def _read_edit(line: str, post_id: int | None, following: list[str], reading: Reading) -> int:
    lowered = [f.lower() for f in following]
    if BEGIN not in lowered or END not in lowered[lowered.index(BEGIN) :]:
        return _problem(reading, line, f"edit needs the new text between {BEGIN} and {END}")
    start = lowered.index(BEGIN)
    end = start + lowered[start:].index(END)
    reading.commands.append(Command("edit", post_id, text="\n".join(following[start + 1 : end]).strip()))
    return end + 1


def _problem(reading: Reading, line: str, why: str) -> int:
    reading.problems.append(f"{line[:80]!r}: {why}")
    return 0
