"""A throwaway PostgreSQL cluster started from the machine's own binaries, for the tests."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import find_binary, hand_over, require_or_skip, unprivileged_user


def find_pg_bindir() -> Path | None:
    initdb = find_binary("initdb", "/usr/lib/postgresql/*/bin")
    if initdb is None:
        try:
            bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout
        except OSError:
            return None
        initdb = str(Path(bindir.strip()) / "initdb") if bindir.strip() else None
    return Path(initdb).resolve().parent if initdb and Path(initdb).exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], owner: tuple[int, int] | None, log: Path | None = None) -> None:
    def drop() -> None:
        if owner:
            os.setgid(owner[1])
            os.setuid(owner[0])

    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=drop, timeout=120)
    if result.returncode != 0:
        tail = log.read_text()[-2000:] if log and log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}\n{tail}")


@contextmanager
def throwaway_postgres(folder: Path) -> Iterator[str]:
    """initdb + start on 127.0.0.1:free port; yields a URL of database `hubmail`; always stops."""
    bindir = find_pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found")
    owner = unprivileged_user()
    data, log, port = folder / "pgdata", folder / "postgres.log", _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    hand_over(folder, owner)
    user = "nobody" if owner else os.environ.get("USER", "postgres")
    _run(
        [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8", "--locale=C", "-U", user],
        owner,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    _run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
        owner,
        log,
    )
    try:
        _run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "hubmail"], owner, log
        )
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/hubmail"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner, log)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory) -> Iterator[str]:
    """One cluster for the whole session; tests make their own databases in it."""
    if find_pg_bindir() is None:
        require_or_skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    with throwaway_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url
