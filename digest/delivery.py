"""Sending published posts to subscribers, each post or as digests, exactly once.

Every subscriber has a cursor: the (published_at, id) of the last post it was sent. A send
queues the mail in the outbox, records it, and moves the cursor in one transaction, so a crash
or restart neither skips nor repeats a post, and a long outage ends in one digest, not many.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from archive.bodies import Shared
from archive.mailing import Mailing
from archive.members import viewer_for
from archive.models import Post, PostStatus, Space
from archive.visibility import may_read
from digest.headers import recipient
from digest.letters import post_letter
from digest.models import DigestSent, Subscriber
from digest.render import digest_letters


def due_posts(session: Session, subscriber: Subscriber) -> list[Post]:
    """Published posts of the subscriber's space after its cursor, in publication order (all of them:
    a long digest is sent in parts, never deferred to the next round)."""
    query = select(Post).where(Post.space_id == subscriber.space_id, Post.status == PostStatus.PUBLISHED)
    if subscriber.cursor_at is not None:
        query = query.where(
            or_(
                col(Post.published_at) > subscriber.cursor_at,
                and_(col(Post.published_at) == subscriber.cursor_at, col(Post.id) > subscriber.cursor_id),
            )
        )
    return list(session.exec(query.order_by(col(Post.published_at), col(Post.id))))


def active(session: Session, mode: str, space_id: int | None = None) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.status == "active", Subscriber.mode == mode)
    if space_id is not None:
        query = query.where(Subscriber.space_id == space_id)
    return list(session.exec(query.order_by(col(Subscriber.id))))


def send_each(mail: Mailing, session: Session) -> int:
    """Each newly published post to every 'each' subscriber of its space; returns messages queued.

    A post is composed once per language (archive.bodies); a subscriber whose cursor is past the
    space's newest publication costs no query (the job runs every few seconds)."""
    newest: dict[int, tuple | None] = {}
    letters: dict[tuple[int, str], Shared] = {}
    queued = 0
    for subscriber in active(session, "each"):
        if subscriber.space_id not in newest:
            newest[subscriber.space_id] = _newest(session, subscriber.space_id)
        last = newest[subscriber.space_id]
        cursor = (_utc(subscriber.cursor_at), subscriber.cursor_id) if subscriber.cursor_at else None
        if last is None or (cursor is not None and cursor >= last):
            continue  # nothing published since its last post
        posts = due_posts(session, subscriber)
        space = session.get(Space, subscriber.space_id)
        if not posts or not may_receive(mail, session, space, subscriber):
            continue
        language = subscriber.language or (space.languages or [mail.settings.site.language])[0]
        for post in posts:
            key = (post.id, language)
            if key not in letters:
                letter = post_letter(mail, space, post, language)
                letters[key] = Shared(session, "post", letter, mail.settings.site.domain, _personal(mail))
            row = letters[key].add(recipient(mail, space.slug, subscriber))
            _advance(session, subscriber, [post], "each", row.id)
            queued += 1
    return queued


def send_digests(
    mail: Mailing, session: Session, mode: str, space_id: int | None = None, dry_run: bool = False
) -> int:
    """One digest per subscriber of `mode` with anything new, never an empty one; subscribers with
    the same posts and language share one stored body (several, numbered, for a long digest)."""
    queued, letters, due = 0, {}, {}
    for subscriber in active(session, mode, space_id):
        # Subscribers who joined together share a cursor: their new posts are read once.
        cursor = (subscriber.space_id, subscriber.cursor_at, subscriber.cursor_id)
        posts = due[cursor] if cursor in due else due.setdefault(cursor, due_posts(session, subscriber))
        space = session.get(Space, subscriber.space_id)
        if not posts or not may_receive(mail, session, space, subscriber):
            continue
        if not dry_run:
            language = subscriber.language or (space.languages or [mail.settings.site.language])[0]
            key = (space.id, language, mode, posts[0].id, posts[-1].id, len(posts))
            if key not in letters:
                letters[key] = [
                    Shared(session, "digest", letter, mail.settings.site.domain, _personal(mail))
                    for letter in digest_letters(mail, session, space, posts, language, mode)
                ]
            rows = [part.add(recipient(mail, space.slug, subscriber)) for part in letters[key]]
            _advance(session, subscriber, posts, mode, rows[0].id)
        queued += 1
    return queued


def _newest(session: Session, space_id: int) -> tuple[dt.datetime, int] | None:
    """(published_at, id) of the space's newest publication, the order cursors follow."""
    query = (
        select(Post.published_at, Post.id)
        .where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
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
    session: Session, subscriber: Subscriber, posts: list[Post], mode: str, outbox_id: int | None
) -> None:
    last = posts[-1]
    subscriber.cursor_at, subscriber.cursor_id = last.published_at, last.id
    session.add(subscriber)
    session.add(
        DigestSent(
            subscriber_id=subscriber.id,
            mode=mode,
            posts=len(posts),
            first_post_id=posts[0].id,
            last_post_id=last.id,
            outbox_id=outbox_id,
        )
    )


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
