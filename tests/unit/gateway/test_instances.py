"""Several instances on one database: work that must happen once is done by one of them."""

from __future__ import annotations

from archive.record.outgoing import Letter, queue
from config.database import Lease, exclusive, session_scope
from gateway.mailer import MemoryMailer
from gateway.outbox import OUTBOX_WORK, drain_outbox


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


def test_a_lease_holds_its_lock_across_rounds_on_one_connection(hub):
    if hub.engine.dialect.name != "postgresql":
        assert Lease(hub.engine, OUTBOX_WORK).held()
        return
    first, second = Lease(hub.engine, OUTBOX_WORK), Lease(hub.engine, OUTBOX_WORK)
    assert first.held() and not second.held()
    backend = first.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    first.connection.commit()
    for _ in range(3):  # rounds: the same connection, still the only holder
        assert first.held() and not second.held()
    assert first.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend
    first.connection.commit()
    with hub.engine.connect() as admin:  # the holder's connection dies: the lock goes with it
        admin.exec_driver_sql("SELECT pg_terminate_backend(%s, 10000)", (backend,))  # waits until gone
        admin.commit()
    assert not first.held()  # noticed, and let go
    assert second.held() and not first.held()
    second.release()
    assert first.held()
    first.release()


def test_the_outbox_under_a_lease_sends_only_while_it_is_held(hub):
    if hub.engine.dialect.name != "postgresql":
        return
    with session_scope(hub.engine) as session:
        queue(
            session,
            "test",
            Letter("ana@ngo.example", "Hi", "text", "hubmail@hub.example.org"),
            "hub.example.org",
        )
    elsewhere, here, mailer = Lease(hub.engine, OUTBOX_WORK), Lease(hub.engine, OUTBOX_WORK), MemoryMailer()
    assert elsewhere.held()
    assert drain_outbox(hub.engine, mailer, lease=here) == 0 and mailer.sent == []
    elsewhere.release()
    assert drain_outbox(hub.engine, mailer, lease=here) == 1 and len(mailer.sent) == 1
    here.release()
