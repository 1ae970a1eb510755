"""Group commit: a batch of spooled messages is stored in one transaction, each in its own savepoint."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import func, select

from archive.record.models import Post
from config.database import session_scope
from gateway.spool import Envelope
from gateway.worker import Worker

SPACE = "unece-review+q1@hub.example.org"


def spool(hub, n: int, to: str = SPACE, prefix: str = "m") -> None:
    for i in range(n):
        raw = f"From: ana@ngo.example\r\nSubject: {prefix}{i}\r\nMessage-ID: <{prefix}{i}@x>\r\n\r\nText\r\n"
        hub.spool.put(Envelope("ana@ngo.example", [to], "smtp"), raw.encode())


def commits(hub) -> list[int]:
    counted = [0]
    event.listen(hub.engine, "commit", lambda connection: counted.__setitem__(0, counted[0] + 1))
    return counted


class FailsAfterStoring(Worker):
    """A worker whose processing of one message fails after the post was written (a bug, say)."""

    def _store_one(self, session, where, envelope, message, raw):
        result = super()._store_one(session, where, envelope, message, raw)
        if message.message_id == "bad@x":
            raise RuntimeError("failed after storing")
        return result


def test_a_burst_is_stored_in_one_transaction_and_the_spool_emptied_after_it(hub):
    spool(hub, 30)
    counted = commits(hub)
    outcomes = Worker(hub.settings, hub.engine, hub.spool).process_pending()
    # One transaction per batch (bounded by 0.5 s of work), not one per message.
    assert len(outcomes) == 30 and 1 <= counted[0] <= 3
    assert hub.spool.pending() == []
    with session_scope(hub.engine) as session:
        assert session.exec(select(func.count()).select_from(Post)).one() == 30


def test_a_message_that_fails_is_rolled_back_alone_and_kept_for_another_try(hub):
    spool(hub, 5, prefix="a")
    spool(hub, 1, prefix="bad")
    hub.spool.put(
        Envelope("ana@ngo.example", [SPACE], "smtp"),
        b"From: ana@ngo.example\r\nSubject: bad\r\nMessage-ID: <bad@x>\r\n\r\nx\r\n",
    )
    spool(hub, 5, prefix="b")
    FailsAfterStoring(hub.settings, hub.engine, hub.spool).process_pending()
    with session_scope(hub.engine) as session:
        ids = {post.message_id for post in session.exec(select(Post))}
    assert "bad@x" not in ids and len(ids) == 11  # bad0@x and the ten others; bad@x's post rolled back
    [left] = hub.spool.pending()
    assert b"<bad@x>" in hub.spool.read(left)[1] and (hub.spool.tries / left).read_text() == "1"


def test_what_each_batch_stored_is_announced_once_it_is_committed(hub, monkeypatch):
    """serve's outbox hears of each batch, not only of the end of a burst."""
    monkeypatch.setattr("gateway.worker.MAX_BATCH", 10)
    spool(hub, 25)
    stored_when_told: list[int] = []

    def told() -> None:
        with session_scope(hub.engine) as session:  # what another process would see: committed rows
            stored_when_told.append(session.exec(select(func.count()).select_from(Post)).one())

    Worker(hub.settings, hub.engine, hub.spool).process_pending(after_batch=told)
    assert stored_when_told == [10, 20, 25]
