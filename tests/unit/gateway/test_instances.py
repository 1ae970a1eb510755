"""Several instances on one database: work that must happen once is done by one of them."""

from __future__ import annotations

from archive.outgoing import Letter, queue
from config.database import exclusive, session_scope
from gateway.mailer import MemoryMailer, drain_outbox


def test_exclusive_work_goes_to_one_instance_until_it_lets_go(hub):
    postgres = hub.engine.dialect.name == "postgresql"
    with (
        exclusive(hub.engine, "some work") as first,
        exclusive(hub.engine, "some work") as second,
        exclusive(hub.engine, "other work") as other,
    ):
        assert first and other
        assert second is not postgres  # SQLite: one machine, one instance, nothing to share
    with exclusive(hub.engine, "some work") as again:
        assert again


def test_the_outbox_is_sent_by_one_instance_at_a_time(hub):
    with session_scope(hub.engine) as session:
        letter = Letter("ana@ngo.example", "Hello", "text", "hubmail@hub.example.org")
        queue(session, "test", letter, "hub.example.org")
    mailer = MemoryMailer()
    with exclusive(hub.engine, "hubmail outbox") as sending_elsewhere:
        assert sending_elsewhere
        held_elsewhere = drain_outbox(hub.engine, mailer)
    if hub.engine.dialect.name == "postgresql":
        assert held_elsewhere == 0 and mailer.sent == []
    assert drain_outbox(hub.engine, mailer) + held_elsewhere == 1 and len(mailer.sent) == 1
