"""Announcements as mail: what each says in a language, the letter alone, and the run that sends the
due ones to every subscriber who has not had them (the scheduler and `hubmail announcements send`)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel import Session, col, func, select

from archive.record.bodies import Shared
from archive.record.display import mail_html
from archive.record.mailing import Mailing
from archive.record.members import viewer_for
from archive.record.models import Post, Space
from archive.record.outgoing import Letter
from archive.record.spaces import space_row, title_in
from archive.record.urls import post_url, space_url
from archive.record.visibility import may_read
from config.calendar import moment
from config.spaces import SpaceConfig
from digest import announcements
from digest.announcements import Announcement
from digest.headers import list_letter, recipient, unsubscribe_mark
from digest.models import AnnouncementSent, Subscriber
from templates.dates import long_date, span, until


@dataclass(frozen=True)
class Asked:
    """A question open for contributions, in the reader's language, with its address."""

    number: int
    text: str
    address: str


def content(mail: Mailing, session: Session, space: Space, config: SpaceConfig, item: Announcement,
            language: str) -> dict:  # fmt: skip
    """What the announcement says, for mail/_announcement.* (alone, or as a digest's section)."""
    first = config.languages[0]
    phase = item.phase
    name = phase.name_in(language, first) if phase else config.title_in(language)
    ends = phase.closes if phase else config.closes
    values = {
        "kind": item.kind,
        "name": name,
        "title": config.title_in(language),
        "dates": span(phase.opens, phase.closes, language) if phase else "",
        "closes": long_date(ends, language) if ends else "",
        "remaining": until(ends, mail.now, language) if ends else "",
        "questions": _questions(mail, config, item, language),
        "general": "" if config.phases else mail.space_address(config.slug),
        "link": space_url(mail.settings.site.base_url, config.slug),
    }
    if item.kind == "summary":
        post = session.get(Post, item.post_id)
        words = mail.words(language)
        values.update(
            subject=post.subject,
            text=post.body_text or words.gettext("(see the archive for this message)"),
            html=Markup(mail_html(post, words)),
            link=post_url(mail.settings.site.base_url, config.slug, post.message_id),
        )
    return values


def _questions(mail: Mailing, config: SpaceConfig, item: Announcement, language: str) -> list[Asked]:
    """The phase's questions; for the space itself, those open then (all of them without phases)."""
    if item.kind == "summary":
        return []
    numbers = item.phase.questions if item.phase else moment(config, max(item.at, mail.now)).open_questions
    first = config.languages[0]
    return [
        Asked(n, question.text_in(language, first), mail.space_address(config.slug, f"+q{n}"))
        for n in numbers
        if (question := config.question(n)) is not None
    ]


def announcement_letter(mail: Mailing, space: Space, values: dict, language: str) -> Letter:
    """One announcement, text and HTML, from the space to a subscriber (its own parts are markers)."""
    title = title_in(mail.settings, space, language)
    values = {"a": values, "space": space, "unsubscribe": unsubscribe_mark(mail, space.slug), "now": mail.now}
    subject, text = mail.render(
        "announcement.txt", language, wrap_lines=values["a"]["kind"] != "summary", **values
    )
    html = mail.render_html("announcement.html", language, **values)
    return list_letter(mail, space, title, subject, text, html)


def language_of(mail: Mailing, space: Space, subscriber: Subscriber) -> str:
    return subscriber.language or (space.languages or [mail.settings.site.language])[0]


def owed_now(mail: Mailing, session: Session, space: Space, config: SpaceConfig,
             subscribers: list[Subscriber]) -> dict[int, list[Announcement]]:  # fmt: skip
    """subscriber id -> what is due now and not yet given, for subscribers who may read the space."""
    due = [a for a in announcements.schedule(session, config, space.id) if a.due(mail.now)]
    if not due:
        return {}
    readers = [s for s in subscribers if s.status == "active" and _may_read(mail, session, space, s)]
    return announcements.owed(session, due, readers)


def send_announcements(
    mail: Mailing, session: Session, slug: str | None = None, dry_run: bool = False
) -> int:
    """Every due announcement to every subscriber who has not had it and whose digest is not due
    within the hour (the digest carries it then); one body per announcement and language, the
    ledger row written with the outbox row. Returns the messages queued (or that would be)."""
    count = 0
    for config in mail.settings.spaces:
        space = space_row(session, config.slug) if slug in (None, config.slug) else None
        if space is None or space.retired:
            continue
        active = _active(session, space)
        owed = owed_now(mail, session, space, config, active)
        groups: Groups = {}
        by_id = {s.id: s for s in active}
        for sid, items in owed.items():
            subscriber = by_id[sid]
            if announcements.near_digest(session, mail.settings, config, subscriber, mail.now):
                continue
            for item in items:
                groups.setdefault((item.key, language_of(mail, space, subscriber)), []).append(subscriber)
        count += sum(len(group) for group in groups.values())
        if not dry_run:
            _queue(mail, session, space, config, groups, {a.key: a for items in owed.values() for a in items})
    return count


Groups = dict[tuple[str, str], list[Subscriber]]  # (key, language) -> its recipients


def _queue(mail: Mailing, session: Session, space: Space, config: SpaceConfig, groups: Groups,
           items: dict[str, Announcement]) -> None:  # fmt: skip
    rows = []
    for (key, language), subscribers in groups.items():
        values = content(mail, session, space, config, items[key], language)
        letter = announcement_letter(mail, space, values, language)
        shared = Shared(session, "announcement", letter, mail.settings.site.domain,
                        mail.settings.delivery.personalize)  # fmt: skip
        ids = shared.add_all([recipient(mail, space.slug, s) for s in subscribers])
        rows += [(s.id, key, "mail", row_id) for s, row_id in zip(subscribers, ids, strict=True)]
    announcements.record(session, rows, mail.now)


def _active(session: Session, space: Space) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.space_id == space.id, Subscriber.status == "active")
    return list(session.exec(query.order_by(col(Subscriber.id))))


def _may_read(mail: Mailing, session: Session, space: Space, subscriber: Subscriber) -> bool:
    """digest.delivery's may_receive, which this module cannot import (delivery imports it)."""
    return may_read(space, viewer_for(session, mail.settings, subscriber.address))


def overview(mail: Mailing, session: Session, space: Space, config: SpaceConfig) -> list[dict]:
    """Every announcement of the space, past and planned: when, what, how many had it and how
    many it is owed to now (`hubmail announcements list`)."""
    active = _active(session, space)
    owed = owed_now(mail, session, space, config, active)
    query = (
        select(AnnouncementSent.key, func.count())
        .join(Subscriber, col(AnnouncementSent.subscriber_id) == Subscriber.id)
        .where(Subscriber.space_id == space.id)
        .group_by(AnnouncementSent.key)
    )
    had = dict(session.exec(query).all())
    rows = []
    for item in announcements.schedule(session, config, space.id):
        waiting = sum(1 for items in owed.values() if any(a.key == item.key for a in items))
        state = "due" if item.due(mail.now) else ("planned" if item.at > mail.now else "past")
        rows.append({
            "key": item.key, "kind": item.kind, "at": item.at.isoformat(),
            "until": item.until.isoformat() if item.until else "", "state": state,
            "sent": had.get(item.key, 0), "waiting": waiting,
        })  # fmt: skip
    return rows
