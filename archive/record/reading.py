"""What the archive's pages show, read from the database once per page (pages and export share it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from archive.record.edits import PUBLIC_RAW
from archive.record.models import Post, PostStatus, Question, Space
from archive.record.threads import Node, build_threads, flatten
from archive.record.visibility import Viewer, may_read
from config.calendar import moment
from config.database import session_scope
from config.spaces import SpaceConfig

PUBLISHED = PostStatus.PUBLISHED
# Pages show display_html: the raw bytes and the unsanitized HTML stay in the database unless
# asked for (/raw and mbox load them on access).
LIGHT_FOR_PAGES = (defer(Post.raw), defer(Post.edited_raw), defer(Post.body_html))


@dataclass
class Page:
    """A slice of a long list: items, this page's number, and how many pages there are."""

    items: list
    number: int
    count: int


def state(config: SpaceConfig | None, space: Space, now: dt.datetime) -> str:
    """before, open, between, grace or closed: the calendar's answer, the same on every page
    (a space no longer in the configuration is judged by its stored dates)."""
    return moment(config if config is not None else space, now).state


def readable_space(session: Session, slug: str, viewer: Viewer) -> Space | None:
    """The space, or None where it does not exist or the viewer may not read it (same answer)."""
    space = session.exec(select(Space).where(Space.slug == slug)).first()
    return space if space is not None and may_read(space, viewer) else None


def published(session: Session, space_id: int):
    return select(Post).where(Post.space_id == space_id, Post.status == PUBLISHED).options(*LIGHT_FOR_PAGES)


def counts_by_question(session: Session, space_id: int) -> dict[int | None, int]:
    query = (
        select(Post.question_id, func.count())
        .where(Post.space_id == space_id, Post.status == PUBLISHED)
        .group_by(Post.question_id)
    )
    return dict(session.exec(query).all())


def questions(session: Session, space_id: int) -> list[Question]:
    query = select(Question).where(Question.space_id == space_id, col(Question.retired).is_(False))
    return list(session.exec(query.order_by(Question.number)))


def latest(session: Session, space_id: int, limit: int = 10, language: str = "") -> list[Post]:
    """The newest published posts; only those written in `language` when one is given."""
    query = published(session, space_id).order_by(col(Post.published_at).desc(), col(Post.id).desc())
    if language:
        query = query.where(Post.language == language)
    return list(session.exec(query.limit(limit)))


def summary(session: Session, space_id: int) -> Post | None:
    """The moderators' newest published summary, pinned at the top of the space page."""
    query = published(session, space_id).where(col(Post.is_summary).is_(True))
    return session.exec(query.order_by(col(Post.published_at).desc())).first()


def counts_by_language(session: Session, space_id: int) -> dict[str, int]:
    """Published posts per detected language, most first ("" is "could not tell")."""
    query = (
        select(Post.language, func.count())
        .where(Post.space_id == space_id, Post.status == PUBLISHED)
        .group_by(Post.language)
    )
    return dict(sorted(session.exec(query).all(), key=lambda pair: -pair[1]))


def post_by_hash(session: Session, space_id: int, digest: str) -> Post | None:
    query = published(session, space_id).where(Post.message_hash == digest.upper())
    return session.exec(query).first()


def thread_of(session: Session, post: Post) -> list[tuple[Node, int]]:
    query = published(session, post.space_id).where(Post.thread_id == post.thread_id)
    return flatten(build_threads(list(session.exec(query))))


def thread_root(session: Session, post: Post) -> Post:
    """The post that started this post's thread (itself when it did, or when the root is not public)."""
    root = session.get(Post, post.thread_id) if post.thread_id and post.thread_id != post.id else None
    return root if root is not None and root.status == PUBLISHED else post


def parents_of(session: Session, posts: list[Post]) -> dict[int, Post]:
    """Each post's published parent, for "in reply to <author>" lines."""
    ids = {p.parent_id for p in posts if p.parent_id}
    if not ids:
        return {}
    found = session.exec(select(Post).where(col(Post.id).in_(ids), Post.status == PUBLISHED))
    parents = {parent.id: parent for parent in found}
    return {p.id: parents[p.parent_id] for p in posts if p.parent_id in parents}


def newest(session: Session, space_id: int, question_id: int | None = None, limit: int = 50) -> list[Post]:
    query = published(session, space_id)
    if question_id is not None:
        query = query.where(Post.question_id == question_id)
    return list(session.exec(query.order_by(col(Post.received_at).desc()).limit(limit)))


def raw_in_batches(
    engine, space_id: int, question_id: int | None = None, thread_id: int | None = None, size: int = 500
) -> Iterator[list[tuple]]:
    """(from, received_at, raw as published) of the published posts in order, `size` at a time,
    each batch read in a short session of its own (a slow download holds no transaction open)."""
    last = None
    while True:
        query = select(Post.from_addr, Post.received_at, PUBLIC_RAW, Post.id).where(
            Post.space_id == space_id, Post.status == PUBLISHED
        )
        if question_id is not None:
            query = query.where(Post.question_id == question_id)
        if thread_id is not None:
            query = query.where(Post.thread_id == thread_id)
        if last is not None:
            at, post_id = last
            query = query.where(
                or_(col(Post.received_at) > at, and_(col(Post.received_at) == at, col(Post.id) > post_id))
            )
        with session_scope(engine, writes=False) as session:
            rows = session.exec(query.order_by(col(Post.received_at), col(Post.id)).limit(size)).all()
        if not rows:
            return
        yield [(from_addr, received_at, raw) for from_addr, received_at, raw, _ in rows]
        last = (rows[-1][1], rows[-1][3])


def in_order(
    session: Session, space_id: int, question_id: int | None = None, thread_id: int | None = None
) -> list[Post]:
    query = published(session, space_id)
    if question_id is not None:
        query = query.where(Post.question_id == question_id)
    if thread_id is not None:
        query = query.where(Post.thread_id == thread_id)
    return list(session.exec(query.order_by(col(Post.received_at), col(Post.id))))
