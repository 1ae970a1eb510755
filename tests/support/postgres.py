"""A throwaway PostgreSQL cluster started from the machine's own binaries, for the tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.support.servers import hand_over, require_or_skip, unprivileged_user

__all__ = ["find_pg_bindir", "postgres_url", "require_or_skip", "throwaway_postgres"]

SUPERUSER = "postgres"  # fixed by initdb -U, so the URL never depends on who runs the tests
START_TIMEOUT = 60
SOCKET_PATH_MAX = 107  # sun_path limit on Linux; PostgreSQL refuses to start above it


def _has_tools(folder: Path) -> bool:
    return (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()


def _version(bindir: Path) -> tuple[int, ...]:
    # Numeric, so /usr/lib/postgresql/15 beats 9.6 (a string sort would pick 9.6).
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (0,)


def find_pg_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH, then pg_config --bindir, then Debian's newest."""
    candidates: list[Path] = []
    if initdb := shutil.which("initdb"):
        # Resolved: /usr/local/bin may only hold symlinks to the real bindir.
        candidates.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    return next((folder for folder in candidates if _has_tools(folder)), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log: Path) -> str:
    text = log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"
    return f"\n--- server log tail ({log}) ---\n{text}"


def _run(command: list[str], owner: tuple[int, int] | None, log: Path, timeout: float = 120) -> None:
    """Run a PostgreSQL tool, as `owner` when we are root (initdb and postgres refuse root)."""

    def drop_privileges() -> None:
        if owner:
            os.setgroups([])  # else root's supplementary groups would stick to the server
            os.setgid(owner[1])
            os.setuid(owner[0])

    # cwd = the log's folder: the unprivileged user may not be allowed into ours.
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout,
        preexec_fn=drop_privileges, cwd=log.parent, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        output = (result.stderr + result.stdout).strip()
        step = f"{Path(command[0]).name} {command[-1]}"
        raise RuntimeError(f"{step} failed (exit {result.returncode}): {output}{_log_tail(log)}")


def _configure(data: Path, folder: Path, port: int) -> None:
    # Settings go in postgresql.conf rather than pg_ctl -o, which the shell splits on spaces in paths.
    sockets = str(folder) if len(f"{folder}/.s.PGSQL.{port}") <= SOCKET_PATH_MAX else ""  # "" = TCP only
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": sockets,
        "fsync": "off",  # a crash loses a throwaway cluster, nothing else; much faster tests
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    lines = "".join(f"{key} = '{value.replace(chr(39), chr(39) * 2)}'\n" for key, value in settings.items())
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# throwaway test cluster\n" + lines)


def _stop(bindir: Path, data: Path, owner: tuple[int, int] | None, log: Path) -> None:
    """Stop the server however we can; never raises, so the body's own exception stays visible."""
    pidfile = data / "postmaster.pid"
    if not pidfile.exists():
        return  # never started (or initdb failed)
    with suppress(RuntimeError, subprocess.TimeoutExpired):
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        _run(stop, owner, log, timeout=60)
    if pidfile.exists():  # pg_ctl failed: kill the postmaster; its children exit when it dies
        with suppress(ProcessLookupError, ValueError, IndexError):
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)


@contextmanager
def throwaway_postgres(tmp_dir: Path) -> Iterator[str]:
    """initdb + start on 127.0.0.1:free port; yields a URL of database `hubmail`; always stops."""
    bindir = find_pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found on PATH, pg_config or /usr/lib")
    owner = unprivileged_user()
    data, log, port = tmp_dir / "pgdata", tmp_dir / "postgres.log", _free_port()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    hand_over(tmp_dir, owner)
    initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8", "--locale=C"]
    _run([*initdb, "-U", SUPERUSER, "--no-sync"], owner, log)
    _configure(data, tmp_dir, port)
    try:
        start = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", str(START_TIMEOUT)]
        _run([*start, "start"], owner, log, timeout=START_TIMEOUT + 30)
        _create_database(port, log)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/hubmail"
    finally:
        _stop(bindir, data, owner, log)


def stop_and_start(tmp_dir: Path, down_seconds: float) -> None:
    """Stop a throwaway_postgres(tmp_dir) server at once (as a crash would), then start it again."""
    bindir, owner = find_pg_bindir(), unprivileged_user()
    data, log = tmp_dir / "pgdata", tmp_dir / "postgres.log"
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner, log)
    time.sleep(down_seconds)
    start = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", str(START_TIMEOUT)]
    _run([*start, "start"], owner, log, timeout=START_TIMEOUT + 30)


def _create_database(port: int, log: Path) -> None:
    import psycopg  # here, so that merely importing this module never needs the driver

    try:
        address = {"host": "127.0.0.1", "port": port, "user": SUPERUSER, "dbname": "postgres"}
        with psycopg.connect(**address, autocommit=True) as db:
            db.execute("CREATE DATABASE hubmail")
    except psycopg.Error as error:
        raise RuntimeError(f"creating database hubmail failed: {error}{_log_tail(log)}") from error


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One cluster for the whole session; tests make their own databases in it."""
    if find_pg_bindir() is None:
        require_or_skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    with throwaway_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url
