"""Moderation outcomes made into sentences: in a catalog's language for mail, in English for the log."""

from __future__ import annotations

from babel.support import NullTranslations

from archive.record.models import PostStatus
from moderation.outcomes import Outcome, Result
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
