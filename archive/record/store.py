"""Storing a post once per space and Message-ID, joined to its thread by In-Reply-To/References."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import bindparam, update
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from archive.record.attachments import store_blob
from archive.record.language import post_language
from archive.record.models import CommandMail, Post, PostStatus
from archive.record.parsing import ParsedMessage
from archive.record.replytext import html_to_text
from archive.record.urls import message_hash

THREAD_STATUSES = (PostStatus.HELD, PostStatus.PUBLISHED)
LIGHT = [defer(Post.raw), defer(Post.edited_raw), defer(Post.body_text), defer(Post.body_html),
         defer(Post.display_html)]  # fmt: skip


# Asked of every new message: written once, run with values (a sixth of building them each time).
POST_BY_ID = select(Post.id).where(Post.space_id == bindparam("space"), Post.message_id == bindparam("id"))
POST_BY_SENDER = select(Post.id).where(Post.space_id == bindparam("space"), Post.from_addr == bindparam("a"))
ORPHANS = select(Post.id, Post.thread_id).where(
    Post.space_id == bindparam("space"),
    Post.parent_message_id == bindparam("id"),
    Post.parent_id.is_(None),
)


def find_post(session: Session, space_id: int, message_id: str) -> Post | None:
    """The post, its heavy columns (the raw bytes, texts) loaded only if they are read."""
    if not post_exists(session, space_id, message_id):
        return None  # the usual answer for a new message, found without building a Post
    query = select(Post).where(Post.space_id == space_id, Post.message_id == message_id).options(*LIGHT)
    return session.exec(query).first()


def post_exists(session: Session, space_id: int, message_id: str) -> bool:
    found = session.connection().execute(POST_BY_ID, {"space": space_id, "id": message_id}).first()
    return found is not None


def sent_before(session: Session, space_id: int, address: str) -> bool:
    """Has this address written to the space before (an indexed look, not a count)?"""
    found = session.connection().execute(POST_BY_SENDER.limit(1), {"space": space_id, "a": address}).first()
    return bool(address) and found is not None


def command_seen(session: Session, kind: str, message_id: str) -> bool:
    """Has this command message (a moderation reply, a list request) been acted on already?"""
    query = select(CommandMail.id).where(CommandMail.kind == kind, CommandMail.message_id == message_id)
    return session.exec(query).first() is not None


def record_command(
    session: Session,
    kind: str,
    message: ParsedMessage,
    raw: bytes,
    outcome: str,
    now: dt.datetime,
    key: str = "",
) -> None:
    """Keep the command message and what came of it; `command_seen(kind, key)` then stops a
    second run. The key is the Message-ID unless one message may act more than once."""
    session.add(
        CommandMail(
            kind=kind,
            message_id=key or message.message_id,
            from_addr=message.from_addr,
            outcome=outcome,
            raw=raw,
            received_at=now,
        )
    )


def find_parent(session: Session, space_id: int, message: ParsedMessage) -> Post | None:
    """The post named by In-Reply-To, else the last known id in References (public-inbox's way)."""
    for candidate in [*message.in_reply_to, *reversed(message.references)]:
        post = find_post(session, space_id, candidate)
        if post is not None and post.status in THREAD_STATUSES:
            return post
    return None


def named_parent_id(message: ParsedMessage) -> str | None:
    """The parent a message names, known to us or not (kept for threading a late parent)."""
    if message.in_reply_to:
        return message.in_reply_to[0]
    return message.references[-1] if message.references else None


def store_post(
    session: Session,
    *,
    space_id: int,
    question_id: int | None,
    status: str,
    message: ParsedMessage,
    raw: bytes,
    envelope_from: str,
    received_at: dt.datetime,
    attachment_root: Path,
    reason: str = "",
    notes: list[str] | None = None,
    languages: tuple[str, ...] = (),
    parent: Post | None = None,
) -> Post:
    """Insert the post (the caller has checked it is new) and thread it under `parent` (find_parent)."""
    if parent is not None and parent.question_id is not None:
        question_id = parent.question_id  # a reply joins its thread's question, whatever the address
    post = Post(
        space_id=space_id,
        question_id=question_id,
        status=status,
        message_id=message.message_id,
        message_hash=message_hash(message.message_id),
        from_addr=message.from_addr,
        from_name=message.from_name,
        subject=message.subject,
        sent_at=message.sent_at,
        received_at=received_at,
        parent_message_id=named_parent_id(message),
        parent_id=parent.id if parent else None,
        references=message.references,
        body_text=message.body_text,
        body_html=message.body_html,
        attachments=_store_attachments(attachment_root, message),
        defects=message.defects,
        notes=notes or [],
        reason=reason,
        envelope_from=envelope_from,
        raw=raw,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        language=post_language(
            message.subject, message.body_text or html_to_text(message.body_html), languages
        ),
    )
    session.add(post)
    session.flush()
    post.thread_id = parent.thread_id if parent and parent.thread_id else post.id
    session.add(post)
    if status in THREAD_STATUSES:
        adopt_replies(session, post)
    return post


def adopt_replies(session: Session, post: Post) -> None:
    """Replies that arrived before the post they answer (mail is not always delivered in order)
    are hung under it now, and their threads join its thread: thread_id stays the one truth."""
    found = session.connection().execute(ORPHANS, {"space": post.space_id, "id": post.message_id}).all()
    if not found:
        return
    orphans, threads = [row.id for row in found], {row.thread_id for row in found if row.thread_id}
    session.execute(update(Post).where(Post.id.in_(orphans)).values(parent_id=post.id))
    session.execute(update(Post).where(Post.thread_id.in_(threads)).values(thread_id=post.thread_id))


def _store_attachments(root: Path, message: ParsedMessage) -> list[dict]:
    return [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": store_blob(root, a.data),
        }
        for a in message.attachments
    ]
