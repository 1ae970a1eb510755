"""Trouble that is not the message's fault (a full disk, a lost database), and the worker's health.

Such errors never count against a message's `max_attempts`: the worker waits with a growing,
jittered pause and tries again, and says so once per change of state, in its log and in
`data/worker-health.json` (read by `hubmail status` and by the web's /healthz).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exc as db

log = logging.getLogger("hubmail.worker")
INFRASTRUCTURE_ERRNOS = {
    errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EMFILE, errno.ENFILE, errno.ENOMEM,
}  # fmt: skip
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0
HEALTH_FILE = "worker-health.json"
PAGE = 4096


class Infrastructure(Exception):
    """The batch stopped on trouble outside the message; the cause is chained."""


LOCKS = ("database is locked", "database table is locked", "deadlock detected", "could not serialize",
         "lock timeout", "could not obtain lock")  # fmt: skip


def is_lock(exc: BaseException) -> bool:
    """Another writer got there first (SQLite's busy snapshot, a PostgreSQL deadlock): try again."""
    return isinstance(exc, db.DBAPIError) and any(words in str(exc.orig).lower() for words in LOCKS)


FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """A full disk anywhere in the chain: SQLite's SQLITE_FULL rolls the whole transaction back, so
    what surfaces may be the next statement's error ("no such savepoint"), with the cause behind it."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(words in str(seen).lower() for words in FULL):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def is_infrastructure(exc: BaseException) -> bool:
    """A disk, database connection or lock problem: worth waiting for, not the message's fault."""
    if isinstance(exc, Infrastructure | db.OperationalError | db.InterfaceError | db.DisconnectionError):
        return True
    if is_lock(exc):
        return True
    if isinstance(exc, db.TimeoutError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, db.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError) and exc.errno in INFRASTRUCTURE_ERRNOS


@dataclass
class Health:
    """The worker's state: running, or waiting on an error since a moment, and the next pause."""

    data_dir: Path
    state: str = "running"
    error: str = ""
    since: str = ""
    failures: int = 0

    def __post_init__(self) -> None:
        self.since = _now()
        self._write()  # the page is taken now, while there is room

    def ok(self) -> None:
        if self.state != "running":
            log.info("storing again after %s (%d tries)", self.error, self.failures)
            self.state, self.error, self.failures = "running", "", 0
            self.since = _now()
            self._write()

    def trouble(self, exc: BaseException) -> float:
        """Record the trouble; returns how long to pause before the next try."""
        cause = exc.__cause__ if isinstance(exc, Infrastructure) and exc.__cause__ else exc
        error = f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"[:500]
        self.failures += 1
        if self.state != "waiting" or error != self.error:  # once per change, not once per try
            level = logging.WARNING if is_lock(cause) else logging.ERROR  # a lock is only a moment
            log.log(level, "cannot store for now, retrying with back-off: %s", error)
            self.state, self.error, self.since = "waiting", error, _now()
        pause = min(FIRST_PAUSE * 2 ** (self.failures - 1), LONGEST_PAUSE) * random.uniform(1.0, 1.3)
        self._write()
        return pause

    def _write(self) -> None:
        """In place, into a page set aside at start: a full disk must not silence the one file that
        says the disk is full. One write of one page, so a reader never sees half of it."""
        text = json.dumps({k: v for k, v in vars(self).items() if k != "data_dir"})
        page = text.encode()[: PAGE - 1].ljust(PAGE, b" ")
        try:
            descriptor = os.open(self.data_dir / HEALTH_FILE, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(descriptor, page, 0)
            finally:
                os.close(descriptor)
        except OSError:
            pass  # never the end of the loop


def read_health(data_dir: Path) -> dict:
    """What the worker last said of itself ({} before it ever had trouble)."""
    try:
        found = json.loads((data_dir / HEALTH_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return found


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
