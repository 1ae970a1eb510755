"""Sending published posts to subscribers, each post or as digests, exactly once.

Every subscriber has a cursor: the (published_at, id) of the last post it was sent. A send
queues the mail in the outbox, records it, and moves the cursor in one transaction, so a crash
or restart neither skips nor repeats a post, and a long outage ends in one digest, not many.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from archive.mailing import Mailing
from archive.members import viewer_for
from archive.models import Post, Space
from archive.outgoing import Letter, queue
from archive.urls import post_url
from archive.visibility import may_read
from digest.headers import bounce_address, list_headers, unsubscribe_url
from digest.models import DigestSent, Subscriber
from digest.render import digest_letter

MAX_POSTS = 500  # a digest this long is split over the next rounds rather than sent as a brick


def due_posts(session: Session, subscriber: Subscriber, limit: int = MAX_POSTS) -> list[Post]:
    """Published posts of the subscriber's space after its cursor, in publication order."""
    query = select(Post).where(Post.space_id == subscriber.space_id, Post.status == "published")
    if subscriber.cursor_at is not None:
        query = query.where(
            or_(
                col(Post.published_at) > subscriber.cursor_at,
                and_(col(Post.published_at) == subscriber.cursor_at, col(Post.id) > subscriber.cursor_id),
            )
        )
    return list(session.exec(query.order_by(col(Post.published_at), col(Post.id)).limit(limit)))


def active(session: Session, mode: str, space_id: int | None = None) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.status == "active", Subscriber.mode == mode)
    if space_id is not None:
        query = query.where(Subscriber.space_id == space_id)
    return list(session.exec(query.order_by(col(Subscriber.id))))


def send_each(mail: Mailing, session: Session) -> int:
    """Each newly published post to every 'each' subscriber of its space; returns messages queued."""
    queued = 0
    for subscriber in active(session, "each"):
        posts = due_posts(session, subscriber)
        space = session.get(Space, subscriber.space_id)
        if posts and not may_receive(mail, session, space, subscriber):
            continue
        for post in posts:
            row = queue(
                session,
                "post",
                post_letter(mail, space, post, subscriber),
                mail.settings.site.domain,
                envelope_from=bounce_address(mail, subscriber),
            )
            _advance(session, subscriber, [post], "each", row.id)
            queued += 1
    return queued


def send_digests(
    mail: Mailing, session: Session, mode: str, space_id: int | None = None, dry_run: bool = False
) -> int:
    """One digest per subscriber of `mode` with anything new; never an empty one."""
    queued, renderings, due = 0, {}, {}
    for subscriber in active(session, mode, space_id):
        # Subscribers who joined together share a cursor: their new posts are read once.
        cursor = (subscriber.space_id, subscriber.cursor_at, subscriber.cursor_id)
        posts = due[cursor] if cursor in due else due.setdefault(cursor, due_posts(session, subscriber))
        space = session.get(Space, subscriber.space_id)
        if not posts or not may_receive(mail, session, space, subscriber):
            continue
        if not dry_run:
            letter = digest_letter(mail, session, space, subscriber, posts, renderings)
            row = queue(
                session,
                "digest",
                letter,
                mail.settings.site.domain,
                envelope_from=bounce_address(mail, subscriber),
            )
            _advance(session, subscriber, posts, mode, row.id)
        queued += 1
    return queued


def may_receive(mail: Mailing, session: Session, space: Space, subscriber: Subscriber) -> bool:
    """The pages' rule, for mail: a confirmed address is registered; private spaces need a role."""
    return may_read(space, viewer_for(session, mail.settings, subscriber.address))


def post_letter(mail: Mailing, space: Space, post: Post, subscriber: Subscriber) -> Letter:
    """The post as list mail: From rewritten to the space (DMARC), replies to the space, same Message-ID."""
    author = post.from_name or post.from_addr.partition("@")[0] or "someone"
    archived = post_url(mail.settings.site.base_url, space.slug, post.message_id)
    footer = f"\n\n-- \n{archived}\nUnsubscribe: {unsubscribe_url(mail, space.slug, subscriber)}\n"
    return Letter(
        to=subscriber.address,
        subject=f"[{space.slug}] {post.subject or '(no subject)'}",
        text=(post.body_text or "(see the archive for this message)") + footer,
        sender=mail.space_address(space.slug),
        sender_name=f"{author} via {space.title}",
        reply_to=mail.space_address(space.slug),
        message_id=post.message_id,
        in_reply_to=post.parent_message_id,
        references=tuple(post.references[:-1]),
        auto_submitted="",
        extra=list_headers(mail, space.slug, space.title, subscriber, archived),
    )


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
