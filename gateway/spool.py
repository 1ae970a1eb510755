"""The durable spool: a message is on disk (temp, fsync, rename, fsync dir) before we answer 250."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from config import Settings

SUFFIX = ".msg"
JOURNAL = "batch-of-"  # tries/batch-of-PID: the entries a worker process has begun and not settled


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    recipients: list[str]
    source: str  # smtp, lmtp, pipe, imap
    peer: str = ""
    received_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())


@dataclass(frozen=True)
class FailedEntry:
    name: str
    error: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """Folders under root: tmp/ (being written), new/ (to process), tries/ (failed or interrupted tries,
    and each worker's journal), failed/ (set aside),
    done/ (stored: removed in the background)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp, self.new, self.tries, self.failed_dir, self.done_dir = (
            root / n for n in ("tmp", "new", "tries", "failed", "done")
        )
        for folder in (self.tmp, self.new, self.tries, self.failed_dir, self.done_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._journal: TextIO | None = None

    def put(self, envelope: Envelope, raw: bytes) -> str:
        """Store durably; when this returns, a crash cannot lose the message."""
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}{SUFFIX}"
        temp = self.tmp / name
        with open(temp, "wb") as handle:
            handle.write(json.dumps(asdict(envelope)).encode() + b"\n")
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, self.new / name)
        _fsync_dir(self.new)
        return name

    def pending(self) -> list[str]:
        return sorted(p.name for p in self.new.iterdir() if p.name.endswith(SUFFIX))

    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest waiting entry was spooled (its name starts with the time)."""
        names = self.pending()
        if not names:
            return None
        with contextlib.suppress(OSError):
            return time.time() - (self.new / names[0]).stat().st_mtime
        return None

    def read(self, name: str) -> tuple[Envelope, bytes]:
        data = (self.new / name).read_bytes()
        head, _, raw = data.partition(b"\n")
        return Envelope(**json.loads(head)), raw

    def attempt(self, name: str) -> int:
        """This try's number, the entry noted first in this process's journal of the batch in hand:
        a crash before the batch is committed counts a try against each entry it had reached
        (recover_interrupted), as a poison message needs. A file per entry cost a create and an
        unlink on the worker's path, several per cent of its time."""
        if self._journal is None:
            self._journal = open(self.tries / f"{JOURNAL}{os.getpid()}", "a", buffering=1)  # noqa: SIM115
        self._journal.write(name + "\n")
        return self.tries_of(name) + 1

    def batch_ended(self) -> None:
        """The batch is committed, or was given up for trouble that is no entry's fault: its
        entries' tries are settled (failed_try) or not counted."""
        if self._journal is not None:
            self._journal.truncate(0)

    def failed_try(self, name: str, attempt: int) -> None:
        (self.tries / name).write_text(str(attempt))

    def tries_of(self, name: str) -> int:
        """Tries that failed, or that a crash interrupted."""
        try:
            return int((self.tries / name).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def recover_interrupted(self) -> None:
        """Count one try for each entry a dead process's journal names and the spool still holds."""
        for journal in self.tries.glob(f"{JOURNAL}*"):
            pid = int(journal.name.removeprefix(JOURNAL) or 0)
            if pid == os.getpid() or _alive(pid):
                continue
            for name in set(journal.read_text().split()):
                if (self.new / name).exists():
                    self.failed_try(name, self.tries_of(name) + 1)
            journal.unlink(missing_ok=True)

    def done(self, name: str) -> None:
        self.done_many([name])

    def done_many(self, names: list[str]) -> None:
        """Take stored entries out of new/ (after their database commit), one folder fsync for all.

        They are renamed into done/ and deleted by a background thread: deleting a file that was
        fsynced frees its blocks, 0.5 ms each on a disk mounted with discard (a tenth of the
        worker's time), while a rename is a few microseconds. What a crash leaves in done/ is
        stored already and is removed at the next start."""
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.rename(self.new / name, self.done_dir / name)
            (self.tries / name).unlink(missing_ok=True)
        if names:
            _fsync_dir(self.new)
            _REAPER.put([self.done_dir / name for name in names])

    def set_aside(self, name: str, error: str) -> None:
        (self.failed_dir / f"{name}.error").write_text(error)
        os.rename(self.new / name, self.failed_dir / name)
        (self.tries / name).unlink(missing_ok=True)
        _fsync_dir(self.failed_dir)
        _fsync_dir(self.new)

    def failed(self) -> list[FailedEntry]:
        entries = sorted(p for p in self.failed_dir.iterdir() if p.name.endswith(SUFFIX))
        return [FailedEntry(p.name, _read_error(p)) for p in entries]

    def retry(self, names: list[str] | None = None) -> list[str]:
        """Put set-aside messages back in the queue with a fresh count of tries."""
        chosen = names or [entry.name for entry in self.failed()]
        moved = []
        for name in chosen:
            source = self.failed_dir / name
            if source.exists():
                os.rename(source, self.new / name)
                (self.failed_dir / f"{name}.error").unlink(missing_ok=True)
                moved.append(name)
        _fsync_dir(self.new)
        return moved

    def clean_tmp(self, older_than: float = 3600) -> None:
        """Half-written files from a crash before 250 (never acknowledged), and stored entries a
        crash left in done/: both safe to drop."""
        limit = time.time() - older_than
        for path in self.tmp.iterdir():
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        for path in self.done_dir.iterdir():
            path.unlink(missing_ok=True)


class _Reaper:
    """One daemon thread that deletes what it is given, so the worker never waits for the disk."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[Path] = []
        self.thread: threading.Thread | None = None

    def put(self, paths: list[Path]) -> None:
        with self.lock:
            self.waiting.extend(paths)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="spool-reaper", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            with self.lock:
                paths, self.waiting = self.waiting, []
                if not paths:
                    self.thread = None
                    return
            for path in paths:
                path.unlink(missing_ok=True)


_REAPER = _Reaper()


def _read_error(path: Path) -> str:
    error = path.with_name(path.name + ".error")
    return error.read_text() if error.exists() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def spool_for(settings: Settings) -> Spool:
    """The spool of a configuration, without opening the database (`hubmail deliver` never does)."""
    return Spool(settings.data_path / "spool")
