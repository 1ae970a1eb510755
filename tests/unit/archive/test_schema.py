"""The migrations build exactly the models' schema, and spaces follow the configuration."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import archive.record.models  # noqa: F401 - registers every table with SQLModel.metadata
import digest.models  # noqa: F401
import gateway.models  # noqa: F401
import moderation.models  # noqa: F401
from archive.record.models import Question, Space
from archive.record.spaces import sync_spaces
from config.database import session_scope
from tests.configs import make_settings


def _not_search_index(name, kind, _parent) -> bool:
    # The full-text index is dialect-specific SQL (FTS5 tables; PostgreSQL's stored vector and its
    # GIN index), not a model.
    return not (name or "").startswith(("post_search", "ix_post_search", "search_vector"))


def test_migrations_match_the_models(hub):
    with hub.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _not_search_index})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_removed_space_and_question_are_kept_retired(hub, tmp_path):
    smaller = make_settings(tmp_path / "next")
    only_first = tuple(s for s in smaller.spaces if s.slug == "unece-review")
    with session_scope(hub.engine) as session:
        sync_spaces(session, only_first)
    with session_scope(hub.engine) as session:
        retired = {s.slug: s.retired for s in session.exec(select(Space))}
        assert retired == {"unece-review": False, "closed-space": True}
    with session_scope(hub.engine) as session:
        sync_spaces(session, hub.settings.spaces)  # put back: no longer retired, same row
        rows = session.exec(select(Space)).all()
        assert len(rows) == 2 and not any(r.retired for r in rows)
        numbers = [q.number for q in session.exec(select(Question).order_by(Question.number))]
        assert numbers == [1, 2]
