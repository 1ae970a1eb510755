"""Keeping IMAP accounts read: IDLE or polling, reconnection with backoff, failures put in words."""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from config import ConfigError
from config.database import exclusive
from gateway.hub import Hub
from gateway.imap import FolderMissing, MailboxReader, close, connect

log = logging.getLogger("hubmail.imap")
FIRST_BACKOFF, MAX_BACKOFF = 5.0, 300.0
IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes


def describe(exc: BaseException, reader: MailboxReader) -> str:
    """An operator's sentence for what went wrong, never a traceback."""
    account = reader.account
    where = f"{account.host}:{account.port}"
    if isinstance(exc, ConfigError | FolderMissing):
        return str(exc)
    if isinstance(exc, LoginError):
        return f"login as {account.username} refused by {where}: {_text(exc)}"
    if isinstance(exc, socket.gaierror):
        return f"cannot find host {account.host}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}: is the IMAP server running, and is the port right?"
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer within {account.timeout} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {where} not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason}); is tls = {account.tls!r} right for port {account.port}?"
        )
    if isinstance(exc, imaplib.IMAP4.abort | OSError):
        return f"connection to {where} lost: {_text(exc) or type(exc).__name__}"
    return f"{type(exc).__name__}: {_text(exc)}"


def _text(exc: BaseException) -> str:
    text = " ".join(str(a.decode(errors="replace") if isinstance(a, bytes) else a) for a in exc.args)
    # imapclient wraps the server's words as str(bytes): "b'[AUTHENTICATIONFAILED] ...'"
    return text[2:-1] if text.startswith(("b'", 'b"')) and text[-1:] in "'\"" else text


class Watcher(threading.Thread):
    """One account, for as long as `hubmail serve` runs; a broken account only stops itself."""

    def __init__(self, reader: MailboxReader, stop: threading.Event) -> None:
        super().__init__(name=f"imap {reader.account.name}", daemon=True)
        self.reader, self.stop = reader, stop
        self.backoff = FIRST_BACKOFF

    def run(self) -> None:
        """Several `hubmail serve` on one PostgreSQL: one reads the account, the others stand by."""
        told = False
        while not self.stop.is_set():
            with exclusive(self.reader.engine, f"hubmail imap {self.reader.account.name}") as mine:
                if mine:
                    self._read()  # until stop
                    return
            if not told:
                log.info(
                    "%s: another hubmail serve reads this account; standing by", self.reader.account.name
                )
                told = True
            self.stop.wait(self.reader.account.poll_seconds)

    def _read(self) -> None:
        while not self.stop.is_set():
            try:
                client = connect(self.reader.account, self.reader.password())
            except Exception as exc:  # every failure is logged and retried; none ends the thread
                self._pause(exc)
                continue
            try:
                self._session(client)
            except Exception as exc:
                self._pause(exc)
            finally:
                close(client)

    def _pause(self, exc: BaseException) -> None:
        log.error(
            "%s: %s; trying again in %d s", self.reader.account.name, describe(exc, self.reader), self.backoff
        )
        self.stop.wait(self.backoff)
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)  # no busy loop against a broken server

    def _session(self, client: IMAPClient) -> None:
        while not self.stop.is_set():
            report = self.reader.poll(client, self.stop)
            self.backoff = FIRST_BACKOFF  # a good pass: the next failure starts the backoff afresh
            if report.taken or report.left or report.uidvalidity_changed:
                log.info("%s", report.summary())
            if self.reader.account.idle and client.has_capability("IDLE"):
                self._idle(client)
            else:
                self.stop.wait(self.reader.account.poll_seconds)

    def _idle(self, client: IMAPClient) -> None:
        """Wait for the server to announce new mail, at most poll_seconds, waking each second for stop."""
        deadline = time.monotonic() + min(self.reader.account.poll_seconds, IDLE_RENEW_SECONDS)
        client.idle()
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1)
                if any(_announces_mail(response) for response in responses):
                    break
        finally:
            client.idle_done()


class Pollers:
    """The running watchers and the event that stops them all."""

    def __init__(self, watchers: list[Watcher], stop: threading.Event) -> None:
        self.watchers, self.stop_event = watchers, stop

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float = 10) -> None:
        # A watcher wakes each second from IDLE; one stuck in a read gives up at its account's timeout.
        for watcher in self.watchers:
            watcher.join(timeout)


def start_pollers(hub: Hub, on_spooled: Callable[[], None]) -> Pollers:
    stop = threading.Event()
    watchers = [
        Watcher(MailboxReader(account, hub.settings, hub.engine, hub.spool, on_spooled), stop)
        for account in hub.settings.imap
    ]
    for watcher in watchers:
        log.info("reading %s (%s:%d, folder %s)", watcher.name, watcher.reader.account.host,
                 watcher.reader.account.port, watcher.reader.account.folder)  # fmt: skip
        watcher.start()
    return Pollers(watchers, stop)


def _announces_mail(response: tuple) -> bool:
    if len(response) >= 2 and response[1] == b"EXISTS":
        return True
    if response and response[0] == b"BYE":
        raise imaplib.IMAP4.abort("server closed the connection (BYE)")
    return False
