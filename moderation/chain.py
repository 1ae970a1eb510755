"""The policy chain: one table of (rule, action) and one interpreter (after Mailman 3's chains)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from moderation import rules
from moderation.rules import Check

Rule = Callable[[Check], "str | None"]

# First match of a deciding action wins; "note" rules only add a remark for the moderators.
CHAIN: tuple[tuple[Rule, str], ...] = (
    (rules.loop, "discard"),
    (rules.bounce, "discard"),
    (rules.auto_submitted, "discard"),
    (rules.precedence, "discard"),
    (rules.auto_reply, "discard"),
    (rules.space_not_open, "reject"),
    (rules.question_not_open, "reject"),
    (rules.posting_not_allowed, "reject"),
    (rules.late, "note"),
    (rules.sender_unclear, "note"),
    (rules.auto_reply_subject, "note"),
    (rules.trusted_sender, "accept"),
)


# The moderators' summary (S+summary@): never automatic mail, only from a moderator, always held.
SUMMARY_CHAIN: tuple[tuple[Rule, str], ...] = (
    *((rule, action) for rule, action in CHAIN if action == "discard"),
    (rules.not_a_moderator, "reject"),
    (rules.summary_note, "note"),
)


@dataclass(frozen=True)
class Verdict:
    action: str  # hold, accept (publish at once), reject, discard
    rule: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def automatic_reason(check: Check) -> str | None:
    """Why a message is automatic (a loop, bounce or auto-reply), or None for a person's mail."""
    for rule, action in CHAIN:
        if action == "discard" and (reason := rule(check)):
            return reason
    return None


def evaluate(check: Check, chain: tuple[tuple[Rule, str], ...] = CHAIN) -> Verdict:
    notes: list[str] = []
    for rule, action in chain:
        reason = rule(check)
        if reason is None:
            continue
        if action == "note":
            notes.append(reason)
        else:
            return Verdict(action, rule.__name__, reason, notes)
    return Verdict("hold", notes=notes)
