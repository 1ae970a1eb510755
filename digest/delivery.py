"""Sending published posts to subscribers, each post or as digests, exactly once.

Every subscriber has a cursor: the (published_at, id) of the last post it was sent. A send
queues the mail in the outbox, records it, and moves the cursor in one transaction, so a crash
or restart neither skips nor repeats a post, and a long outage ends in one digest, not many.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, insert, or_, update
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from archive.record.bodies import Shared
from archive.record.mailing import Mailing
from archive.record.members import viewer_for
from archive.record.models import Post, PostStatus, Space
from archive.record.visibility import may_read
from config.database import UTCDateTime
from digest import announcements
from digest.announcing import content, owed_now
from digest.headers import recipient
from digest.letters import post_letter
from digest.models import DigestSent, Subscriber
from digest.render import digest_letters


def due_posts(session: Session, subscriber: Subscriber) -> list[Post]:
    """Published posts of the subscriber's space after its cursor, in publication order (all of them:
    a long digest is sent in parts, never deferred to the next round)."""
    return _posts_after(session, subscriber.space_id, _cursor(subscriber))


def _posts_after(session: Session, space_id: int, cursor: tuple[dt.datetime, int] | None) -> list[Post]:
    query = select(Post).where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
    # The moderators' summary is announced (digest.announcing), alone or as a digest's section.
    query = query.where(col(Post.is_summary).is_(False))
    # The copies are made from the text, never the raw mail.
    query = query.options(defer(Post.raw), defer(Post.edited_raw))
    if cursor is not None:
        query = query.where(
            or_(
                col(Post.published_at) > cursor[0],
                and_(col(Post.published_at) == cursor[0], col(Post.id) > cursor[1]),
            )
        )
    return list(session.exec(query.order_by(col(Post.published_at), col(Post.id))))


def _cursor(subscriber: Subscriber) -> tuple[dt.datetime, int] | None:
    return (_utc(subscriber.cursor_at), subscriber.cursor_id) if subscriber.cursor_at else None


def active(session: Session, mode: str, space_id: int | None = None) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.status == "active", Subscriber.mode == mode)
    if space_id is not None:
        query = query.where(Subscriber.space_id == space_id)
    return list(session.exec(query.order_by(col(Subscriber.id))))


@dataclass
class Due:
    """A subscriber with something new: its space, language and posts (in publication order)."""

    subscriber: Subscriber
    space: Space
    language: str
    posts: list[Post]


def due(mail: Mailing, session: Session, mode: str, space_id: int | None = None) -> list[Due]:
    """Every active subscriber of `mode` with new posts it may read. A space's posts are read
    once, from its earliest cursor, and each subscriber gets the part after its own (100 who
    subscribed a second apart cost one query, not 100); subscribers with the same part share
    it. A subscriber whose cursor is past its space's newest publication costs no query
    (each-post delivery runs every few seconds)."""
    newest: dict[int, tuple | None] = {}
    waiting: dict[int, list[tuple[Subscriber, tuple | None]]] = {}
    for subscriber in active(session, mode, space_id):
        if subscriber.space_id not in newest:
            newest[subscriber.space_id] = _newest(session, subscriber.space_id)
        cursor, last = _cursor(subscriber), newest[subscriber.space_id]
        if last is None or (cursor is not None and cursor >= last):
            continue  # nothing published since its last post
        waiting.setdefault(subscriber.space_id, []).append((subscriber, cursor))
    found = []
    for space_key, entries in waiting.items():
        cursors = [cursor for _, cursor in entries]
        posts = _posts_after(session, space_key, None if None in cursors else min(cursors))
        order = [(_utc(post.published_at), post.id) for post in posts]
        parts: dict[int, list[Post]] = {}
        space = session.get(Space, space_key)
        for subscriber, cursor in entries:
            start = 0 if cursor is None else bisect.bisect_right(order, cursor)
            part = parts.setdefault(start, posts[start:])
            if part and may_receive(mail, session, space, subscriber):
                language = subscriber.language or (space.languages or [mail.settings.site.language])[0]
                found.append(Due(subscriber, space, language, part))
    return found


def send_each(mail: Mailing, session: Session, limit: int | None = None) -> int:
    """Each newly published post to every 'each' subscriber of its space; returns messages queued.
    A post is composed once per language (archive.record.bodies), its rows written in one statement.
    With a limit, posts are taken in publication order until about that many messages are queued
    (a post is never split), so the caller can commit and let the outbox start on them."""
    readers: dict[tuple[int, str], list[Due]] = {}
    posts: dict[int, Post] = {}
    for entry in due(mail, session, "each"):
        for post in entry.posts:
            posts[post.id] = post
            readers.setdefault((post.id, entry.language), []).append(entry)
    sent = []
    for (post_id, language), entries in sorted(readers.items(), key=lambda item: _order(posts[item[0][0]])):
        if limit is not None and len(sent) >= limit and sent[-1][1][0].id != post_id:
            break  # the rest at the next call, from the cursors this one leaves
        space, post = entries[0].space, posts[post_id]
        letter = Shared(session, "post", post_letter(mail, space, post, language), mail.settings.site.domain,
                        _personal(mail))  # fmt: skip
        ids = letter.add_all([_recipient(mail, space, e.subscriber) for e in entries])
        sent += [(e.subscriber, [post], row_id) for e, row_id in zip(entries, ids, strict=True)]
    _advance(session, sent, "each", mail.now)
    return len(sent)


def send_digests(
    mail: Mailing, session: Session, mode: str, space_id: int | None = None, dry_run: bool = False
) -> int:
    """One digest per subscriber of `mode` with anything new, never an empty one; subscribers with
    the same posts, language and announcements share one stored body (several, numbered, for a long
    digest). The announcements owed to a subscriber then go in its digest, recorded as given."""
    entries = due(mail, session, mode, space_id)
    news = _news(mail, session, entries)
    readers: dict[tuple, list[Due]] = {}
    for entry in entries:
        keys = tuple(a.key for a in news.get(entry.subscriber.id, []))
        key = (entry.space.id, entry.language, entry.posts[0].id, entry.posts[-1].id, len(entry.posts), keys)
        readers.setdefault(key, []).append(entry)
    if dry_run:
        return sum(len(entries) for entries in readers.values())
    sent, given = [], []
    for entries in readers.values():
        first = entries[0]
        items = news.get(first.subscriber.id, [])
        config = mail.settings.space(first.space.slug)
        said = [content(mail, session, first.space, config, item, first.language) for item in items]
        recipients = [_recipient(mail, first.space, e.subscriber) for e in entries]
        letters = digest_letters(mail, session, first.space, first.posts, first.language, mode, said)
        parts = [
            Shared(session, "digest", letter, mail.settings.site.domain, _personal(mail)).add_all(recipients)
            for letter in letters
        ]
        sent += [(e.subscriber, e.posts, ids[0]) for e, *ids in zip(entries, *parts, strict=True)]
        given += [(e.subscriber.id, a.key, "digest", ids[0]) for e, *ids in zip(entries, *parts, strict=True)
                  for a in items]  # fmt: skip
    _advance(session, sent, mode, mail.now)
    announcements.record(session, given, mail.now)
    return len(sent)


def _news(mail: Mailing, session: Session, entries: list[Due]) -> dict[int, list]:
    """subscriber id -> the announcements owed to it now, for the subscribers about to get a digest."""
    by_space: dict[int, list[Due]] = {}
    for entry in entries:
        by_space.setdefault(entry.space.id, []).append(entry)
    news: dict[int, list] = {}
    for group in by_space.values():
        space = group[0].space
        config = mail.settings.space(space.slug)
        if config is not None:
            news.update(owed_now(mail, session, space, config, [e.subscriber for e in group]))
    return news


def _recipient(mail: Mailing, space: Space, subscriber: Subscriber):
    """A subscriber's values (its tokens), made once per run however many posts it gets."""
    return mail.remember(("recipient", subscriber.id), lambda: recipient(mail, space.slug, subscriber))


def _order(post: Post) -> tuple:
    return (_utc(post.published_at), post.id)


def _newest(session: Session, space_id: int) -> tuple[dt.datetime, int] | None:
    """(published_at, id) of the space's newest publication, the order cursors follow."""
    query = (
        select(Post.published_at, Post.id)
        .where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
        .where(col(Post.is_summary).is_(False))
        .order_by(col(Post.published_at).desc(), col(Post.id).desc())
    )
    found = session.exec(query.limit(1)).first()
    return (_utc(found[0]), found[1]) if found else None


def _personal(mail: Mailing) -> bool:
    return mail.settings.delivery.personalize


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def may_receive(mail: Mailing, session: Session, space: Space, subscriber: Subscriber) -> bool:
    """The pages' rule, for mail: a confirmed address is registered; private spaces need a role."""
    return may_read(space, viewer_for(session, mail.settings, subscriber.address))


def _advance(
    session: Session, sent: list[tuple[Subscriber, list[Post], int]], mode: str, now: dt.datetime
) -> None:
    """Record what each subscriber was sent (a row per subscriber: its posts, its first letter)
    and move its cursor past it, in the send's transaction (one statement each for many)."""
    if not sent:
        return
    got: dict[int, tuple[list[Post], int]] = {}
    for subscriber, posts, row_id in sent:
        before, first_row = got.get(subscriber.id, ([], row_id))
        got[subscriber.id] = (before + posts, first_row)
    last = {sid: max(posts, key=_order) for sid, (posts, _) in got.items()}
    session.execute(
        insert(DigestSent),
        [{"subscriber_id": sid, "mode": mode, "posts": len(posts), "first_post_id": min(posts, key=_order).id,
          "last_post_id": last[sid].id, "outbox_id": row_id, "sent_at": now}
         for sid, (posts, row_id) in got.items()],
    )  # fmt: skip
    session.execute(
        update(Subscriber.__table__)
        .where(Subscriber.__table__.c.id == bindparam("subscriber"))
        .values(cursor_at=bindparam("at", type_=UTCDateTime()), cursor_id=bindparam("post")),
        [{"subscriber": sid, "at": post.published_at, "post": post.id} for sid, post in last.items()],
    )
    for subscriber, _, _ in sent:  # the objects in hand say what the table now says (not a change)
        set_committed_value(subscriber, "cursor_at", last[subscriber.id].published_at)
        set_committed_value(subscriber, "cursor_id", last[subscriber.id].id)


def last_sent(session: Session, slug: str, mode: str) -> dt.datetime:
    """When the last digest of this mode went out in this space (the distant past if never)."""
    query = (
        select(func.max(DigestSent.sent_at))
        .join(Subscriber, col(DigestSent.subscriber_id) == Subscriber.id)
        .join(Space, col(Subscriber.space_id) == Space.id)
        .where(Space.slug == slug, DigestSent.mode == mode)
    )
    found = session.exec(query).one()
    if found is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)
