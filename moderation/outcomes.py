"""What a moderation command did to a post, as values; sentences are made in moderation.sentences."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    DECIDED = "decided"
    ALREADY_DECIDED = "already decided"
    MOVED = "moved"
    NO_SUCH_QUESTION = "no such question"
    EDITED = "edited"
    EMPTY_EDIT = "empty edit"
    UNTRUSTED = "untrusted"
    WAS_NOT_TRUSTED = "was not trusted"
    NOT_APPLICABLE = "not applicable"
    OTHER_POST = "another post's notice"
    NO_SUCH_POST = "no such post"
    NAME_THE_POST = "name the post"
    TOO_LATE = "too late by mail"
    REVIEWED = "reviewed"  # one moderator's review recorded; the post stays held (issue 16)
    ALREADY_REVIEWED = "already reviewed"  # this moderator reviewed it before; nothing changed
    TRANSLATED = "translated"  # a translation kept beside the original (issue 16)
    EMPTY_TRANSLATION = "empty translation"
    UNKNOWN_LANGUAGE = "unknown language"  # not one of the site's languages
    UNREADABLE_FILE = "unreadable file"  # an attached translation we cannot read


CHANGES = {
    Outcome.DECIDED,
    Outcome.MOVED,
    Outcome.EDITED,
    Outcome.UNTRUSTED,
    Outcome.REVIEWED,
    Outcome.TRANSLATED,
}


@dataclass(frozen=True)
class Result:
    """What one command did to one post; sentences are made from it where it is mailed or logged."""

    outcome: Outcome
    post_id: int | None
    subject: str = ""
    status: str = ""  # decided or already decided: the post's status now; reviewed: the verdict's
    by: str = ""  # already decided: who decided
    at: dt.datetime | None = None
    question: int | None = None  # moved, no such question
    chars: int = 0  # edited
    address: str = ""  # trusted, untrusted
    trusted: bool = False  # approve trust
    verb: str = ""  # not applicable, name the post, too late by mail
    target: int | None = None  # another post's notice: the post it is about
    done: int = 0  # reviewed: approvals (or rejections) so far
    needed: int = 0  # reviewed: approvals (or rejections) that decide the post
    language: str = ""  # translated, unknown language
    languages: tuple[str, ...] = ()  # unknown language: the site's
    replaced: bool = False  # translated: an earlier translation into that language is replaced
    filename: str = ""  # translated from an attached file, unreadable file

    @property
    def changed(self) -> bool:
        return self.outcome in CHANGES
