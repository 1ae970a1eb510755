"""Shared fixtures: settings on a temp folder, and a database on SQLite or a real PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import create_engine, text

from gateway.hub import Hub, open_hub
from tests.configs import make_settings
from tests.support.postgres import postgres_url  # noqa: F401 - a session fixture for every test

_databases = itertools.count(1)


def fresh_postgres_database(server_url: str) -> str:
    """A new empty database in the session's throwaway cluster, so tests never share rows."""
    name = f"test_{next(_databases)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> str:
    """An SQLAlchemy URL ('' for the embedded SQLite default); tests using it run on both."""
    if request.param == "sqlite":
        return ""
    return fresh_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture()
def hub(tmp_path, database) -> Hub:
    hub = open_hub(make_settings(tmp_path, database=database))
    yield hub
    hub.engine.dispose()
