"""The one Mailer interface for outgoing mail, and the outbox drain that uses it.

A round takes the due rows, puts each shared body's recipients in (archive.bodies), hands the
messages over several relay sessions at once, and records the whole round in one transaction:
sent, failed for good (5xx, told to on_refused as a hard bounce) or to be tried again later.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from archive.marks import fill
from archive.models import OutgoingBody, OutgoingMail
from config import Settings
from config.database import Lease, exclusive, session_scope, utcnow
from gateway.relay import Refused, Reply, SmtpSession

log = logging.getLogger("hubmail.outbound")
MAX_BACKOFF = dt.timedelta(hours=1)
OUTBOX_WORK = "hubmail outbox"  # the lock name: one instance sends at a time
MAX_RECIPIENTS = 100  # per transaction when recipients share a body (RFC 5321 §4.5.3.1.8)


class Mailer(Protocol):
    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> dict[str, Reply]:
        """Hand over one message; the recipients refused, or Refused / OSError for all of them."""

    def close(self) -> None: ...


class MaildirMailer:
    """Delivers into a Maildir instead of a relay ([outbound] maildir): to read what hubmail sends on
    a machine with no mail server. Each file is written, fsynced and renamed into new/ (as qmail)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for folder in ("tmp", "new", "cur"):
            (path / folder).mkdir(parents=True, exist_ok=True)
        self.count = itertools.count(1)

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> dict[str, Reply]:
        for recipient in recipients:
            name = f"{time.time_ns()}.P{os.getpid()}Q{next(self.count)}.{socket.gethostname()}"
            head = f"Return-Path: <{envelope_from}>\nDelivered-To: {recipient}\n".encode()
            temp = self.path / "tmp" / name
            with open(temp, "wb") as handle:
                handle.write(head + raw.replace(b"\r\n", b"\n"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path / "new" / name)
        folder = os.open(self.path / "new", os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return {}

    def close(self) -> None:
        pass


@dataclass
class MemoryMailer:
    """An in-memory outbox for unit tests: (envelope sender, recipient, bytes) per recipient."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> dict[str, Reply]:
        self.sent.extend((envelope_from, recipient, raw) for recipient in recipients)
        return {}

    def close(self) -> None:
        pass


def mailers_for(settings: Settings) -> list[Mailer]:
    """The configured way out: a Maildir when [outbound] maildir is set, else `connections` relay sessions."""
    if settings.maildir_path is not None:
        return [MaildirMailer(settings.maildir_path)]
    outbound = settings.outbound
    return [SmtpSession(outbound.host, outbound.port, outbound.timeout) for _ in range(outbound.connections)]


@dataclass
class Message:
    """One transaction: a message and the outbox rows of its recipients. A shared body is
    personalised only when it is sent: a round of 500 two-megabyte digests held filled in
    memory at once took hubmail serve to 680 MB."""

    envelope_from: str
    body: bytes
    rows: dict[str, OutgoingMail]  # recipient -> row
    personal: dict | None = None  # what archive.marks.fill puts into body for this recipient

    def raw(self) -> bytes:
        return fill(self.body, self.personal) if self.personal else self.body


@dataclass
class Round:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[OutgoingMail, str]] = field(default_factory=list)
    later: list[tuple[OutgoingMail, str]] = field(default_factory=list)


def drain_outbox(
    engine: Engine,
    mailers: Mailer | list[Mailer],
    now: dt.datetime | None = None,
    batch: int = 500,
    retry_seconds: int = 30,
    on_refused: Callable[[str, str], None] = lambda envelope_from, recipient: None,
    lease: Lease | None = None,
    keep_open: bool = False,
) -> int:
    """Send what is due in one round; returns how many rows the round took (batch: more may wait).
    `hubmail serve` passes its lease on the outbox, and keeps the relay sessions open from one
    full round to the next (closing them when it goes idle); a one-off caller takes the lock for
    one round, and its sessions are closed after it."""
    now = now or utcnow()
    mailers = mailers if isinstance(mailers, list) else [mailers]
    try:
        if lease is not None:
            return _round(engine, mailers, now, batch, retry_seconds, on_refused) if lease.held() else 0
        with exclusive(engine, OUTBOX_WORK) as mine:
            # Not mine: another instance on the same database is sending: never the same row twice.
            return _round(engine, mailers, now, batch, retry_seconds, on_refused) if mine else 0
    finally:
        if not keep_open:
            close_all(mailers)


def close_all(mailers: list[Mailer]) -> None:
    for mailer in mailers:
        mailer.close()


def _round(engine, mailers, now, batch, retry_seconds, on_refused) -> int:
    with session_scope(engine) as session:
        due = list(
            session.exec(
                select(OutgoingMail)
                .where(OutgoingMail.status == "pending", OutgoingMail.next_attempt_at <= now)
                .order_by(OutgoingMail.id)
                .limit(batch)
            )
        )
        messages = _messages(session, due)
    done = _hand_over(messages, mailers)
    _record(engine, done, now, retry_seconds)
    for row, _ in done.failed:
        on_refused(row.envelope_from, row.recipient)  # refused for good: as good as a bounce
    return len(due)


def _messages(session, due: list[OutgoingMail]) -> list[Message]:
    """Each row its own message, but rows of one shared body with nothing personal in it (personalize
    = false) travel together, up to MAX_RECIPIENTS a transaction, one top-level domain each."""
    ids = {row.body_id for row in due if row.body_id is not None}
    bodies = {b.id: b.raw for b in session.exec(select(OutgoingBody).where(col(OutgoingBody.id).in_(ids)))}
    messages: list[Message] = []
    grouped: dict[tuple, Message] = {}
    for row in due:
        if row.body_id is None:
            messages.append(Message(row.envelope_from, row.raw, {row.recipient: row}))
        elif row.personal:
            messages.append(
                Message(row.envelope_from, bodies[row.body_id], {row.recipient: row}, row.personal)
            )
        else:
            # Grouped by top-level domain, as Mailman's bulk delivery does: the relay routes each RCPT.
            key = (row.body_id, row.envelope_from, row.recipient.rpartition(".")[2].lower())
            group = grouped.get(key)
            if group is None or len(group.rows) >= MAX_RECIPIENTS or row.recipient in group.rows:
                group = grouped[key] = Message(row.envelope_from, bodies[row.body_id], {})
                messages.append(group)
            group.rows[row.recipient] = row
    return messages


def _hand_over(messages: list[Message], mailers: list[Mailer]) -> Round:
    """Each relay session takes its share in order; one that fails stops, the others go on."""
    shares = [messages[i :: len(mailers)] for i in range(len(mailers))]
    rounds = [Round() for _ in mailers]
    if len(mailers) == 1:
        _send_share(mailers[0], shares[0], rounds[0])
    else:
        with ThreadPoolExecutor(len(mailers), "relay") as pool:
            list(pool.map(_send_share, mailers, shares, rounds))
    total = Round()
    for part in rounds:
        total.sent += part.sent
        total.failed += part.failed
        total.later += part.later
    return total


def _send_share(mailer: Mailer, messages: list[Message], done: Round) -> None:
    for message in messages:
        try:
            refused = mailer.send(message.envelope_from, list(message.rows), message.raw())
        except Refused as exc:
            target = done.failed if exc.reply.permanent else done.later
            target.extend((row, str(exc.reply)) for row in message.rows.values())
            continue
        except OSError as exc:
            done.later.extend((row, f"{type(exc).__name__}: {exc}") for row in message.rows.values())
            log.warning("relay: %s; the rest waits for the next round", exc)
            return  # the relay is unwell: this session's remaining messages wait
        for recipient, row in message.rows.items():
            reply = refused.get(recipient)
            if reply is None:
                done.sent.append(row.id)
            else:
                (done.failed if reply.permanent else done.later).append((row, str(reply)))


def _record(engine: Engine, done: Round, now: dt.datetime, retry_seconds: int) -> None:
    """The round in one transaction: one commit, one fsync, however many were sent."""
    with session_scope(engine) as session:
        if done.sent:
            session.execute(
                update(OutgoingMail)
                .where(col(OutgoingMail.id).in_(done.sent))
                .values(status="sent", sent_at=utcnow(), attempts=OutgoingMail.attempts + 1, last_error="")
            )
        for row, error in done.failed:
            _mark(session, row.id, {"status": "failed", "last_error": error[:1000]})
        for row, error in done.later:
            # Growing back-off with jitter, so rows refused together are not retried in one burst.
            delay = min(dt.timedelta(seconds=retry_seconds * 2**row.attempts), MAX_BACKOFF)
            delay *= random.uniform(1.0, 1.2)
            _mark(session, row.id, {"next_attempt_at": now + delay, "last_error": error[:1000]})
            log.warning(
                "relay: %s to %s not taken, retry in %s: %s", row.message_id, row.recipient, delay, error
            )


def _mark(session, row_id: int, values: dict) -> None:
    session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == row_id)
        .values(attempts=OutgoingMail.attempts + 1, **values)
    )
