"""The one Mailer interface for outgoing mail: relay sessions, a Maildir, or memory (unit tests).
The outbox drain that uses it is gateway.outbox."""

from __future__ import annotations

import itertools
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from config import Settings
from gateway.relay import Reply, SmtpSession


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


def close_all(mailers: list[Mailer]) -> None:
    for mailer in mailers:
        mailer.close()
