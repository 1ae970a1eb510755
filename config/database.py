"""The database engine and sessions: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

log = logging.getLogger("hubmail.database")


def make_engine(url: str, writes_first: bool = False) -> Engine:
    """An engine for url; SQLite gets WAL, full sync and a busy timeout. writes_first: the process
    mostly writes (the worker, serve's jobs, the CLI), so on SQLite its transactions take the write
    lock when they begin (see _sqlite_begin) unless a session says it only reads."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLAlchemy, not the sqlite3 module, begins transactions: otherwise a SAVEPOINT first in a
        # transaction would begin it, and its RELEASE commit it (the worker stores a batch of
        # messages in one transaction, each in a savepoint).
        event.listen(engine, "begin", _sqlite_begin)
        return engine.execution_options(writes=True) if writes_first else engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_begin(connection) -> None:
    # A transaction that reads before it writes fails at once ("database is locked") when another
    # process wrote meanwhile; one begun IMMEDIATE takes the write lock first and waits its turn.
    writes = connection.get_execution_options().get("writes")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _sqlite_pragmas(connection, _record) -> None:
    connection.isolation_level = None  # the sqlite3 module never begins or commits on its own
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the spool file it came from is removed.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (safe to call at every start)."""
    # Every command opens the hub, and importing Alembic costs more than a listing's whole work: an
    # up-to-date database (one plain read) is left alone; a new or older one is migrated (issue 12).
    if schema_revisions(engine) != {head_revision()}:
        _upgrade(engine)


def schema_revisions(engine: Engine) -> set[str]:
    """The revisions the database says it is at (empty for a new database)."""
    try:
        with engine.connect() as connection:
            return set(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except DBAPIError:  # no such table: nothing was migrated yet
        return set()


_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:['\"](\w+)['\"]|None)\s*$", re.M)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision, read from config/migrations/versions without Alembic; None
    (so Alembic decides) unless the files name exactly one head in the plain form the template writes."""
    revisions, parents = set(), set()
    for path in (resources.files("config") / "migrations" / "versions").iterdir():
        if path.name.endswith(".py") and path.name != "__init__.py":
            found = dict(_ASSIGNED.findall(path.read_text("utf-8")))
            if "revision" not in found or "down_revision" not in found:
                return None  # a merge (a tuple of parents) or a form this reader does not know
            revisions.add(found["revision"])
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("config") / "migrations"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several instances may start at once against one database: one migrates at a time.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72417)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def session_scope(engine: Engine, writes: bool | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises. writes: True, it
    will write after reading, beside other processes (a web form): on SQLite it waits for the write
    lock first instead of failing (PostgreSQL needs nothing); False, it only reads, and never waits
    for a writer; None, as the engine was made (make_engine's writes_first)."""
    bind = engine if writes is None else engine.execution_options(writes=writes)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def one_at_a_time(session: Session, work: str) -> None:
    """Several instances on one PostgreSQL: wait here until no other transaction does `work`.

    The lock ends with this transaction, so the next instance then sees what this one committed
    (a digest's moved cursors) and does nothing twice. SQLite serializes writers by itself.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (work,))


@contextmanager
def exclusive(engine: Engine, work: str) -> Iterator[bool]:
    """True if this instance may do `work` now, for as long as the block lasts; False if another
    instance on the same PostgreSQL does it. If that instance dies, its lock dies with its connection."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    connection, held = engine.connect(), False
    try:
        held = connection.exec_driver_sql("SELECT pg_try_advisory_lock(hashtext(%s))", (work,)).scalar()
        connection.commit()
        yield bool(held)
    finally:
        _let_go(connection, work if held else None)


def _let_go(connection, work: str | None) -> None:
    """Unlock `work` (if held) on the server before closing: a closed socket frees the lock only once
    the server's backend notices, a moment later, and another instance asking at once would be refused."""
    if work is not None:
        try:
            connection.exec_driver_sql("SELECT pg_advisory_unlock(hashtext(%s))", (work,))
            connection.commit()
        except DBAPIError:
            pass  # the connection is gone already, and its lock with it
    connection.invalidate()  # really closed, not back to the pool
    connection.close()


class Lease:
    """`exclusive` kept across rounds: one connection holds the session lock for as long as the
    process runs, where a lock per round cost a new PostgreSQL connection every round. If that
    connection dies the lock dies with it (another instance takes over) and the next round asks
    again on a new one."""

    def __init__(self, engine: Engine, work: str) -> None:
        self.engine, self.work = engine, work
        self.connection = None
        self.mine = False

    def held(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            if self.connection is None:
                self.connection, self.mine = self.engine.connect(), False
            if self.mine:
                self.connection.exec_driver_sql("SELECT 1")  # still the connection that holds it
            else:
                query = "SELECT pg_try_advisory_lock(hashtext(%s))"
                self.mine = bool(self.connection.exec_driver_sql(query, (self.work,)).scalar())
            self.connection.commit()
        except DBAPIError:
            log.warning("lost the database connection holding %r; asking again next round", self.work)
            self.mine = False  # nothing to unlock: the lock died with the connection
            self.release()
        return self.mine

    def release(self) -> None:
        if self.connection is not None:
            _let_go(self.connection, self.work if self.mine else None)
        self.connection, self.mine = None, False


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
