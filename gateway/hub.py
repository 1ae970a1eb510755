"""Opening a hub: settings, migrated database with spaces in step, and the spool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.record.spaces import sync_spaces
from config import Settings
from config.database import make_engine, migrate, session_scope
from gateway.spool import Spool, spool_for

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    spool: Spool


def open_hub(settings: Settings) -> Hub:
    """Migrate the schema and sync the configured spaces (safe at every start)."""
    settings.data_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, writes_first=True)
    migrate(engine)
    with session_scope(engine) as session:
        sync_spaces(session, settings.spaces)
    return Hub(settings, engine, spool_for(settings))


def attach_hub(settings: Settings, writes_first: bool = True) -> Hub:
    """The hub of a process serve started, which migrated and synced already: nothing is asked of
    the database here, so a worker or web process starts even while it is down. The web process
    mostly reads (writes_first=False); its forms say when they write."""
    return Hub(settings, make_engine(settings.database_url, writes_first), spool_for(settings))
