"""IMAP ingress: one pass over a mailbox folder, new mail into the spool, then moved out of the way."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

from imapclient import IMAPClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from archive.record.headers import single_sender
from archive.record.parsing import header_block_size
from config import Settings
from config.database import session_scope, utcnow
from config.imap import ImapAccount
from gateway.models import ImapState
from gateway.routing import Unroutable, route
from gateway.spool import Envelope, Spool

log = logging.getLogger("hubmail.imap")
BATCH = 25  # messages per FETCH: progress is saved between batches, memory stays small
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "to", "cc")
SEEN, DELETED = rb"\Seen", rb"\Deleted"


@dataclass
class PassReport:
    """What one pass did, for the log and `hubmail imap poll --once`."""

    account: str
    taken: int = 0
    left: list[str] = field(default_factory=list)  # "UID n: why", left in the folder for a person
    uidvalidity_changed: bool = False

    def summary(self) -> str:
        parts = [f"{self.taken} message(s) taken"]
        if self.left:
            parts.append(f"{len(self.left)} left in the folder")
        if self.uidvalidity_changed:
            parts.append("UIDVALIDITY changed, folder read again")
        return f"{self.account}: " + ", ".join(parts)


def connect(account: ImapAccount, password: str) -> IMAPClient:
    """Log in over the configured transport; errors propagate for the caller to put in words."""
    context = ssl.create_default_context()
    client = IMAPClient(
        account.host,
        account.port,
        ssl=account.tls == "implicit",
        ssl_context=context if account.tls == "implicit" else None,
        timeout=account.timeout,
    )
    try:
        if account.tls == "starttls":
            client.starttls(context)
        client.login(account.username, password)
    except BaseException:
        close(client)
        raise
    return client


def close(client: IMAPClient) -> None:
    """Log out politely, or just drop the socket when the server is already gone."""
    try:
        client.logout()
    except Exception:  # nothing is pending on our side: every taken message is already spooled
        with contextlib.suppress(Exception):
            client.shutdown()


def server_folder(client: IMAPClient, name: str) -> str:
    """Our folder names use '/' for hierarchy; the server may use '.' or another delimiter."""
    listing = client.list_folders(directory="", pattern="")
    delimiter = listing[0][1] if listing and listing[0][1] else b"/"
    delimiter = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
    return name.replace("/", delimiter)


class FolderMissing(Exception):
    """The configured folder is not on the server; the text lists what is."""


def check_folder(client: IMAPClient, name: str) -> str:
    """The server's name for a configured folder, or FolderMissing naming the folders there are."""
    server_name = server_folder(client, name)
    if not client.folder_exists(server_name):
        there = ", ".join(sorted(folder for _flags, _delim, folder in client.list_folders()))
        raise FolderMissing(f"folder {name!r} does not exist on the server (it has: {there})")
    return server_name


class MailboxReader:
    """Reads one [[imap]] account's folder; the state in the database makes every pass resumable."""

    def __init__(
        self,
        account: ImapAccount,
        settings: Settings,
        engine: Engine,
        spool: Spool,
        on_spooled: Callable[[], None] = lambda: None,
    ) -> None:
        self.account, self.settings, self.engine, self.spool = account, settings, engine, spool
        self.on_spooled = on_spooled

    def password(self, env: Mapping[str, str] | None = None) -> str:
        return self.account.password(os.environ if env is None else env, self.settings.path.parent)

    def poll(self, client: IMAPClient, stop: threading.Event | None = None) -> PassReport:
        """Spool everything new, in UID order; a dropped connection mid-way loses nothing already saved.

        `stop` ends a long first pass between batches, so `hubmail serve` stops promptly."""
        report = PassReport(self.account.name)
        processed = self._processed_folder(client)
        selected = client.select_folder(check_folder(client, self.account.folder))
        last_uid = self._last_uid(selected[b"UIDVALIDITY"], report)
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        if len(uids) > BATCH:
            log.info("%s: %d new message(s) to take", self.account.name, len(uids))
        for start in range(0, len(uids), BATCH):
            if stop is not None and stop.is_set():
                break
            batch = uids[start : start + BATCH]
            spooled = self._take(client, batch, report)
            if spooled:
                self._out_of_the_way(client, spooled, processed)
            self._save(selected[b"UIDVALIDITY"], batch[-1])  # after the move: a crash re-takes, dedup ends it
            if len(uids) > BATCH:
                log.info("%s: %d/%d taken", self.account.name, start + len(batch), len(uids))
        return report

    def _processed_folder(self, client: IMAPClient) -> str:
        if not self.account.processed_folder:
            return ""
        name = server_folder(client, self.account.processed_folder)
        if not client.folder_exists(name):
            client.create_folder(name)
            log.info("%s: created folder %s", self.account.name, self.account.processed_folder)
        return name

    def _last_uid(self, uidvalidity: int, report: PassReport) -> int:
        with session_scope(self.engine) as session:
            state = self._state(session)
            if state is None or state.uidvalidity == uidvalidity:
                return state.last_uid if state else 0
        # The server renumbered the folder: every UID we hold is meaningless. Read it all again;
        # the worker's Message-ID check keeps what was already taken from being stored twice.
        log.warning(
            "%s: UIDVALIDITY changed (%s -> %s); reading the folder again",
            self.account.name, state.uidvalidity, uidvalidity,
        )  # fmt: skip
        report.uidvalidity_changed = True
        self._save(uidvalidity, 0)
        return 0

    def _state(self, session) -> ImapState | None:
        query = select(ImapState).where(
            ImapState.account == self.account.name, ImapState.folder == self.account.folder
        )
        return session.exec(query).first()

    def _save(self, uidvalidity: int, last_uid: int) -> None:
        with session_scope(self.engine) as session:
            state = self._state(session) or ImapState(
                account=self.account.name, folder=self.account.folder, uidvalidity=uidvalidity
            )
            state.uidvalidity, state.last_uid, state.updated_at = uidvalidity, last_uid, utcnow()
            session.add(state)

    def _take(self, client: IMAPClient, batch: list[int], report: PassReport) -> list[int]:
        limit = self.settings.smtp.max_message_bytes
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        wanted = []
        for uid in batch:
            size = sizes.get(uid, {}).get(b"RFC822.SIZE")
            if size is not None and size > limit:
                self._leave(report, uid, f"{size} bytes, larger than smtp.max_message_bytes ({limit})")
            elif uid in sizes:
                wanted.append(uid)
        fetched = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
        spooled = []
        for uid in wanted:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if raw is None:
                log.warning("%s: UID %d vanished before it could be read", self.account.name, uid)
                continue
            if len(raw) != sizes[uid].get(b"RFC822.SIZE"):
                log.info("%s: UID %d: server said %s bytes, sent %d; keeping what was sent",
                         self.account.name, uid, sizes[uid].get(b"RFC822.SIZE"), len(raw))  # fmt: skip
            if self._spool(uid, raw, report):
                spooled.append(uid)
        return spooled

    def _spool(self, uid: int, raw: bytes, report: PassReport) -> bool:
        envelope = self.envelope(raw)
        if envelope is None:
            self._leave(report, uid, "names no space address and default_address is not set")
            return False
        name = self.spool.put(envelope, raw)
        report.taken += 1
        log.info(
            "%s: UID %d spooled as %s for %s", self.account.name, uid, name, ", ".join(envelope.recipients)
        )
        self.on_spooled()
        return True

    def _leave(self, report: PassReport, uid: int, why: str) -> None:
        report.left.append(f"UID {uid}: {why}")
        log.warning("%s: UID %d left in %s: %s", self.account.name, uid, self.account.folder, why)

    def envelope(self, raw: bytes) -> Envelope | None:
        """The SMTP envelope a mailbox has thrown away, rebuilt from the headers the MTA left."""
        block = raw[: min(header_block_size(raw), self.settings.limits.max_header_bytes)]
        headers = BytesHeaderParser(policy=compat32).parsebytes(block)
        recipients = []
        for name in RECIPIENT_HEADERS:
            for _display, address in email.utils.getaddresses([str(v) for v in headers.get_all(name, [])]):
                if address and address.lower() not in recipients and _routes(address, self.settings):
                    recipients.append(address.lower())
        if not recipients and self.account.default_address:
            recipients = [self.account.default_address]
        if not recipients:
            return None
        return Envelope(
            mail_from=_envelope_sender(headers),
            recipients=recipients,
            source="imap",
            peer=self.account.name,
        )

    def _out_of_the_way(self, client: IMAPClient, uids: list[int], processed: str) -> None:
        if not processed:
            client.add_flags(uids, [SEEN])
        elif client.has_capability("MOVE"):
            client.move(uids, processed)
        else:
            client.copy(uids, processed)
            client.add_flags(uids, [DELETED])
            # UID EXPUNGE removes only ours; a plain EXPUNGE would also purge what others marked.
            client.expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def _routes(address: str, settings: Settings) -> bool:
    try:
        route(address, settings)
    except Unroutable:
        return False
    return True


def _envelope_sender(headers) -> str:
    """Return-Path, as the final MTA wrote it ('<>' for a bounce); else the From address."""
    return_path = headers.get("return-path")
    if return_path is not None:
        return email.utils.parseaddr(str(return_path))[1]
    address, _name, _problem = single_sender([str(v) for v in headers.get_all("from", [])])
    return address
