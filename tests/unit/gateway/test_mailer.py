"""The outbox: sent once, retried with back-off while the relay is down, 5xx marks the row."""

from __future__ import annotations

import datetime as dt
import smtplib

from sqlmodel import select

from archive.models import OutgoingMail
from archive.outgoing import Letter, queue
from config.database import session_scope
from gateway.mailer import MemoryMailer, PermanentFailure, drain_outbox


def later(seconds: float = 1) -> dt.datetime:
    """Queued rows are due from the moment they were queued (real time)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


class FlakyMailer(MemoryMailer):
    def __init__(self, failure: Exception | None) -> None:
        super().__init__()
        self.failure = failure

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        if self.failure:
            raise self.failure
        super().send(envelope_from, recipient, raw)


def queued(hub, n: int = 2) -> None:
    with session_scope(hub.engine) as session:
        for i in range(n):
            letter = Letter(to=f"r{i}@org.example", subject="s", text="t", sender="x@hub.example.org")
            queue(session, "test", letter, "hub.example.org", envelope_from=f"bounces+tok{i}@hub.example.org")


def rows(hub) -> list[OutgoingMail]:
    with session_scope(hub.engine) as session:
        return list(session.exec(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_sent_once(hub):
    queued(hub)
    mailer = MemoryMailer()
    now = later()
    assert drain_outbox(hub.engine, mailer, now) == 2 and drain_outbox(hub.engine, mailer, now) == 0
    assert [r.status for r in rows(hub)] == ["sent", "sent"] and len(mailer.sent) == 2


def test_relay_down_backs_off_then_delivers(hub):
    queued(hub)
    now = later()
    down = FlakyMailer(ConnectionRefusedError("relay down"))
    assert drain_outbox(hub.engine, down, now, retry_seconds=30) == 0
    first = rows(hub)[0]
    assert first.status == "pending" and first.next_attempt_at == now + dt.timedelta(seconds=30)
    assert rows(hub)[1].attempts == 0  # after one failure the round stops: the relay is unwell
    up = MemoryMailer()
    assert drain_outbox(hub.engine, up, now + dt.timedelta(seconds=10)) == 1  # the first is not yet due
    assert drain_outbox(hub.engine, up, now + dt.timedelta(seconds=31)) == 1
    assert sorted(recipient for _, recipient, _ in up.sent) == ["r0@org.example", "r1@org.example"]
    assert [r.status for r in rows(hub)] == ["sent", "sent"]


def test_permanent_refusal_marks_the_row_and_tells_who_it_was_for(hub):
    queued(hub, 1)
    refused: list[str] = []
    mailer = FlakyMailer(PermanentFailure("550 no such user"))
    drain_outbox(hub.engine, mailer, later(), on_refused=refused.append)
    [row] = rows(hub)
    assert row.status == "failed" and "550" in row.last_error
    assert refused == ["bounces+tok0@hub.example.org"]


def test_temporary_refusal_is_retried(hub):
    queued(hub, 1)
    busy = FlakyMailer(smtplib.SMTPRecipientsRefused({"r0@org.example": (451, b"try later")}))
    drain_outbox(hub.engine, busy, later())
    [row] = rows(hub)
    assert row.status == "pending" and row.attempts == 1
