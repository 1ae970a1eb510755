"""Sending published posts to subscribers, each post or as digests, exactly once.

Every subscriber has a cursor: the (published_at, id) of the last post it was sent. A send
queues the mail in the outbox, records it, and moves the cursor in one transaction, so a crash
or restart neither skips nor repeats a post, and a long outage ends in one digest, not many.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from archive.attachments import blob_path
from archive.mailing import Mailing
from archive.members import viewer_for
from archive.models import Post, PostStatus, Space
from archive.outgoing import Letter, Part, queue
from archive.render import mail_html
from archive.spaces import title_in
from archive.urls import attachment_url, post_url
from archive.visibility import may_read
from digest.headers import bounce_address, list_headers, unsubscribe_url
from digest.models import DigestSent, Subscriber
from digest.render import digest_letter
from templates.dates import size

MAX_POSTS = 500  # a digest this long is split over the next rounds rather than sent as a brick


def due_posts(session: Session, subscriber: Subscriber, limit: int = MAX_POSTS) -> list[Post]:
    """Published posts of the subscriber's space after its cursor, in publication order."""
    query = select(Post).where(Post.space_id == subscriber.space_id, Post.status == PostStatus.PUBLISHED)
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
    """The post as list mail: From rewritten to the space (DMARC), replies to the space, same Message-ID,
    its attachments carried up to [digest] attachments_max_bytes, else linked to the archive."""
    language = subscriber.language or (space.languages or [mail.settings.site.language])[0]
    words = mail.words(language)
    author = post.from_name or post.from_addr.partition("@")[0] or words.gettext("someone")
    title = title_in(mail.settings, space, language)
    base = mail.settings.site.base_url
    attached, linked = _attachments(mail, space, post)
    subject = post.subject or words.gettext("(no subject)")
    values = {
        "space": space,
        "post": post,
        "subject": subject if f"[{space.slug}]" in subject else f"[{space.slug}] {subject}",
        "text": post.body_text or words.gettext("(see the archive for this message)"),
        "body_html": Markup(mail_html(post)),
        "attached": attached,
        "linked": linked,
        "limit": size(mail.settings.digest.attachments_max_bytes, language),
        "archived": post_url(base, space.slug, post.message_id),
        "unsubscribe": unsubscribe_url(mail, space.slug, subscriber),
    }
    subject, text = mail.render("post_copy.txt", language, wrap_lines=False, **values)
    return Letter(
        to=subscriber.address,
        subject=subject,
        text=text,
        html=mail.render_html("post_copy.html", language, **values),
        attachments=attached,
        sender=mail.space_address(space.slug),
        sender_name=words.gettext("%(author)s via %(title)s") % {"author": author, "title": title},
        reply_to=mail.space_address(space.slug),
        message_id=post.message_id,
        in_reply_to=post.parent_message_id,
        references=tuple(post.references[:-1]),
        auto_submitted="",
        list_id=(title, f"{space.slug}.{mail.settings.site.domain}"),
        extra=list_headers(mail, space.slug, subscriber, values["archived"]),
    )


@dataclass(frozen=True)
class Linked:
    filename: str
    size: int
    url: str


def _attachments(mail: Mailing, space: Space, post: Post) -> tuple[tuple[Part, ...], list[Linked]]:
    """(carried, linked): all carried when together within the limit and on disk, else all linked."""
    metas = post.attachments
    if sum(m["size"] for m in metas) <= mail.settings.digest.attachments_max_bytes:
        root = mail.settings.data_path / "attachments"
        paths = [blob_path(root, m["sha256"]) for m in metas]
        if all(paths):
            return tuple(Part(m["filename"] or "attachment", _mime(m), p.read_bytes())
                         for m, p in zip(metas, paths, strict=True)), []  # fmt: skip
    base = mail.settings.site.base_url
    return (), [
        Linked(m["filename"], m["size"], attachment_url(base, space.slug, post, i))
        for i, m in enumerate(metas)
    ]


def _mime(meta: dict) -> str:
    """The stored type when it is a well-formed type/subtype, else a neutral one."""
    kind = meta.get("content_type", "")
    return kind if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", kind) else "application/octet-stream"


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
