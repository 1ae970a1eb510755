"""Storing imported messages a batch at a time: one lookup for duplicates, one for parents, one insert.

The rows and their threading are those archive.record.store.store_post (with adopt_replies) gives one
message at a time; tests/unit/archive/test_import_batch.py imports the same mbox both ways and
compares every post.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, text, update
from sqlmodel import Session, col, select

from archive.record.attachments import store_blob
from archive.record.display import body_html
from archive.record.language import post_language
from archive.record.models import Post, PostStatus
from archive.record.parsing import ParsedMessage, ParseLimits, parse_message
from archive.record.replytext import html_to_text
from archive.record.search import scope_of
from archive.record.store import THREAD_STATUSES, named_parent_id
from archive.record.urls import message_hash
from config.database import utcnow

DELETE_INDEXED = text("DELETE FROM post_search WHERE rowid = :id")
INDEX = text(
    "INSERT INTO post_search (rowid, subject, body, author, files, scope) "
    "VALUES (:id, :subject, :body, :author, :files, :scope)"
)


@dataclass
class Prepared:
    """What parsing a message gives, worked out away from the database (in a worker process)."""

    raw: bytes
    message: ParsedMessage  # headers dropped and attachments stored: only what a row needs
    attachments: list[dict]
    language: str
    display_html: str
    raw_sha256: str


@dataclass
class Target:
    """Where a batch goes and how it is stored."""

    space_id: int
    question_id: int | None
    publish: bool


def prepare(raw: bytes, publish: bool, attachment_root: Path) -> Prepared | None:
    """Parse, detect the language, sanitize for display and store attachments; None if unreadable."""
    try:
        message = parse_message(raw, ParseLimits())
    except Exception:  # parse_message records defects; this is the last guard for one message
        return None
    attachments = [
        {"filename": a.filename, "content_type": a.content_type, "size": a.size,
         "sha256": store_blob(attachment_root, a.data)}
        for a in message.attachments
    ]  # fmt: skip
    language = post_language(message.subject, message.body_text or html_to_text(message.body_html), ())
    shown = body_html(message.body_text, message.body_html) if publish else ""
    slim = replace(message, headers={}, attachments=[])  # less to send back from a worker
    return Prepared(raw, slim, attachments, language, shown, hashlib.sha256(raw).hexdigest())


def prepare_chunk(raws: list[bytes], publish: bool, attachment_root: Path) -> list[Prepared | None]:
    """In a worker: each message prepared, its raw bytes left out (the caller has them)."""
    prepared = [prepare(raw, publish, attachment_root) for raw in raws]
    return [replace(p, raw=b"") if p else None for p in prepared]


@dataclass
class _Threads:
    """Thread ids as they merge during a batch (a late parent joins its replies' thread to its own)."""

    merged: dict[int, int] = field(default_factory=dict)

    def find(self, thread: int) -> int:
        while thread in self.merged:
            thread = self.merged[thread]
        return thread

    def join(self, thread: int, into: int) -> None:
        thread, into = self.find(thread), self.find(into)
        if thread != into:
            self.merged[thread] = into


def store_batch(session: Session, target: Target, batch: list[Prepared]) -> tuple[int, int]:
    """Insert the batch's new messages in file order, threaded as if each had been stored alone by
    store_post; returns (stored, duplicates)."""
    _begin_writing(session)  # nobody else writes until this commits: the checks below stay true
    fresh, duplicates = _new_only(session, target.space_id, batch)
    if not fresh:
        return 0, duplicates
    known = _known_parents(session, target.space_id, fresh)
    orphans = _orphans(session, target.space_id, fresh)
    rows = [_row(target, prepared) for prepared in fresh]
    # Ids are taken first so each row is written once, threaded: an UPDATE afterwards rewrites the
    # whole row, raw bytes included (it cost more than the INSERT).
    posts = [
        _Node(post_id, row["message_id"], row["question_id"], None, None, row["parent_message_id"])
        for post_id, row in zip(_new_ids(session, len(rows)), rows, strict=True)
    ]
    threads, adopted = _Threads(), []
    by_message_id: dict[str, _Node] = {}
    for post, prepared in zip(posts, fresh, strict=True):
        _thread(post, prepared.message, by_message_id, known, threads)
        by_message_id[post.message_id] = post
        adopted += _adopt(post, orphans, threads)
        if post.parent_id is None and post.parent_message_id:
            orphans.setdefault(post.parent_message_id, []).append(post)  # a later post may adopt it
    for post, row in zip(posts, rows, strict=True):
        row.update(id=post.id, parent_id=post.parent_id, question_id=post.question_id)
        row["thread_id"] = threads.find(post.thread_id)
    # The table, not the class: the ORM's bulk insert splits rows by which columns are NULL.
    session.connection().execute(insert(Post.__table__), rows)
    _rethread_earlier(session, adopted, threads, {post.id for post in posts})
    if target.publish:
        _index(session, rows)
    return len(rows), duplicates


def _index(session: Session, rows: list[dict]) -> None:
    """archive.record.search.index_post for many posts: its two statements, each run once for the batch
    (the same rows in post_search, compared in tests/unit/archive/test_import_batch.py)."""
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL keeps its own stored vector
    posts = [SimpleNamespace(**row) for row in rows]
    session.execute(DELETE_INDEXED, [{"id": post.id} for post in posts])
    session.execute(
        INDEX,
        [
            {
                "id": post.id,
                "subject": post.subject,
                "body": post.body_text,
                "author": f"{post.from_name} {post.from_addr}",
                "files": " ".join(a.get("filename", "") for a in post.attachments),
                "scope": scope_of(post),
            }
            for post in posts
        ],
    )


def _begin_writing(session: Session) -> None:
    """SQLite: take the write lock now (a DELETE of nothing takes it), so the ids after max(id) stay
    free and no other writer stores one of these messages meanwhile. PostgreSQL's sequence and
    unique constraint need nothing."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("DELETE FROM post WHERE 0")


def _new_ids(session: Session, count: int) -> list[int]:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = "SELECT nextval(pg_get_serial_sequence('post', 'id')) FROM generate_series(1, %(n)s)"
        return list(connection.exec_driver_sql(query, {"n": count}).scalars())
    last = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM post").scalar()
    return list(range(last + 1, last + 1 + count))


def _row(target: Target, prepared: Prepared) -> dict:
    """The columns store_post writes, and those publishing sets (moderation's approve,
    archive.record.publish.prepare_for_display)."""
    message, when, now = prepared.message, prepared.message.sent_at or utcnow(), utcnow()
    published = target.publish
    return {
        "space_id": target.space_id,
        "question_id": target.question_id,
        "status": PostStatus.PUBLISHED if published else PostStatus.HELD,
        "message_id": message.message_id,
        "message_hash": message_hash(message.message_id),
        "from_addr": message.from_addr,
        "from_name": message.from_name,
        "subject": message.subject,
        "sent_at": message.sent_at,
        "received_at": when,
        "parent_message_id": named_parent_id(message),
        "references": message.references,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "attachments": prepared.attachments,
        "defects": message.defects,
        "notes": ["imported"],
        "reason": "",
        "envelope_from": message.from_addr,
        "raw": prepared.raw,
        "raw_sha256": prepared.raw_sha256,
        "language": prepared.language,
        "is_summary": False,
        "published_at": when if published else None,
        "decided_at": now if published else None,
        "decided_by": "import" if published else "",
        "display_html": prepared.display_html if published else "",
    }


@dataclass(slots=True)
class _Node:
    """A post as threading needs it: one stored before this batch, or one of the batch."""

    id: int
    message_id: str
    question_id: int | None
    thread_id: int | None
    parent_id: int | None = None
    parent_message_id: str | None = None


def _new_only(session: Session, space_id: int, batch: list[Prepared]) -> tuple[list[Prepared], int]:
    """The batch without messages the space already has (or that came earlier in the same batch)."""
    ids = [p.message.message_id for p in batch]
    query = select(Post.message_id).where(Post.space_id == space_id, col(Post.message_id).in_(ids))
    seen = set(session.exec(query))
    fresh = []
    for prepared in batch:
        if prepared.message.message_id not in seen:
            seen.add(prepared.message.message_id)
            fresh.append(prepared)
    return fresh, len(batch) - len(fresh)


def _known_parents(session: Session, space_id: int, batch: list[Prepared]) -> dict[str, _Node]:
    """Posts before this batch that a message in it may name as its parent (find_parent's kinds)."""
    named = {c for p in batch for c in (*p.message.in_reply_to, *p.message.references)}
    query = select(Post.message_id, Post.id, Post.question_id, Post.thread_id).where(
        Post.space_id == space_id,
        col(Post.message_id).in_(named),
        col(Post.status).in_(THREAD_STATUSES),
    )
    return {row[0]: _Node(row[1], row[0], row[2], row[3]) for row in session.exec(query)} if named else {}


def _orphans(session: Session, space_id: int, batch: list[Prepared]) -> dict[str, list[_Node]]:
    """Posts before this batch that name one in it as parent but have none yet
    (archive.record.store.ORPHANS)."""
    query = select(Post.parent_message_id, Post.id, Post.thread_id).where(
        Post.space_id == space_id,
        col(Post.parent_message_id).in_([p.message.message_id for p in batch]),
        col(Post.parent_id).is_(None),
    )
    found: dict[str, list[_Node]] = {}
    for named, post_id, thread_id in session.exec(query.order_by(Post.id)):
        found.setdefault(named, []).append(_Node(post_id, "", None, thread_id, None, named))
    return found


def _thread(post: _Node, message: ParsedMessage, batch: dict[str, _Node], known: dict, threads: _Threads):
    """store_post's rule: the first of In-Reply-To, then References from the last, that we have."""
    for candidate in [*message.in_reply_to, *reversed(message.references)]:
        parent = batch.get(candidate) or known.get(candidate)
        if parent is not None:
            break
    else:
        post.thread_id = post.id
        return
    if parent.question_id is not None:
        post.question_id = parent.question_id  # a reply joins its thread's question
    post.parent_id = parent.id
    post.thread_id = threads.find(parent.thread_id) if parent.thread_id else post.id


def _adopt(post: _Node, orphans: dict[str, list], threads: _Threads) -> list[_Node]:
    """adopt_replies: earlier replies to this post hang under it, and their threads join its own."""
    children = orphans.pop(post.message_id, [])
    for child in children:
        child.parent_id = post.id
        if child.thread_id:
            threads.join(child.thread_id, post.thread_id)
    return [c for c in children if c.message_id == ""]  # stored before: updated in SQL


def _rethread_earlier(session: Session, adopted: list[_Node], threads: _Threads, mine: set[int]) -> None:
    """Posts stored before this batch that it gave a parent, or whose thread joined another."""
    post, connection = Post.__table__, session.connection()
    if adopted:
        connection.execute(
            update(post).where(post.c.id == bindparam("pid")).values(parent_id=bindparam("parent")),
            [{"pid": orphan.id, "parent": orphan.parent_id} for orphan in adopted],
        )
    for thread in [t for t in threads.merged if t not in mine]:
        connection.execute(
            update(post).where(post.c.thread_id == thread).values(thread_id=threads.find(thread))
        )
