"""Importing an existing list archive (an mbox from Mailman, pipermail or Google Groups) into a space."""

from __future__ import annotations

import itertools
import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from archive.models import PostStatus
from archive.parsing import ParseLimits, parse_message
from archive.publish import prepare_for_display
from archive.spaces import question_row, space_row
from archive.store import find_parent, find_post, store_post
from config.database import session_scope, utcnow

QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")  # mboxrd: ">From " was "From ", ">>From " was ">From "
BATCH = 200  # messages stored in one transaction, each in a savepoint


@dataclass
class ImportReport:
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0


def messages(path: Path) -> Iterator[bytes]:
    """Raw bytes of each message, in file order (parents usually come before their replies), with
    mboxrd's quoting of "From " lines undone (our own exports quote them so)."""
    box = mailbox.mbox(str(path), create=False)
    try:
        for key in box.iterkeys():
            yield QUOTED_FROM.sub(rb"\1", box.get_bytes(key))
    finally:
        box.close()


def count_messages(path: Path) -> int:
    return sum(1 for _ in mailbox.mbox(str(path), create=False).iterkeys())


def import_mbox(
    engine: Engine,
    path: Path,
    slug: str,
    question: int | None,
    publish: bool,
    attachment_root: Path,
    progress: Callable[[], None] = lambda: None,
) -> ImportReport:
    """Store each message once (by Message-ID), threaded; no notices or receipts are sent."""
    report = ImportReport()
    with session_scope(engine) as session:
        space = space_row(session, slug)
        row = question_row(session, space.id, question) if question else None
    pending = messages(path)
    while batch := list(itertools.islice(pending, BATCH)):
        with session_scope(engine) as session:  # one commit (one fsync) for BATCH messages
            for raw in batch:
                with session.begin_nested():
                    _import_one(
                        session, raw, space.id, row.id if row else None, publish, attachment_root, report
                    )
                progress()
    return report


def _import_one(
    session,
    raw: bytes,
    space_id: int,
    question_id: int | None,
    publish: bool,
    attachment_root: Path,
    report: ImportReport,
) -> None:
    try:
        message = parse_message(raw, ParseLimits())
    except Exception:  # parse_message records defects; this is the last guard for one message
        report.unreadable += 1
        return
    if find_post(session, space_id, message.message_id) is not None:
        report.duplicates += 1
        return
    received = message.sent_at or utcnow()
    post = store_post(
        session,
        space_id=space_id,
        question_id=question_id,
        status=PostStatus.PUBLISHED if publish else PostStatus.HELD,
        message=message,
        raw=raw,
        envelope_from=message.from_addr,
        received_at=received,
        attachment_root=attachment_root,
        notes=["imported"],
        parent=find_parent(session, space_id, message),
    )
    if publish:
        post.published_at, post.decided_at, post.decided_by = received, utcnow(), "import"
        prepare_for_display(session, post)
    report.stored += 1
