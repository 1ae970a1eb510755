"""The policy chain: one table of (rule, action) and one interpreter (after Mailman 3's chains)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from moderation import rules
from moderation.rules import Check

Rule = Callable[[Check], "str | None"]


class Action(StrEnum):
    """What a matching rule does: decide the message's fate, or only add a note for the moderators."""

    HOLD = "hold"
    ACCEPT = "accept"  # publish at once (a trusted sender)
    REJECT = "reject"
    DISCARD = "discard"
    NOTE = "note"


# First match of a deciding action wins; "note" rules only add a remark for the moderators.
CHAIN: tuple[tuple[Rule, Action], ...] = (
    (rules.loop, Action.DISCARD),
    (rules.bounce, Action.DISCARD),
    (rules.auto_submitted, Action.DISCARD),
    (rules.precedence, Action.DISCARD),
    (rules.auto_reply, Action.DISCARD),
    (rules.space_not_open, Action.REJECT),
    (rules.question_not_open, Action.REJECT),
    (rules.posting_not_allowed, Action.REJECT),
    (rules.late, Action.NOTE),
    (rules.sender_unclear, Action.NOTE),
    (rules.auto_reply_subject, Action.NOTE),
    (rules.trusted_but_unauthenticated, Action.NOTE),
    (rules.trusted_sender, Action.ACCEPT),
)


# The moderators' summary (S+summary@): never automatic mail, only from a moderator, always held.
SUMMARY_CHAIN: tuple[tuple[Rule, Action], ...] = (
    *((rule, action) for rule, action in CHAIN if action == Action.DISCARD),
    (rules.not_a_moderator, Action.REJECT),
    (rules.summary_note, Action.NOTE),
)


@dataclass(frozen=True)
class Verdict:
    action: Action
    rule: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def automatic_reason(check: Check) -> str | None:
    """Why a message is automatic (a loop, bounce or auto-reply), or None for a person's mail."""
    for rule, action in CHAIN:
        if action == Action.DISCARD and (reason := rule(check)):
            return reason
    return None


def evaluate(check: Check, chain: tuple[tuple[Rule, Action], ...] = CHAIN) -> Verdict:
    notes: list[str] = []
    for rule, action in chain:
        reason = rule(check)
        if reason is None:
            continue
        if action == Action.NOTE:
            notes.append(reason)
        else:
            return Verdict(action, rule.__name__, reason, notes)
    return Verdict(Action.HOLD, notes=notes)
