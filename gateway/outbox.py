"""The outbox drain: due rows streamed to several relay sessions at once, outcomes recorded in batches.

One thread (the caller's) reads the due rows a page at a time, puts each shared body's recipients
in (archive.record.bodies), and keeps the relay sessions' queue about two pages ahead; each session
sends from that queue in its own thread. No session waits for the others (a round that ended
with a barrier left the relay idle between rounds), and the outcomes of many messages are
recorded in one transaction: sent, failed for good (5xx, told to on_refused as a hard bounce)
or to be tried again later. A crash between sending and recording sends those few again, as
any relay may (SMTP delivers at least once); nothing is ever marked sent that was not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from archive.record.marks import fill
from archive.record.models import OutgoingBody, OutgoingMail
from config.database import Lease, exclusive, session_scope, utcnow
from gateway.mailer import Mailer, close_all
from gateway.relay import Refused

log = logging.getLogger("hubmail.outbound")
MAX_BACKOFF = dt.timedelta(hours=1)
OUTBOX_WORK = "hubmail outbox"  # the lock name: one instance sends at a time
MAX_RECIPIENTS = 100  # per transaction when recipients share a body (RFC 5321 §4.5.3.1.8)
PAGE = 250  # rows read at a time
RECORD_EVERY = 0.25  # seconds between two records of outcomes (or a page's worth, if sooner)
LOOK_AGAIN = 0.1  # seconds before asking again after a short page


@dataclass
class Message:
    """One transaction: a message and the outbox rows of its recipients. A shared body is
    personalised only when it is sent: a round of 500 two-megabyte digests held filled in
    memory at once took hubmail serve to 680 MB."""

    envelope_from: str
    body: bytes
    rows: dict[str, OutgoingMail]  # recipient -> row
    personal: dict | None = None  # what archive.record.marks.fill puts into body for this recipient

    def raw(self) -> bytes:
        return fill(self.body, self.personal) if self.personal else self.body


@dataclass
class Outcomes:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[OutgoingMail, str]] = field(default_factory=list)
    later: list[tuple[OutgoingMail, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.later)

    def absorb(self, more: Outcomes) -> None:
        self.sent += more.sent
        self.failed += more.failed
        self.later += more.later


def drain_outbox(
    engine: Engine,
    mailers: Mailer | list[Mailer],
    now: dt.datetime | None = None,
    batch: int | None = 500,
    retry_seconds: int = 30,
    on_refused: Callable[[str, str], None] = lambda envelope_from, recipient: None,
    lease: Lease | None = None,
    keep_open: bool = False,
    stop: threading.Event | None = None,
) -> int:
    """Send what is due, at most `batch` rows (None: until nothing is due, the relay is unwell, or
    `stop` is set); returns how many rows were taken. `hubmail serve` passes its lease on the
    outbox and keeps the relay sessions open for its next call (closing them when it goes idle);
    a one-off caller takes the lock for this call, and its sessions are closed after it."""
    mailers = mailers if isinstance(mailers, list) else [mailers]
    drain = _Drain(engine, mailers, now, batch, retry_seconds, on_refused, lease, stop)
    try:
        if lease is not None:
            return drain.run()
        with exclusive(engine, OUTBOX_WORK) as mine:
            # Not mine: another instance on the same database is sending: never the same row twice.
            return drain.run() if mine else 0
    finally:
        if not keep_open:
            close_all(mailers)


class _Drain:
    def __init__(self, engine, mailers, now, batch, retry_seconds, on_refused, lease, stop) -> None:
        self.engine, self.mailers, self.now, self.batch = engine, mailers, now, batch
        self.retry_seconds, self.on_refused, self.lease = retry_seconds, on_refused, lease
        self.stop = stop or threading.Event()
        self.todo: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[Outcomes] = queue.SimpleQueue()
        self.to_record: queue.SimpleQueue[Outcomes | None] = queue.SimpleQueue()
        self.record_error: Exception | None = None
        self.bodies: dict[int, bytes] = {}
        self.taken = self.in_flight = self.after = 0

    def run(self) -> int:
        senders = [threading.Thread(target=self._send_all, args=(m,), name="relay") for m in self.mailers]
        recorder = threading.Thread(target=self._record_all, name="outbox-record")
        for thread in [*senders, recorder]:
            thread.start()
        outcomes, recorded = Outcomes(), time.monotonic()
        may_take, found_none, next_look = True, False, 0.0
        try:
            while any(s.is_alive() for s in senders):  # else every session failed: the rest waits, unmarked
                if may_take and self.in_flight < 2 * PAGE and time.monotonic() >= next_look:
                    got = self._feed()
                    may_take, found_none = got is not None, not got
                    # A short page: look again soon, for what was queued meanwhile (a post's copies).
                    next_look = time.monotonic() + (LOOK_AGAIN if got is not None and got < PAGE else 0)
                if self.in_flight == 0 and (found_none or not may_take):
                    break
                with contextlib.suppress(queue.Empty):
                    self._add(outcomes, self.done.get(timeout=0.05))
                if len(outcomes) >= PAGE or (outcomes and time.monotonic() - recorded > RECORD_EVERY):
                    self.to_record.put(outcomes)
                    outcomes, recorded = Outcomes(), time.monotonic()
        finally:
            for _ in senders:
                self.todo.put(None)
            for sender in senders:
                sender.join()
            while not self.done.empty():  # what finished while the senders were being stopped
                self._add(outcomes, self.done.get())
            self.to_record.put(outcomes)
            self.to_record.put(None)
            recorder.join()
        if self.record_error is not None:
            raise self.record_error
        return self.taken

    def _add(self, outcomes: Outcomes, more: Outcomes) -> None:
        outcomes.absorb(more)
        self.in_flight -= 1

    def _record_all(self) -> None:
        """The recorder's thread: sending never waits for the database's write lock (on SQLite the
        worker may hold it through a burst); whatever piled up meanwhile is one transaction."""
        while (outcomes := self.to_record.get()) is not None:
            ending = False
            while not self.to_record.empty():
                more = self.to_record.get()
                if more is None:
                    ending = True
                    break
                outcomes.absorb(more)
            try:
                self._record(outcomes)
            except Exception as exc:  # the rows stay pending: sent again later, never lost
                log.exception("outbox: could not record what was sent")
                self.record_error = exc
            if ending:
                return

    def _feed(self) -> int | None:
        """Queue the next page of due rows; how many there were, None when no more may be taken
        in this call (the batch is full, serve is stopping, another instance has the lease)."""
        limit = PAGE if self.batch is None else min(PAGE, self.batch - self.taken)
        if limit <= 0 or self.stop.is_set() or (self.lease is not None and not self.lease.held()):
            return None
        with session_scope(self.engine, writes=False) as session:
            rows = list(
                session.exec(
                    select(OutgoingMail)
                    .where(
                        OutgoingMail.status == "pending",
                        OutgoingMail.next_attempt_at <= (self.now or utcnow()),
                        col(OutgoingMail.id) > self.after,  # rows in flight are still pending
                    )
                    .order_by(OutgoingMail.id)
                    .limit(limit)
                )
            )
            messages = self._messages(session, rows)
        for message in messages:
            self.todo.put(message)
        self.in_flight += len(messages)
        self.taken += len(rows)
        if rows:
            self.after = rows[-1].id
        return len(rows)

    def _messages(self, session, due: list[OutgoingMail]) -> list[Message]:
        """Each row its own message, but rows of one shared body with nothing personal in it
        (personalize = false) travel together: sorted by domain, so that one domain's recipients
        share a transaction, up to MAX_RECIPIENTS each (the relay routes each RCPT)."""
        wanted = {row.body_id for row in due if row.body_id is not None} - set(self.bodies)
        if wanted:
            self.bodies = {k: v for k, v in self.bodies.items() if k in {r.body_id for r in due}}
            found = session.exec(
                select(OutgoingBody.id, OutgoingBody.raw).where(col(OutgoingBody.id).in_(wanted))
            )
            self.bodies.update(dict(found.all()))
        messages: list[Message] = []
        together: dict[tuple[int, str], dict[str, OutgoingMail]] = {}
        for row in due:
            if row.body_id is None:
                messages.append(Message(row.envelope_from, row.raw, {row.recipient: row}))
            elif row.personal:
                body = self.bodies[row.body_id]
                messages.append(Message(row.envelope_from, body, {row.recipient: row}, row.personal))
            else:
                together.setdefault((row.body_id, row.envelope_from), {}).setdefault(row.recipient, row)
        for (body_id, envelope_from), rows in together.items():
            ordered = sorted(rows, key=_by_domain)
            for start in range(0, len(ordered), MAX_RECIPIENTS):
                chunk = {recipient: rows[recipient] for recipient in ordered[start : start + MAX_RECIPIENTS]}
                messages.append(Message(envelope_from, self.bodies[body_id], chunk))
        return messages

    def _send_all(self, mailer: Mailer) -> None:
        """One relay session's thread: send until told to stop; after a lost connection or a
        relay that cannot be reached, stop taking messages (the others go on)."""
        while (message := self.todo.get()) is not None:
            outcome, healthy = send_one(mailer, message)
            self.done.put(outcome)
            if not healthy:
                return

    def _record(self, outcomes: Outcomes) -> None:
        if not outcomes:
            return
        record(self.engine, outcomes, self.now or utcnow(), self.retry_seconds)
        for row, _ in outcomes.failed:
            self.on_refused(row.envelope_from, row.recipient)  # refused for good: as good as a bounce


def _by_domain(address: str) -> tuple[list[str], str]:
    """example.org's addresses beside each other, and beside mail.example.org's."""
    local, _, domain = address.lower().rpartition("@")
    return domain.split(".")[::-1], local


def send_one(mailer: Mailer, message: Message) -> tuple[Outcomes, bool]:
    """(what became of each recipient, whether the session is still fit to send the next one)."""
    done = Outcomes()
    try:
        refused = mailer.send(message.envelope_from, list(message.rows), message.raw())
    except Refused as exc:
        target = done.failed if exc.reply.permanent else done.later
        target.extend((row, str(exc.reply)) for row in message.rows.values())
        return done, True
    except OSError as exc:
        done.later.extend((row, f"{type(exc).__name__}: {exc}") for row in message.rows.values())
        log.warning("relay: %s; this session stops until the next call", exc)
        return done, False
    for recipient, row in message.rows.items():
        reply = refused.get(recipient)
        if reply is None:
            done.sent.append(row.id)
        else:
            (done.failed if reply.permanent else done.later).append((row, str(reply)))
    return done, True


def record(engine: Engine, done: Outcomes, now: dt.datetime, retry_seconds: int) -> None:
    """Many outcomes in one transaction: one commit, one fsync, however many were sent."""
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
