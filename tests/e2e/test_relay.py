"""The outbox against a real relay that refuses: 550 at RCPT, 554 at DATA, 452, 421, a reset mid-DATA.

A permanent refusal fails the row (and counts as a hard bounce for a subscriber's VERP address),
a temporary one is tried again later, and one refused recipient among several fails only itself.
"""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from archive.record.bodies import Recipient, mark, queue_shared
from archive.record.models import OutgoingMail
from archive.record.outgoing import Letter, queue
from config.database import session_scope
from gateway.outbox import drain_outbox
from gateway.relay import SmtpSession
from tests.support.relay import ScriptedRelay

LETTER = Letter(
    to="", subject="Digest", text="Hello\nUnsubscribe: " + mark("unsubscribe"), sender="s@hub.example.org"
)


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def relay(request):
    with ScriptedRelay() as handler:
        handler.pipelining = request.param
        yield handler


def due(seconds: float = 1) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def session_to(relay_port: int) -> SmtpSession:
    return SmtpSession("127.0.0.1", relay_port, 5)


def shared(hub, addresses: list[str], personal: bool = True) -> None:
    with session_scope(hub.engine) as session:
        recipients = [
            Recipient(a, f"bounces+{a.split('@')[0]}@hub.example.org", {"unsubscribe": f"https://u/{a}"})
            if personal
            else Recipient(a, "bounces+unece-review@hub.example.org")  # one envelope for all: no VERP
            for a in addresses
        ]
        letter = (
            LETTER if personal else Letter("review@hub.example.org", "Digest", "Hello", "s@hub.example.org")
        )
        queue_shared(session, "digest", letter, "hub.example.org", recipients, personalize=personal)


def statuses(hub) -> dict[str, str]:
    with session_scope(hub.engine) as session:
        return {r.recipient: r.status for r in session.exec(select(OutgoingMail).order_by(OutgoingMail.id))}


def test_one_refused_recipient_among_many_fails_alone_and_counts_as_a_bounce(hub, relay):
    relay.rcpt["gone@org.example"] = "550 5.1.1 no such user"
    shared(hub, ["a@org.example", "gone@org.example", "b@org.example"], personal=False)
    refused: list[str] = []
    port = relay.port
    assert (
        drain_outbox(
            hub.engine, [session_to(port)], due(), on_refused=lambda sender, to: refused.append(sender)
        )
        == 3
    )
    assert statuses(hub) == {"a@org.example": "sent", "gone@org.example": "failed", "b@org.example": "sent"}
    assert refused == ["bounces+unece-review@hub.example.org"]
    [(_, rcpts, _)] = relay.messages  # one transaction carried both: the body is shared
    assert rcpts == ["a@org.example", "b@org.example"]


def test_each_recipient_gets_its_own_values_from_one_stored_body(hub, relay):
    shared(hub, ["a@org.example", "b@org.example"])
    drain_outbox(hub.engine, [session_to(relay.port), session_to(relay.port)], due())
    bodies = {rcpts[0]: raw for _, rcpts, raw in relay.messages}
    assert (
        b"To: a@org.example" in bodies["a@org.example"]
        and b"https://u/a@org.example" in bodies["a@org.example"]
    )
    assert (
        b"https://u/b@org.example" in bodies["b@org.example"]
        and b"hubmail-mark" not in bodies["b@org.example"]
    )


def test_a_refused_data_fails_the_message_for_good(hub, relay):
    relay.data.append("554 5.7.1 message refused")
    with session_scope(hub.engine) as session:
        queue(
            session,
            "post",
            Letter("a@org.example", "s", "t", "s@hub.example.org"),
            "hub.example.org",
            "bounces+x@h",
        )
    refused: list[str] = []
    drain_outbox(
        hub.engine, [session_to(relay.port)], due(), on_refused=lambda sender, to: refused.append(sender)
    )
    assert statuses(hub) == {"a@org.example": "failed"} and refused == ["bounces+x@h"]


@pytest.mark.parametrize("trouble", ["452 4.2.2 mailbox full", "421 4.3.2 shutting down", "hangup"])
def test_temporary_trouble_is_retried_then_delivered(hub, relay, trouble):
    if trouble.startswith("452"):
        relay.rcpt["a@org.example"] = trouble
    else:
        relay.data.append(trouble)
    with session_scope(hub.engine) as session:
        queue(session, "post", Letter("a@org.example", "s", "t", "s@hub.example.org"), "hub.example.org")
    port = relay.port
    drain_outbox(hub.engine, [session_to(port)], due(), retry_seconds=30)
    with session_scope(hub.engine) as session:
        [row] = session.exec(select(OutgoingMail)).all()
        assert (row.status, row.attempts) == ("pending", 1) and row.last_error
        wait = row.next_attempt_at - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=25) < wait < dt.timedelta(seconds=40)  # 30 s and some jitter
    relay.rcpt.clear()
    assert drain_outbox(hub.engine, [session_to(port)], due(60)) == 1
    assert statuses(hub) == {"a@org.example": "sent"} and len(relay.messages) == 1


def test_a_relay_that_is_down_leaves_everything_pending(hub):
    with session_scope(hub.engine) as session:
        queue(session, "post", Letter("a@org.example", "s", "t", "s@hub.example.org"), "hub.example.org")
    with ScriptedRelay() as handler:
        port = handler.port
    assert drain_outbox(hub.engine, [session_to(port)], due()) == 1  # stopped: connection refused
    assert statuses(hub) == {"a@org.example": "pending"}


def test_a_kept_session_the_relay_has_closed_is_opened_again_and_the_message_sent_once():
    """serve keeps its relay sessions from one full round to the next; a relay restarted (or
    timing the session out) in between costs a new connection, not a retry half an hour later."""
    relay = ScriptedRelay()
    session = session_to(relay.port)
    with relay as handler:
        assert session.send("s@hub.example.org", ["a@ngo.example"], b"Subject: one\r\n\r\nOne\r\n") == {}
    relay.controller = Controller(handler, hostname="127.0.0.1", port=relay.port)
    relay.controller.start()  # the same port, the kept connection gone with the old server
    try:
        assert session.send("s@hub.example.org", ["b@ngo.example"], b"Subject: two\r\n\r\nTwo\r\n") == {}
    finally:
        session.close()
        relay.controller.stop()
    assert [rcpts for _, rcpts, _ in handler.messages] == [["a@ngo.example"], ["b@ngo.example"]]
    assert handler.sessions == 2
