"""Importing an existing list archive (an mbox from Mailman, pipermail or Google Groups) into a space."""

from __future__ import annotations

import itertools
import mmap
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from archive.record.import_batch import Prepared, Target, prepare, prepare_chunk, store_batch
from archive.record.models import PostStatus
from archive.record.parsing import ParseLimits, parse_message
from archive.record.publish import prepare_for_display
from archive.record.spaces import question_row, space_row
from archive.record.store import find_parent, find_post, store_post
from config.database import session_scope, utcnow
from config.planner import refresh_statistics

QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")  # mboxrd: ">From " was "From ", ">>From " was ">From "
FROM_LINE = re.compile(rb"\nFrom ")  # where mailbox.mbox starts a message (or at the very start)
BATCH = 500  # messages stored in one transaction (one fsync)
CHUNK = 50  # messages parsed by a worker at a time
PARALLEL_FROM = 400  # fewer messages than this are parsed here: starting workers costs more


@dataclass
class ImportReport:
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0


def messages(path: Path) -> Iterator[bytes]:
    """Raw bytes of each message, in file order (parents usually come before their replies), with
    mboxrd's quoting of "From " lines undone (our own exports quote them so).

    The same bytes as mailbox.mbox gives (tested), found with one regular expression over the
    mapped file instead of a readline per line."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            starts = [(start, _line_end(data, start)) for start in _from_lines(data)]
            ends = [start for start, _ in starts[1:]] + [len(data)] * bool(starts)
            for (_, body), end in zip(starts, ends, strict=True):
                # mailbox.mbox leaves out the blank line that separates a message from the next
                if end - 1 >= body and data[end - 2 : end] == b"\n\n":
                    end -= 1
                raw = data[body:end]
                yield QUOTED_FROM.sub(rb"\1", raw) if b">From " in raw else raw


def _from_lines(data) -> Iterator[int]:
    """Where each line starting "From " starts (a literal search: far faster than ^ per line)."""
    if data[:5] == b"From ":
        yield 0
    for match in FROM_LINE.finditer(data):
        yield match.start() + 1


def _line_end(data, start: int) -> int:
    end = data.find(b"\n", start)
    return len(data) if end < 0 else end + 1


def count_messages(path: Path) -> int:
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return sum(1 for _ in _from_lines(data))


def import_mbox(
    engine: Engine,
    path: Path,
    slug: str,
    question: int | None,
    publish: bool,
    attachment_root: Path,
    progress: Callable[[int], None] = lambda n: None,
    workers: int | None = None,
) -> ImportReport:
    """Store each message once (by Message-ID), threaded; no notices or receipts are sent.

    Messages are parsed in `workers` processes (by default one per core for a large file) while this
    one stores them, BATCH to a transaction."""
    report = ImportReport()
    with session_scope(engine) as session:
        space = space_row(session, slug)
        row = question_row(session, space.id, question) if question else None
    target = Target(space.id, row.id if row else None, publish)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if count_messages(path) >= PARALLEL_FROM else 0
    for batch in _batched(_prepared(path, publish, attachment_root, workers), BATCH):
        _store(engine, target, list(batch), attachment_root, report)
        progress(len(batch))
    if report.stored:
        refresh_statistics(engine)  # the planner's picture of the table changed with it
    return report


def _prepared(path: Path, publish: bool, root: Path, workers: int) -> Iterator[Prepared | bytes]:
    """Each message prepared (archive.record.import_batch.prepare), or its bytes where it could not be."""
    raws = messages(path)
    if workers <= 0:
        for raw in raws:
            yield prepare(raw, publish, root) or raw
        return
    # spawn, not fork: this process holds database connections and rich's refresh thread.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        chunks = (list(chunk) for chunk in _batched(raws, CHUNK))
        for chunk, results in _in_order(pool, chunks, publish, root, 4 * workers):
            for raw, result in zip(chunk, results, strict=True):
                yield replace(result, raw=raw) if result else raw


def _batched(items: Iterable, size: int) -> Iterator[tuple]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def _in_order(pool, chunks: Iterable[list[bytes]], publish: bool, root: Path, window: int):
    """(chunk, results) in file order, with at most `window` chunks in flight (the mbox is read as
    the workers go, not all at once)."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append((chunk, pool.apply_async(prepare_chunk, (chunk, publish, root))))
        if len(pending) >= window:
            chunk, result = pending.popleft()
            yield chunk, result.get()
    while pending:
        chunk, result = pending.popleft()
        yield chunk, result.get()


def _store(engine: Engine, target: Target, batch: list, root: Path, report: ImportReport) -> None:
    """The batch in one transaction; should that fail (a message stored meanwhile by `hubmail serve`),
    again one message at a time, so only what cannot be stored is left out."""
    readable = [item for item in batch if isinstance(item, Prepared)]
    try:
        with session_scope(engine) as session:
            stored, duplicates = store_batch(session, target, readable)
    except DBAPIError:
        store_each(engine, target, [i if isinstance(i, bytes) else i.raw for i in batch], root, report)
        return
    report.stored += stored
    report.duplicates += duplicates
    report.unreadable += len(batch) - len(readable)


def store_each(engine: Engine, target: Target, raws: list[bytes], root: Path, report: ImportReport) -> None:
    """Each message through archive.record.store.store_post, in a savepoint of its own: the slow, sure way."""
    with session_scope(engine) as session:
        for raw in raws:
            with session.begin_nested():
                _import_one(session, raw, target, root, report)


def _import_one(session, raw: bytes, target: Target, attachment_root: Path, report: ImportReport) -> None:
    try:
        message = parse_message(raw, ParseLimits())
    except Exception:  # parse_message records defects; this is the last guard for one message
        report.unreadable += 1
        return
    if find_post(session, target.space_id, message.message_id) is not None:
        report.duplicates += 1
        return
    received = message.sent_at or utcnow()
    post = store_post(
        session,
        space_id=target.space_id,
        question_id=target.question_id,
        status=PostStatus.PUBLISHED if target.publish else PostStatus.HELD,
        message=message,
        raw=raw,
        envelope_from=message.from_addr,
        received_at=received,
        attachment_root=attachment_root,
        notes=["imported"],
        parent=find_parent(session, target.space_id, message),
    )
    if target.publish:
        post.published_at, post.decided_at, post.decided_by = received, utcnow(), "import"
        prepare_for_display(session, post)
    report.stored += 1
