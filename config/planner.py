"""SQLite's query planner kept informed: without statistics it picks the index with the most
equal columns, so at 100,000 posts a permalink looked up by (space, status) read 20,000 rows
where its own message-hash index reads one. ANALYZE on a bounded sample is cheap at any size."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger("hubmail.database")
SAMPLE_ROWS = 2000  # PRAGMA analysis_limit: rows looked at per index, whatever the table's size


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE on SQLite (PostgreSQL's autovacuum keeps its own statistics)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        connection.execute(text(f"PRAGMA analysis_limit={SAMPLE_ROWS}"))
        connection.execute(text("ANALYZE"))
    log.debug("planner statistics refreshed")
