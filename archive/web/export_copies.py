"""Exported files that are stored bytes: /raw, attachments, and mbox downloads, read a batch a query.

The same bytes as the app serves (tests/unit/archive/test_export.py compares them), without a
request per file: /raw (as published) and attachments are what the record holds, mbox files are
archive.web.feeds' mboxrd gzipped as it gzips them.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from archive.record import reading, urls
from archive.record.attachments import blob_path
from archive.record.edits import PUBLIC_RAW
from archive.record.mbox import mbox_gz
from archive.record.models import Post
from archive.record.visibility import gives_raw_mail
from archive.web.export_batch import Context

# The same function remembered: a post's hash is asked for on each of its pages and files.
message_hash = functools.lru_cache(maxsize=1 << 17)(urls.message_hash)
IN_MBOX = (Post.thread_id, Post.question_id, Post.received_at, Post.from_addr, PUBLIC_RAW)


def raws(page: Context, ids: list[int]) -> Iterable[tuple]:
    """downloads.raw: the message as published (archive.record.edits), never for a private space."""
    if not gives_raw_mail(page.space):
        return
    query = select(Post.id, PUBLIC_RAW).where(*_published(page), Post.id.in_(ids))
    yield from page.session.connection().execute(query)


def attachments(page: Context, keys: list[tuple[int, int]]) -> Iterable[tuple]:
    """downloads.attachment: the stored blob's bytes, where the blob is there."""
    query = select(Post.id, Post.message_id, Post.attachments).where(
        *_published(page), Post.id.in_({post for post, _ in keys})
    )
    found = {row.id: row for row in page.session.connection().execute(query)}
    root = page.archive.settings.data_path / "attachments"
    for post_id, index in keys:
        row = found.get(post_id)
        if row is None or index >= len(row.attachments):
            continue
        meta = row.attachments[index]
        path = blob_path(root, meta["sha256"])
        if path is not None:
            yield (post_id, index), path.read_bytes()


def thread_mboxes(page: Context, roots: list[int]) -> Iterable[tuple]:
    """downloads.thread_mbox: each thread's raw messages in order (reading.in_order)."""
    if not gives_raw_mail(page.space):
        return
    heads = page.posts(Post.id.in_(roots))
    grouped = defaultdict(list)
    for row in _in_order(page, thread_in({h.thread_id for h in heads})):
        grouped[row.thread_id].append(row)
    for root in heads:
        yield root.id, mbox_gz(grouped[root.thread_id])


def mboxes(page: Context, keys: list[tuple[int, int] | None]) -> Iterable[tuple]:
    """downloads.space_mbox (key None) and question_mbox (key (question id, number))."""
    if not gives_raw_mail(page.space):
        return
    for key in keys:
        rows = _in_order(page) if key is None else _in_order(page, Post.question_id == key[0])
        yield key, mbox_gz(rows)


def thread_in(thread_ids: set):
    """thread_id among these; None matches posts without one, as `Post.thread_id == None` does."""
    clause = Post.thread_id.in_([t for t in thread_ids if t is not None])
    return clause | Post.thread_id.is_(None) if None in thread_ids else clause


def _published(page: Context) -> tuple:
    return Post.space_id == page.space.id, Post.status == reading.PUBLISHED


def _in_order(page: Context, *where) -> list:
    query = select(*IN_MBOX).where(*_published(page), *where).order_by(Post.received_at, Post.id)
    return list(page.session.connection().execute(query))


COPIES = {"raw": raws, "attachment": attachments, "thread_mbox": thread_mboxes, "mbox": mboxes}
