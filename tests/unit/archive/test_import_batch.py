"""Importing a batch at a time stores what storing one message at a time (store_post) stores."""

from __future__ import annotations

import mailbox

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from archive.record import importer
from archive.record.import_batch import Target
from archive.record.importer import ImportReport, count_messages, import_mbox, messages, store_each
from archive.record.models import Post
from archive.record.spaces import question_row, space_row
from config.database import session_scope
from tests.unit.archive.import_corpus import corpus, mbox_file

SLUG = "unece-review"
INDEXED = text("SELECT rowid, subject, body, author, files, scope FROM post_search")


def stored(engine) -> list[tuple]:
    """Every post as pages and threads see it, ids replaced by Message-IDs (they differ per run)."""
    with session_scope(engine) as session:
        posts = list(session.exec(select(Post).order_by(Post.message_id)))
        by_id = {p.id: p.message_id for p in posts}
        rows = [
            (p.message_id, by_id.get(p.parent_id), by_id.get(p.thread_id), p.question_id, p.status,
             p.parent_message_id, p.subject, p.from_addr, p.from_name, p.sent_at, p.received_at,
             p.references, p.body_text, p.body_html, p.attachments, p.defects, p.notes, p.raw,
             p.raw_sha256, p.language, p.display_html, p.published_at, p.decided_by, p.message_hash)
            for p in posts
        ]  # fmt: skip
        if session.get_bind().dialect.name == "sqlite":
            indexed = session.execute(
                text("SELECT rowid, subject, body, author, files, scope FROM post_search")
            )
            rows += sorted((by_id[row[0]], *row[1:]) for row in indexed)
    return rows


def attachments(hub):
    return hub.settings.data_path / "attachments"


def one_at_a_time(hub, path, question: int | None, publish: bool) -> ImportReport:
    report = ImportReport()
    with session_scope(hub.engine) as session:
        space = space_row(session, SLUG)
        row = question_row(session, space.id, question) if question else None
        target = Target(space.id, row.id if row else None, publish)
    for raw in messages(path):
        store_each(hub.engine, target, [raw], hub.settings.data_path / "attachments", report)
    return report


@pytest.mark.parametrize(("question", "publish", "batch"), [(None, True, 500), (1, False, 7), (2, True, 1)])
def test_a_batch_stores_what_one_message_at_a_time_stores(hub, tmp_path, make_hub, question, publish, batch):
    path = mbox_file(tmp_path / "list.mbox", corpus(seed=question or 0))
    expected = one_at_a_time(hub, path, question, publish)
    other = make_hub("batched")
    importer.BATCH, saved = batch, importer.BATCH
    try:
        got = import_mbox(
            other.engine, path, SLUG, question, publish, other.settings.data_path / "attachments"
        )
    finally:
        importer.BATCH = saved
    assert (got.stored, got.duplicates, got.unreadable) == (expected.stored, expected.duplicates, 0)
    assert got.stored == 64 and got.duplicates == 1
    assert stored(other.engine) == stored(hub.engine)


def test_worker_processes_store_the_same(hub, tmp_path, make_hub):
    path = mbox_file(tmp_path / "list.mbox", corpus(seed=5, count=120))
    import_mbox(hub.engine, path, SLUG, None, True, hub.settings.data_path / "attachments", workers=0)
    other = make_hub("parallel")
    report = import_mbox(
        other.engine, path, SLUG, None, True, other.settings.data_path / "attachments", workers=2
    )
    assert report.stored == 124
    assert stored(other.engine) == stored(hub.engine)


def test_a_batch_that_fails_is_stored_one_message_at_a_time(hub, tmp_path, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    def refuse(*args):
        raise IntegrityError("INSERT", {}, Exception("stored meanwhile by hubmail serve"))

    path = mbox_file(tmp_path / "list.mbox", corpus(seed=2))
    monkeypatch.setattr(importer, "store_batch", refuse)
    report = import_mbox(hub.engine, path, SLUG, None, True, hub.settings.data_path / "attachments")
    assert (report.stored, report.duplicates) == (64, 1)


def test_importing_again_stores_nothing(hub, tmp_path):
    path = mbox_file(tmp_path / "list.mbox", corpus(seed=3))
    root = hub.settings.data_path / "attachments"
    assert import_mbox(hub.engine, path, SLUG, None, True, root).stored == 64
    before = stored(hub.engine)
    again = import_mbox(hub.engine, path, SLUG, None, True, root)
    assert (again.stored, again.duplicates) == (0, 65)
    assert stored(hub.engine) == before


@pytest.fixture()
def make_hub(tmp_path, database, request):
    from gateway.hub import open_hub
    from tests.configs import make_settings
    from tests.conftest import fresh_postgres_database

    hubs = []

    def make(name: str):
        url = fresh_postgres_database(request.getfixturevalue("postgres_url")) if database else ""
        hubs.append(open_hub(make_settings(tmp_path / name, database=url)))
        return hubs[-1]

    yield make
    for made in hubs:
        made.engine.dispose()


MBOX_LINES = st.sampled_from(
    [b"From a@b Sat Jun  1 10:00:00 2024", b"From ", b">From x", b">>From y", b"", b"text", b"\r", b"From"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(MBOX_LINES, max_size=12), st.booleans())
def test_the_mbox_is_read_as_the_mailbox_module_reads_it(tmp_path_factory, lines, final_newline):
    path = tmp_path_factory.mktemp("mbox") / "any.mbox"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    box = mailbox.mbox(str(path), create=False)
    expected = [importer.QUOTED_FROM.sub(rb"\1", box.get_bytes(key)) for key in box.iterkeys()]
    assert list(messages(path)) == expected
    assert count_messages(path) == len(expected)
