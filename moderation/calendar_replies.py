"""Replies by the calendar: not open yet, question not open now, closed; in the sender's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from archive.record.models import Post
from archive.record.outgoing import must_not_answer, queue
from archive.record.reading import summary
from archive.record.spaces import space_row
from archive.record.urls import post_url, space_url
from config.calendar import moment
from config.spaces import SpaceConfig
from moderation.context import Moderation
from templates.dates import date_and_time

CALENDAR_RULES = {"space_not_open", "question_not_open"}


@dataclass(frozen=True)
class OpenQuestion:
    number: int
    text: str
    address: str


def queue_calendar_reply(
    mod: Moderation, session: Session, envelope_from: str, post: Post, space: SpaceConfig
) -> None:
    """Answer the return path (RFC 3834), at most replies_per_hour; automatic mail never gets here."""
    recipient = envelope_from.strip("<>")
    limit = mod.settings.outbound.replies_per_hour
    if not recipient or must_not_answer(session, "calendar", recipient, dt.timedelta(hours=1), limit):
        return
    language = space.language_for(post.language)
    here = moment(space, mod.now)
    shown = here.open_questions or (here.phase.questions if here.phase else ())
    if here.state == "before" and not shown:
        shown = tuple(q.number for q in space.questions)
    subject, text = mod.render(
        "calendar.txt",
        language,
        state=here.state,
        space=space,
        title=space.title_in(language),
        phase_name=here.phase.name_in(language, space.languages[0]) if here.phase else "",
        phase=here.phase,
        questions=[_question(mod, space, number, language) for number in shown],
        subject=post.subject or mod.words(language).gettext("(no subject)"),
        archive_url=space_url(mod.settings.site.base_url, space.slug),
        summary_url=_summary_url(mod, session, space) if here.state == "closed" else "",
        reference=f"P{post.id}",
        opens=_date(space.opens, language),
        closes=_date(space.closes, language),
        next_opens=_date(here.phase.opens if here.phase else None, language),
    )
    letter = mod.answer(post, space.slug, space.title_in(language), recipient, subject, text)
    queue(session, "calendar", letter, mod.settings.site.domain)


def _summary_url(mod: Moderation, session: Session, space: SpaceConfig) -> str:
    pinned = summary(session, space_row(session, space.slug).id)
    return post_url(mod.settings.site.base_url, space.slug, pinned.message_id) if pinned else ""


def _question(mod: Moderation, space: SpaceConfig, number: int, language: str) -> OpenQuestion:
    question = space.question(number)
    text = question.text_in(language, space.languages[0]) if question else ""
    return OpenQuestion(number, text, mod.space_address(space.slug, f"+q{number}"))


def _date(when: dt.datetime | None, language: str) -> str:
    return date_and_time(when, language) if when else ""
