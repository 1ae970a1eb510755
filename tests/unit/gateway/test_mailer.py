"""The outbox round: each row sent once, a whole round recorded together, shared bodies put together.

Refusals (550, 554, 452, 421, a reset mid-DATA) are tested against a real relay in
tests/e2e/test_relay.py: a fake mailer that raised "the right exception" once hid that a relay's
5xx was never seen.
"""

from __future__ import annotations

import datetime as dt
import threading
from email import message_from_bytes, policy

from sqlmodel import select

from archive.record.bodies import Recipient, mark, queue_shared
from archive.record.models import OutgoingBody, OutgoingMail
from archive.record.outgoing import Letter, queue
from config.database import session_scope
from gateway.mailer import MemoryMailer
from gateway.outbox import PAGE, drain_outbox


def later(seconds: float = 1) -> dt.datetime:
    """Queued rows are due from the moment they were queued (real time)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def queued(hub, n: int = 2) -> None:
    with session_scope(hub.engine) as session:
        for i in range(n):
            letter = Letter(to=f"r{i}@org.example", subject="s", text="t", sender="x@hub.example.org")
            queue(session, "test", letter, "hub.example.org", envelope_from=f"bounces+tok{i}@hub.example.org")


def rows(hub) -> list[OutgoingMail]:
    with session_scope(hub.engine) as session:
        return list(session.exec(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_sent_once(hub):
    queued(hub)
    mailer = MemoryMailer()
    now = later()
    assert drain_outbox(hub.engine, mailer, now) == 2 and drain_outbox(hub.engine, mailer, now) == 0
    assert [(r.status, r.attempts) for r in rows(hub)] == [("sent", 1), ("sent", 1)] and len(mailer.sent) == 2


def test_a_round_takes_at_most_a_batch_and_says_so(hub):
    queued(hub, 5)
    mailer = MemoryMailer()
    assert drain_outbox(hub.engine, mailer, later(), batch=3) == 3  # a full batch: more may wait
    assert drain_outbox(hub.engine, mailer, later(), batch=3) == 2
    assert sorted(r for _, r, _ in mailer.sent) == [f"r{i}@org.example" for i in range(5)]


def test_a_shared_body_is_stored_once_and_each_recipient_gets_its_own(hub):
    letter = Letter("", "Digest", "Hi\nunsubscribe: " + mark("link"), "review@hub.example.org")
    with session_scope(hub.engine) as session:
        recipients = [Recipient(f"r{i}@org.example", "", {"link": f"https://u/{i}"}) for i in range(50)]
        queue_shared(session, "digest", letter, "hub.example.org", recipients)
        [body] = session.exec(select(OutgoingBody)).all()
        assert all(r.raw == b"" and r.body_id == body.id for r in session.exec(select(OutgoingMail)))
    mailers = [MemoryMailer(), MemoryMailer()]  # two sender threads: either may send r0's copy
    drain_outbox(hub.engine, mailers, later())
    mine = {to: raw for mailer in mailers for _, to, raw in mailer.sent}
    assert len(mine) == 50
    assert b"To: r0@org.example" in mine["r0@org.example"] and b"https://u/0\n" in mine[
        "r0@org.example"
    ].replace(b"\r", b"")
    assert {r.status for r in rows(hub)} == {"sent"}


def test_a_part_that_must_be_encoded_still_shares_its_body_and_reads_back(hub):
    long_line = "é" * 1200 + " " + mark("link") + " end"  # past 998 octets: quoted-printable
    with session_scope(hub.engine) as session:
        recipients = [Recipient(f"r{i}@org.example", "", {"link": f"https://u/{i}?a=b"}) for i in range(2)]
        queue_shared(session, "digest", Letter("", "s", long_line, "x@hub.example.org"), "h", recipients)
        assert len(session.exec(select(OutgoingBody)).all()) == 1
    mailer = MemoryMailer()
    drain_outbox(hub.engine, mailer, later())
    for _, to, raw in mailer.sent:
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78
        text = message_from_bytes(raw, policy=policy.default).get_content()
        assert text.replace("\r\n", "\n").rstrip("\n") == "é" * 1200 + f" https://u/{to[1]}?a=b end"


class Counting(MemoryMailer):
    """Also keeps each transaction's recipients, in the order given."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions: list[list[str]] = []

    def send(self, envelope_from, recipients, raw):
        self.transactions.append(list(recipients))
        return super().send(envelope_from, recipients, raw)


def test_recipients_of_one_unpersonalised_body_go_together_a_domain_beside_itself(hub):
    domains = ["b.example", "a.example", "mail.a.example"]
    addresses = [f"r{i}@{domains[i % 3]}" for i in range(150)]
    with session_scope(hub.engine) as session:
        recipients = [Recipient(a, "bounces+list@hub.example.org") for a in addresses]
        letter = Letter("list@hub.example.org", "Post", "Hello", "list@hub.example.org")
        queue_shared(session, "post", letter, "hub.example.org", recipients, personalize=False)
    mailer = Counting()
    assert drain_outbox(hub.engine, mailer, later(), batch=None) == 150
    assert [len(t) for t in mailer.transactions] == [100, 50]  # RFC 5321 §4.5.3.1.8: 100 at least
    order = [a.rpartition("@")[2] for t in mailer.transactions for a in t]
    assert order == sorted(order, key=lambda d: d.split(".")[::-1])  # a.example, mail.a.example, b.example
    assert {r.status for r in rows(hub)} == {"sent"}


def test_a_drain_streams_past_a_page_until_nothing_is_due(hub):
    queued(hub, PAGE * 2 + 7)
    mailers = [MemoryMailer() for _ in range(3)]
    assert drain_outbox(hub.engine, mailers, later(), batch=None) == PAGE * 2 + 7
    assert sum(len(m.sent) for m in mailers) == PAGE * 2 + 7 and {r.status for r in rows(hub)} == {"sent"}


def test_a_drain_told_to_stop_takes_nothing_more_and_leaves_it_pending(hub):
    queued(hub, 3)
    stop = threading.Event()
    stop.set()
    assert drain_outbox(hub.engine, MemoryMailer(), later(), batch=None, stop=stop) == 0
    assert {r.status for r in rows(hub)} == {"pending"}
