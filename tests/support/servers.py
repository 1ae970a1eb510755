"""What every real-server fixture shares: skip politely, or fail when CI requires the server."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def require_or_skip(reason: str) -> None:
    """Skip with a reason on a developer's machine; fail under HUBMAIL_REQUIRE_SERVERS=1 (CI)."""
    if os.environ.get("HUBMAIL_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (HUBMAIL_REQUIRE_SERVERS=1)")
    pytest.skip(reason)


def find_binary(name: str, *folders: str) -> str | None:
    """A server binary on PATH or in one of the folders Debian puts them in."""
    found = shutil.which(name)
    if found:
        return found
    for folder in folders:
        for candidate in sorted(Path("/").glob(folder.lstrip("/")), reverse=True):
            if (candidate / name).exists():
                return str(candidate / name)
    return None


def unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) to drop to when running as root, which PostgreSQL and others refuse."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def hand_over(path: Path, owner: tuple[int, int] | None) -> None:
    """Make path (and the folders above it that we made) usable by the unprivileged user."""
    if owner is None:
        return
    for folder in [path, *path.parents]:
        if folder == Path("/"):
            break
        os.chmod(folder, os.stat(folder).st_mode | 0o711)
    for root, _dirs, files in os.walk(path):
        os.chown(root, *owner)
        for name in files:
            os.chown(Path(root) / name, *owner)


@contextmanager
def traversable(*paths: Path) -> Iterator[None]:
    """Let other users through the folders above paths for a while (e.g. a 0700 /root holding
    pyenv's Python, for a command Postfix runs as nobody); the old modes come back afterwards."""
    changed: dict[Path, int] = {}
    for path in paths:
        for folder in path.resolve().parents:
            mode = folder.stat().st_mode
            if folder not in changed and not mode & 0o001:
                changed[folder] = mode
                os.chmod(folder, mode | 0o001)
    try:
        yield
    finally:
        for folder, mode in changed.items():
            os.chmod(folder, stat.S_IMODE(mode))


def wait_listening(
    port: int, name: str, log_tail: Callable[[], str], died: Callable[[], bool] = lambda: False
) -> None:
    """Until 127.0.0.1:port takes a connection (20 s at most); a server that dies says so with its log."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if died():
            raise RuntimeError(f"{name} exited:{log_tail()}")
        with suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on port {port} within 20 s:{log_tail()}")
