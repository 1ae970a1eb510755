"""Moderation outcomes made into sentences: in a catalog's language for mail, in English for the log."""

from __future__ import annotations

from babel.support import NullTranslations

from archive.record.models import PostStatus
from config.review import ReviewConfig
from moderation.outcomes import Outcome, Result
from moderation.reviews import ReviewState
from templates.dates import date_and_time

ENGLISH = NullTranslations()


def past(status: str, words: NullTranslations = ENGLISH) -> str:
    """The word for what became of a post: approved, rejected, discarded."""
    return {
        PostStatus.PUBLISHED: words.pgettext("decision", "approved"),
        PostStatus.REJECTED: words.pgettext("decision", "rejected"),
        PostStatus.DISCARDED: words.pgettext("decision", "discarded"),
    }.get(status, status)


def describe(result: Result, words: NullTranslations = ENGLISH, language: str = "en") -> str:
    """One line for the moderator's results mail (or the log, or the command line)."""
    values = {"id": result.post_id, "subject": result.subject[:60], "by": result.by,
              "question": result.question, "chars": result.chars, "address": result.address,
              "verb": result.verb, "target": result.target, "status": past(result.status, words),
              "done": result.done, "needed": result.needed, "language": result.language,
              "languages": ", ".join(result.languages), "file": result.filename,
              "when": date_and_time(result.at, language) if result.at else ""}  # fmt: skip
    match result.outcome:
        case Outcome.DECIDED if result.trusted:
            text = words.gettext("#%(id)s “%(subject)s”: %(status)s (and %(address)s is trusted from now on)")
        case Outcome.DECIDED:
            text = words.gettext("#%(id)s “%(subject)s”: %(status)s")
        case Outcome.ALREADY_DECIDED if values["when"]:
            text = words.gettext("#%(id)s: already %(status)s by %(by)s, %(when)s; nothing changed")
        case Outcome.ALREADY_DECIDED:
            text = words.gettext("#%(id)s: already %(status)s by %(by)s; nothing changed")
        case Outcome.REVIEWED if result.status == PostStatus.REJECTED:
            text = words.gettext(
                "#%(id)s “%(subject)s”: your rejection is recorded (%(done)s of %(needed)s); still held"
            )
        case Outcome.REVIEWED:
            text = words.ngettext(
                "#%(id)s “%(subject)s”: your approval is recorded, %(done)s of %(needed)s review done; "
                "still held",
                "#%(id)s “%(subject)s”: your approval is recorded, %(done)s of %(needed)s reviews done; "
                "still held",
                result.needed,
            )
        case Outcome.ALREADY_REVIEWED:
            text = words.gettext("#%(id)s: you already %(status)s it, %(when)s; nothing changed")
        case Outcome.MOVED:
            text = words.gettext("#%(id)s: moved to question %(question)s")
        case Outcome.NO_SUCH_QUESTION:
            text = words.gettext("#%(id)s: this space has no question %(question)s; nothing changed")
        case Outcome.EDITED:
            text = words.ngettext(
                "#%(id)s: text replaced (%(chars)s character); the original stays on record",
                "#%(id)s: text replaced (%(chars)s characters); the original stays on record",
                result.chars,
            )
        case Outcome.EMPTY_EDIT:
            text = words.gettext(
                "#%(id)s: the edit between ---begin--- and ---end--- was empty; nothing changed"
            )
        case Outcome.TRANSLATED if result.replaced:
            text = words.ngettext(
                "#%(id)s: translation into %(language)s replaced (%(chars)s character); shown beside the "
                "original",
                "#%(id)s: translation into %(language)s replaced (%(chars)s characters); shown beside the "
                "original",
                result.chars,
            )
        case Outcome.TRANSLATED:
            text = words.ngettext(
                "#%(id)s: translation into %(language)s kept (%(chars)s character); shown beside the "
                "original",
                "#%(id)s: translation into %(language)s kept (%(chars)s characters); shown beside the "
                "original",
                result.chars,
            )
        case Outcome.EMPTY_TRANSLATION:
            text = words.gettext(
                "#%(id)s: no translation found: write it between ---begin--- and ---end---, or attach it "
                "as a .txt or .docx file; nothing changed"
            )
        case Outcome.UNKNOWN_LANGUAGE:
            text = words.gettext(
                "#%(id)s: %(language)s is not one of this site's languages (%(languages)s); nothing changed"
            )
        case Outcome.UNREADABLE_FILE:
            text = words.gettext(
                "#%(id)s: could not read %(file)s as text: attach a .txt or .docx file; nothing changed"
            )
        case Outcome.UNTRUSTED:
            text = words.gettext("%(address)s's posts are held for moderation again")
        case Outcome.WAS_NOT_TRUSTED:
            text = words.gettext("%(address)s was not trusted; nothing changed")
        case Outcome.OTHER_POST:
            text = words.gettext("#%(id)s: this notice is about #%(target)s only; reply to its own notice")
        case Outcome.NO_SUCH_POST:
            text = words.gettext("#%(id)s: no such post in this space")
        case Outcome.TOO_LATE:
            text = words.gettext(
                "#%(id)s: too late to %(verb)s it by mail (decided %(when)s); nothing changed"
            )
        case Outcome.NAME_THE_POST:
            text = words.gettext("%(verb)s: name the post, e.g. %(verb)s 12")
        case _:
            text = words.gettext("#%(id)s: %(verb)s is not something a post can be given")
    return text % values


def rule_lines(review: ReviewConfig, words: NullTranslations) -> list[str]:
    """The space's review rule in a sentence or two; none for one approval from anyone."""
    if review.plain:
        return []
    lines = [
        words.ngettext(
            "Publishing needs %(num)s approval.",
            "Publishing needs %(num)s approvals from different moderators.",
            review.approvals,
        )
        % {"num": review.approvals}
    ]
    if review.from_groups:
        groups = ", ".join(review.from_groups)
        lines.append(words.gettext("At least one approval from each group: %(groups)s.") % {"groups": groups})
    if review.reject_needs > 1:
        lines.append(
            words.ngettext(
                "Rejecting needs %(num)s rejection.",
                "Rejecting needs %(num)s rejections.",
                review.reject_needs,
            )
            % {"num": review.reject_needs}
        )
    return lines


def state_lines(state: ReviewState, words: NullTranslations) -> list[str]:
    """Who approved so far and what the post still needs, for an update or a summary."""
    nobody = words.gettext("nobody yet")
    lines = [words.gettext("Approved so far: %(who)s") % {"who": ", ".join(state.approved_by) or nobody}]
    if state.rejected_by:
        lines.append(words.gettext("Rejected so far: %(who)s") % {"who": ", ".join(state.rejected_by)})
    more = state.needed - state.done
    line = words.ngettext("Still needed: %(num)s approval.", "Still needed: %(num)s approvals.", more) % {
        "num": more
    }
    if state.missing_groups:
        groups = ", ".join(state.missing_groups)
        line += " " + words.gettext("At least one from: %(groups)s.") % {"groups": groups}
    return [*lines, line]
