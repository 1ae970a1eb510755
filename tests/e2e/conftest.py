"""End-to-end fixtures: a real relay sink and a real `hubmail serve` on free ports."""

from __future__ import annotations

import pytest

from tests.support.hubserver import HubServer, Sink


@pytest.fixture()
def sink():
    with Sink() as relay:
        yield relay


@pytest.fixture()
def server(tmp_path, sink, database):
    """A running hub on SQLite and, as a second run of each test, on a real PostgreSQL."""
    hub = HubServer(tmp_path, sink.port, database=database).start()
    yield hub
    hub.stop()
