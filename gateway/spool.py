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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config import Settings

SUFFIX = ".msg"


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
    """Folders under root: tmp/ (being written), new/ (to process), tries/, failed/ (set aside),
    done/ (stored: removed in the background)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp, self.new, self.tries, self.failed_dir, self.done_dir = (
            root / n for n in ("tmp", "new", "tries", "failed", "done")
        )
        for folder in (self.tmp, self.new, self.tries, self.failed_dir, self.done_dir):
            folder.mkdir(parents=True, exist_ok=True)

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

    def count_attempt(self, name: str) -> int:
        """Record one more try before processing, so a crash mid-way counts too (poison messages)."""
        path = self.tries / name
        count = int(path.read_text() or 0) + 1 if path.exists() else 1
        path.write_text(str(count))
        return count

    def forget_attempt(self, name: str) -> None:
        """Take back a try that trouble outside the message ended (gateway.health): not its fault."""
        path = self.tries / name
        with contextlib.suppress(OSError, ValueError):
            count = int(path.read_text() or 0) - 1
            if count > 0:
                path.write_text(str(count))
            else:
                path.unlink()

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


def spool_for(settings: Settings) -> Spool:
    """The spool of a configuration, without opening the database (`hubmail deliver` never does)."""
    return Spool(settings.data_path / "spool")
