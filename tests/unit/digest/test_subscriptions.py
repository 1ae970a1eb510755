"""Subscriptions end to end through the worker: double opt-in, each-post mail, digests exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.mailing import Mailing
from archive.record.models import Post
from config.database import session_scope
from digest import roster
from digest.delivery import send_digests, send_each
from digest.models import Subscriber
from gateway.hub import open_hub
from gateway.jobs import digests
from gateway.spool import Envelope
from gateway.web import web_app
from gateway.worker import Worker
from tests.configs import make_settings
from tests.conftest import fresh_postgres_database
from tests.moderation_helpers import body, decide, outbox, parse

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the web pages check tokens against the real clock
REQUEST = "unece-review-request@hub.example.org"


class Hub:
    def __init__(self, hub) -> None:
        self.hub, self.now, self.count = hub, NOW, 0
        self.worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: self.now)

    def mail(self) -> Mailing:
        return Mailing.at(self.hub.settings, self.now)

    def deliver(self, raw: bytes, to: str, sender: str) -> None:
        self.hub.spool.put(Envelope(sender, [to], "smtp", received_at=self.now.isoformat()), raw)
        self.worker.process_pending()

    def command(self, sender: str, subject: str, text: str = "", to: str = REQUEST) -> None:
        self.count += 1
        raw = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <c{self.count}@x>\r\n\r\n{text}\r\n"
        self.deliver(raw.encode(), to, sender)

    def publish(self, mid: str, subject: str = "A post") -> None:
        raw = f"From: Ana <ana@ngo.example>\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n\r\n"
        raw += f"Text of {mid}.\r\n"
        self.deliver(raw.encode(), "unece-review+q1@hub.example.org", "ana@ngo.example")
        with session_scope(self.hub.engine) as session:
            post = session.exec(select(Post).where(Post.message_id == mid)).one()
            decide(session, self.hub.settings, post, self.now)

    def subscriber(self, address: str) -> Subscriber | None:
        with session_scope(self.hub.engine) as session:
            return session.exec(select(Subscriber).where(Subscriber.address == address)).first()

    def each(self) -> int:
        with session_scope(self.hub.engine) as session:
            return send_each(self.mail(), session)

    def digests(self, mode: str = "weekly") -> int:
        with session_scope(self.hub.engine) as session:
            return send_digests(self.mail(), session, mode)


@pytest.fixture()
def subs(hub) -> Hub:
    return Hub(hub)


def confirm_by_reply(subs: Hub, address: str) -> None:
    [ask] = [row for row in outbox(subs.hub, "request-confirm") if row.recipient == address][-1:]
    reply_to = str(parse(ask.raw)["Reply-To"])
    assert reply_to.startswith("unece-review-request+c")
    subs.command(address, "Re: Please confirm", "yes", to=reply_to)


def test_subscribe_needs_the_mailbox_to_confirm(subs):
    subs.command("bo@org.example", "subscribe daily")
    assert subs.subscriber("bo@org.example").status == "pending"
    [ask] = outbox(subs.hub, "request-confirm")
    assert ask.recipient == "bo@org.example" and "reply to this message" in body(ask.raw)
    confirm_by_reply(subs, "bo@org.example")
    subscriber = subs.subscriber("bo@org.example")
    assert (subscriber.status, subscriber.mode) == ("active", "daily")


def test_forged_subscribe_only_mails_the_victim(subs):
    subs.command("victim@org.example", "subscribe each")  # sent by someone else with a forged From
    assert subs.subscriber("victim@org.example").status == "pending"
    subs.publish("p1@x")
    assert subs.each() == 0  # nothing is delivered without the victim's own reply


def test_each_post_as_list_mail(subs):
    subs.command("bo@org.example", "subscribe each")
    confirm_by_reply(subs, "bo@org.example")
    subs.publish("p1@x", "Our practice")
    assert subs.each() == 1 and subs.each() == 0  # exactly once
    [row] = outbox(subs.hub, "post")
    msg = parse(row.raw)
    assert row.envelope_from.startswith("bounces+b") and row.recipient == "bo@org.example"
    assert str(msg["From"]) == "Ana via UNECE GCM Regional Review <unece-review@hub.example.org>"
    assert msg["Message-ID"] == "<p1@x>" and msg["Reply-To"] == "unece-review@hub.example.org"
    assert msg["List-Id"] == "UNECE GCM Regional Review <unece-review.hub.example.org>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:unece-review-request@hub.example.org?subject=unsubscribe" in msg["List-Unsubscribe"]
    assert "/unece-review/unsubscribe/u" in msg["List-Unsubscribe"] and msg["Archived-At"]
    assert msg["Auto-Submitted"] is None and "Text of p1@x." in body(row.raw)


def test_weekly_digest_exactly_once_and_never_empty(subs):
    subs.command("bo@org.example", "subscribe")
    confirm_by_reply(subs, "bo@org.example")
    assert subs.digests() == 0  # nothing new: no empty digest
    for n in range(3):
        subs.publish(f"w{n}@x", f"Weekly {n}")
    assert subs.digests() == 1 and subs.digests() == 0
    [first] = outbox(subs.hub, "digest")
    text = body(first.raw)
    assert "3 new contributions" in text and "Q1: Promising practices?" in text
    assert "Contents" in text and "In-Reply-To=%3Cw0%40x%3E" in text
    assert parse(first.raw).get_body(("html",)) is not None
    subs.publish("w3@x", "Weekly 3")
    assert subs.digests() == 1
    second = outbox(subs.hub, "digest")[1]
    assert "Weekly 3" in body(second.raw) and "Weekly 0" not in body(second.raw)


def test_unsubscribe_by_link_one_click_and_tampered(subs):
    roster_add(subs, "bo@org.example", "each")
    subs.publish("u1@x")
    subs.each()
    url = parse(outbox(subs.hub, "post")[0].raw)["List-Unsubscribe"].split("<")[1].split(">")[0]
    path = url.removeprefix("http://127.0.0.1:8080")
    client = TestClient(web_app(subs.hub))
    assert "Unsubscribe" in client.get(path).text and subs.subscriber("bo@org.example").status == "active"
    tampered = client.post(path[:-3] + "aaa", data={"List-Unsubscribe": "One-Click"})
    assert tampered.status_code == 400 and subs.subscriber("bo@org.example").status == "active"
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and subs.subscriber("bo@org.example").status == "left"


def test_unknown_commands_get_help(subs):
    subs.command("bo@org.example", "subscrbe please")
    [reply] = outbox(subs.hub, "request-reply")
    assert "did not recognise a command" in body(reply.raw) and subs.subscriber("bo@org.example") is None


def test_hard_bounces_suspend_after_the_threshold(subs):
    roster_add(subs, "gone@org.example", "each")
    subs.publish("b1@x")
    subs.each()
    verp = outbox(subs.hub, "post")[0].envelope_from
    dsn = (
        "From: MAILER-DAEMON@mx.org.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\n"
        "Content-Type: text/plain\r\n\r\nfailed\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.org.example\r\n\r\nFinal-Recipient: rfc822; gone@org.example\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    )
    for n in range(3):
        subs.deliver(dsn.replace("Subject:", f"Message-ID: <dsn{n}@mx>\r\nSubject:").encode(), verp, "")
    subscriber = subs.subscriber("gone@org.example")
    assert subscriber.status == "suspended" and subscriber.bounce_score == 3
    told = {row.recipient for row in outbox(subs.hub, "bounce-notice")}
    assert told == {"mia@un.example", "ivana@un.example", "gone@org.example"}
    subs.deliver(dsn.encode(), "bounces+b1-1-" + "a" * 26 + "@hub.example.org", "")  # forged: only noise
    assert subs.subscriber("gone@org.example").bounce_score == 3


def test_csv_import(subs):
    text = "address,name,mode,language\nbo@org.example,Bo,daily,fr\nbad-address,X,weekly,\n"
    text += "cy@org.example,,,\n"
    with session_scope(subs.hub.engine) as session:
        from archive.record.spaces import space_row

        change = roster.import_csv(session, space_row(session, "unece-review"), text)
    assert (change.added, len(change.refused)) == (2, 1)
    assert subs.subscriber("bo@org.example").language == "fr"
    assert subs.subscriber("cy@org.example").mode == "weekly"


def roster_add(subs: Hub, address: str, mode: str) -> None:
    from archive.record.spaces import space_row

    with session_scope(subs.hub.engine) as session:
        roster.add(session, space_row(session, "unece-review"), address, mode=mode, now=subs.now)


def test_web_form_sends_the_same_confirmation_and_says_nothing_more(subs):
    client = TestClient(web_app(subs.hub))
    assert 'action="/unece-review/subscribe"' in client.get("/unece-review/").text
    for _ in range(5):
        page = client.post("/unece-review/subscribe", data={"address": "dee@org.example", "mode": "daily"})
        assert page.status_code == 200 and "a confirmation was sent" in page.text
    asks = [row for row in outbox(subs.hub, "request-confirm") if row.recipient == "dee@org.example"]
    assert len(asks) == 3  # at most three a day to one address, however often the form is sent
    assert subs.subscriber("dee@org.example").status == "pending"
    confirm_by_reply(subs, "dee@org.example")
    assert subs.subscriber("dee@org.example").status == "active"


def test_two_instances_sending_digests_at_once_send_each_once(tmp_path, postgres_url):
    # Several `hubmail serve` share a PostgreSQL database, never an SQLite file.
    subs = Hub(open_hub(make_settings(tmp_path, database=fresh_postgres_database(postgres_url))))
    for n in range(20):
        roster_add(subs, f"reader{n}@org.example", "weekly")
    for n in range(3):
        subs.publish(f"i{n}@x", f"Instances {n}")
    start = threading.Barrier(2)

    def instance() -> int:
        start.wait()
        return digests(subs.hub, "weekly", now=subs.now)

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: instance(), range(2)))
    assert sorted(counts) == [0, 20]
    assert len(outbox(subs.hub, "digest")) == 20


def test_a_private_spaces_links_work_for_their_holder_and_tell_nobody_else_anything(tmp_path, database):
    from archive.record.spaces import space_row
    from digest.headers import unsubscribe_url
    from tests.configs import PRIVATE_SPACE

    hub = open_hub(make_settings(tmp_path, database=database, extra=PRIVATE_SPACE))
    with session_scope(hub.engine) as session:
        space = space_row(session, "inner")
        roster.add(session, space, "bo@org.example", mode="each", now=NOW)
        subscriber = roster.find_subscriber(session, space.id, "bo@org.example")
        path = unsubscribe_url(Mailing.at(hub.settings, NOW), "inner", subscriber).removeprefix(
            "http://127.0.0.1:8080"
        )
    client = TestClient(web_app(hub))
    assert "Inner circle" in client.get(path).text  # the mailbox that got the link knows the space
    unknown = client.get("/nosuch/unsubscribe/" + path.rsplit("/", 1)[1])
    for forged in (path[:-3] + "aaa", path.replace("/unsubscribe/", "/confirm/")):
        answer = client.post(forged, data={"List-Unsubscribe": "One-Click"})
        assert (answer.status_code, answer.content) == (404, unknown.content)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with session_scope(hub.engine) as session:
        assert roster.find_subscriber(session, subscriber.space_id, "bo@org.example").status == "left"
    hub.engine.dispose()
