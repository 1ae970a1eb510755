"""The one Mailer interface for outgoing mail, and the outbox drain that uses it."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import os
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import select

from archive.models import OutgoingMail
from config import Settings
from config.database import exclusive, session_scope, utcnow

log = logging.getLogger("hubmail.outbound")
MAX_BACKOFF = dt.timedelta(hours=1)


class PermanentFailure(Exception):
    """The relay refused the recipient for good (5xx)."""


class Mailer(Protocol):
    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None: ...

    def close(self) -> None: ...


class SmtpMailer:
    """Hands each message to the configured relay over one reused session; 5xx raises PermanentFailure."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.client: smtplib.SMTP | None = None

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        try:
            self._session().sendmail(envelope_from, [recipient], raw)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # a dropped session: the row is retried with a new one
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                raise PermanentFailure(f"{code} {text!r}") from exc
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise

    def _session(self) -> smtplib.SMTP:
        if self.client is None:
            self.client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        else:
            self.client.rset()  # a clean transaction, and a cheap check the session is alive
        return self.client

    def close(self) -> None:
        """End the session (after each round: an idle relay session is not kept open)."""
        if self.client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.client.quit()
            self.client = None


class MaildirMailer:
    """Delivers into a Maildir instead of a relay ([outbound] maildir): to read what hubmail sends on
    a machine with no mail server. Each file is written, fsynced and renamed into new/ (as qmail)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for folder in ("tmp", "new", "cur"):
            (path / folder).mkdir(parents=True, exist_ok=True)
        self.count = itertools.count(1)

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
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

    def close(self) -> None:
        pass


def mailer_for(settings: Settings) -> Mailer:
    """The configured way out: a Maildir when [outbound] maildir is set, else the SMTP relay."""
    if settings.maildir_path is not None:
        return MaildirMailer(settings.maildir_path)
    outbound = settings.outbound
    return SmtpMailer(outbound.host, outbound.port, outbound.timeout)


@dataclass
class MemoryMailer:
    """An in-memory outbox for unit tests."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        self.sent.append((envelope_from, recipient, raw))

    def close(self) -> None:
        pass


def drain_outbox(
    engine: Engine,
    mailer: Mailer,
    now: dt.datetime | None = None,
    batch: int = 100,
    retry_seconds: int = 30,
    on_refused: Callable[[str], None] = lambda envelope_from: None,
) -> int:
    """Send what is due; failures wait with growing backoff, 5xx marks the row failed."""
    now = now or utcnow()
    with exclusive(engine, "hubmail outbox") as mine:
        if not mine:
            return 0  # another instance on the same database is sending: never the same row twice
        with session_scope(engine) as session:
            due = session.exec(
                select(OutgoingMail)
                .where(OutgoingMail.status == "pending", OutgoingMail.next_attempt_at <= now)
                .order_by(OutgoingMail.id)
                .limit(batch)
            ).all()
        try:
            return _send_due(engine, mailer, due, now, retry_seconds, on_refused)
        finally:
            mailer.close()


def _send_due(
    engine: Engine,
    mailer: Mailer,
    due: list[OutgoingMail],
    now: dt.datetime,
    retry_seconds: int,
    on_refused: Callable[[str], None],
) -> int:
    sent = 0
    for row in due:
        try:
            mailer.send(row.envelope_from, row.recipient, row.raw)
        except PermanentFailure as exc:
            _mark(engine, row.id, status="failed", error=str(exc))
            on_refused(row.envelope_from)  # the recipient is refused for good: as good as a bounce
        except (OSError, smtplib.SMTPException) as exc:
            delay = min(dt.timedelta(seconds=retry_seconds * 2**row.attempts), MAX_BACKOFF)
            _mark(engine, row.id, error=f"{type(exc).__name__}: {exc}", retry_at=now + delay)
            log.warning("relay: %s to %s failed, retry in %s: %s", row.message_id, row.recipient, delay, exc)
            break  # the relay is unwell: leave the rest for the next round
        else:
            _mark(engine, row.id, status="sent")
            sent += 1
    return sent


def _mark(
    engine: Engine,
    row_id: int,
    status: str | None = None,
    error: str = "",
    retry_at: dt.datetime | None = None,
) -> None:
    with session_scope(engine) as session:
        row = session.get(OutgoingMail, row_id)
        row.attempts += 1
        row.last_error = error[:1000]
        if status:
            row.status = status
        if status == "sent":
            row.sent_at = utcnow()
        if retry_at:
            row.next_attempt_at = retry_at
        session.add(row)
