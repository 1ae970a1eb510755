"""A question's threads as a list: who started each, how many took part and replied, when it last moved."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, func, select

from archive.record.models import Member, Post, PostStatus
from archive.record.reading import Page

ORDERS = ("activity", "replies")  # a reader's choice: newest activity first (the default), most replies
THREAD = func.coalesce(Post.thread_id, Post.id)  # never unset by the gateway; a guard for old rows
# What a row of the list shows: no bodies, no raw bytes.
LISTED = load_only(
    Post.id, Post.thread_id, Post.message_id, Post.subject, Post.from_addr, Post.from_name,
    Post.language, Post.attachments, Post.published_at, Post.received_at,
)  # fmt: skip


@dataclass
class ThreadRow:
    """One thread of the list: its first post and what the rest of it adds up to."""

    root: Post
    organisation: str
    replies: int
    participants: int
    languages: list[str]  # most written first
    attachments: int
    last_activity: dt.datetime

    @property
    def thread_id(self) -> int:
        return self.root.thread_id or self.root.id


def thread_rows(
    session: Session, space_id: int, question_id: int | None, page: int, size: int, order: str = "activity"
) -> Page:
    """The question's threads (None: the space's general discussion), a page at a time."""
    threads = thread_order(session, space_id, question_id, order)
    count = max(1, -(-len(threads) // size))
    number = min(max(page, 1), count)
    return Page(rows_of(session, space_id, threads[(number - 1) * size : number * size]), number, count)


def thread_order(
    session: Session, space_id: int, question_id: int | None, order: str = "activity"
) -> list[int]:
    """The question's thread ids in the list's order, decided in SQL on one grouped read of the
    question's posts (an index holds what it needs): "activity", the newest publication first;
    "replies", the most posts first; "started", the order the threads began (previous and next)."""
    last = func.max(func.coalesce(Post.published_at, Post.received_at))
    query = (
        select(THREAD)
        .where(
            Post.space_id == space_id, Post.status == PostStatus.PUBLISHED, Post.question_id == question_id
        )
        .group_by(THREAD)
    )
    if order == "replies":
        query = query.order_by(func.count().desc(), last.desc(), THREAD.desc())
    elif order == "started":
        query = query.order_by(func.min(Post.received_at), THREAD)
    else:
        query = query.order_by(last.desc(), THREAD.desc())
    return list(session.exec(query))


def rows_of(session: Session, space_id: int, thread_ids: list[int]) -> list[ThreadRow]:
    """The list's rows for these threads, in the order given."""
    if not thread_ids:
        return []
    query = (
        select(Post)
        .where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED, in_threads(thread_ids))
        .options(LISTED)
        .order_by(col(Post.received_at), col(Post.id))
    )
    by_thread: dict[int, list[Post]] = {}
    for post in session.exec(query):
        by_thread.setdefault(post.thread_id or post.id, []).append(post)
    starters = {posts[0].from_addr for posts in by_thread.values()}
    organisations = organisations_of(session, space_id, starters)
    return [_row(by_thread[t], organisations) for t in thread_ids if t in by_thread]


def in_threads(thread_ids) -> ColumnElement[bool]:
    """Posts of these threads, found through the thread_id index (THREAD.in_ reads every post of
    the space to compute it: 60–250 ms at 20,000 posts a space, against a few ms)."""
    ids = list(thread_ids)
    return or_(col(Post.thread_id).in_(ids), and_(col(Post.thread_id).is_(None), col(Post.id).in_(ids)))


def _row(posts: list[Post], organisations: dict[str, str]) -> ThreadRow:
    root = next((p for p in posts if p.id == (p.thread_id or p.id)), posts[0])
    languages = Counter(p.language for p in posts if p.language)
    return ThreadRow(
        root=root,
        organisation=organisation(root.from_addr, organisations),
        replies=len(posts) - 1,
        participants=len({p.from_addr.lower() for p in posts}),
        languages=[code for code, _ in languages.most_common()],
        attachments=sum(len(p.attachments) for p in posts),
        last_activity=max(p.published_at or p.received_at for p in posts),
    )


def organisations_of(session: Session, space_id: int, addresses: set[str]) -> dict[str, str]:
    """The organisation each member of the space gave (`hubmail members add --organisation`)."""
    if not addresses:
        return {}
    query = select(Member.address, Member.organisation).where(
        Member.space_id == space_id, col(Member.address).in_(addresses), Member.organisation != ""
    )
    return dict(session.exec(query).all())


def organisations_shown(session: Session, space_id: int, posts: list[Post]) -> dict[str, str]:
    """Sender address -> the organisation a post card shows beside the name (as organisation())."""
    known = organisations_of(session, space_id, {p.from_addr for p in posts})
    return {p.from_addr: organisation(p.from_addr, known) for p in posts}


def organisation(address: str, known: dict[str, str]) -> str:
    """A member's own organisation, else the domain of the address (what a reader can tell)."""
    return known.get(address) or address.partition("@")[2]


def neighbours(
    session: Session, space_id: int, question_id: int | None, thread_id: int
) -> tuple[Post | None, Post | None]:
    """The first posts of the threads started just before and just after this one in the same
    question, for a thread page's previous and next links."""
    before, after = adjacent(thread_order(session, space_id, question_id, "started"), thread_id)
    firsts = first_posts(session, space_id, {t for t in (before, after) if t})
    return firsts.get(before), firsts.get(after)


def adjacent(order: list[int], thread_id: int) -> tuple[int | None, int | None]:
    if thread_id not in order:
        return None, None
    at = order.index(thread_id)
    return (order[at - 1] if at else None), (order[at + 1] if at + 1 < len(order) else None)


def first_posts(session: Session, space_id: int, thread_ids: set[int]) -> dict[int, Post]:
    """Each thread's first published post: its starter (whose id is the thread's), else, where the
    starter is not public, the earliest published post of it."""
    if not thread_ids:
        return {}
    published = (Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
    found = {
        p.id: p
        for p in session.exec(select(Post).where(col(Post.id).in_(thread_ids), *published).options(LISTED))
    }
    missing = thread_ids - found.keys()
    if missing:
        query = select(Post).where(in_threads(missing), *published).options(LISTED)
        for post in session.exec(query.order_by(col(Post.received_at).desc(), col(Post.id).desc())):
            found[post.thread_id or post.id] = post  # the earliest is the last written
    return found
