"""One body per post and per digest, personalised at the edge, or (personalize = false) not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from archive.record.bodies import letter_bytes
from archive.record.mailing import Mailing
from archive.record.models import OutgoingBody, OutgoingMail, Post
from archive.record.spaces import space_row
from config.database import session_scope
from digest import roster
from digest.bounces import handle_bounce
from digest.delivery import send_digests, send_each
from digest.models import Subscriber
from gateway.hub import open_hub
from gateway.jobs import deliver_each
from gateway.mailer import MemoryMailer
from gateway.outbox import drain_outbox
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings
from tests.moderation_helpers import decide, parse

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)


def hub_with(tmp_path, database, posts: int, extra: str = "", each: int = 30, weekly: int = 30):
    hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
    with session_scope(hub.engine) as session:
        space = space_row(session, "unece-review")
        for i in range(each):
            roster.add(session, space, f"each{i}@org{i % 3}.example", mode="each", now=NOW)
        for i in range(weekly):
            roster.add(
                session,
                space,
                f"week{i}@org{i % 3}.example",
                mode="weekly",
                language="fr" if i % 2 else "",
                now=NOW,
            )
    for n in range(posts):
        raw = f"From: Ana <ana@ngo.example>\r\nSubject: Post {n}\r\nMessage-ID: <p{n}@x>\r\n\r\n"
        raw += "Text. " * 200 + "\r\n"  # one long line, as mail clients write a paragraph
        hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw.encode())
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    with session_scope(hub.engine) as session:
        for post in session.exec(select(Post)):
            decide(session, hub.settings, post, NOW + dt.timedelta(minutes=post.id))
    return hub


def bodies(hub, kind: str) -> int:
    with session_scope(hub.engine) as session:
        return session.exec(
            select(func.count()).select_from(OutgoingBody).where(OutgoingBody.kind == kind)
        ).one()


def test_a_post_is_composed_once_per_language_and_a_digest_once_per_language(tmp_path, database):
    hub = hub_with(tmp_path, database, posts=3)
    mail = Mailing.at(hub.settings, NOW + dt.timedelta(hours=1))
    with session_scope(hub.engine) as session:
        assert send_each(mail, session) == 90 and send_digests(mail, session, "weekly") == 30
    assert bodies(hub, "post") == 3  # 30 subscribers, one language
    assert bodies(hub, "digest") == 2  # 30 subscribers, English and French
    with session_scope(hub.engine) as session:
        rows = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "digest")).all()
        own = {row.recipient: letter_bytes(session, row) for row in rows}
    assert (
        b"/unsubscribe/u" in own["week0@org0.example"]
        and b"To: week0@org0.example" in own["week0@org0.example"]
    )
    assert own["week0@org0.example"] != own["week2@org2.example"]  # each its own link
    hub.engine.dispose()


def test_a_digest_longer_than_a_part_goes_out_in_numbered_parts_at_once(tmp_path, database):
    hub = hub_with(tmp_path, database, posts=5, extra="[digest]\npart_max_bytes = 6500\n", each=0, weekly=1)
    with session_scope(hub.engine) as session:
        assert send_digests(Mailing.at(hub.settings, NOW + dt.timedelta(hours=1)), session, "weekly") == 1
        rows = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "digest")).all()
        subjects = [str(parse(letter_bytes(session, row))["Subject"]) for row in rows]
        [subscriber] = session.exec(select(Subscriber)).all()
    assert (
        len(subjects) == 3 and subjects[0].endswith("(part 1 of 3)") and subjects[2].endswith("(part 3 of 3)")
    )
    with session_scope(hub.engine) as session:  # every post went out: the cursor is past the last one
        assert subscriber.cursor_id == session.exec(select(func.max(Post.id))).one()
    hub.engine.dispose()


@pytest.fixture()
def unpersonalized(tmp_path, database):
    hub = hub_with(tmp_path, database, posts=1, extra="[delivery]\npersonalize = false\n", weekly=0)
    with session_scope(hub.engine) as session:
        send_each(Mailing.at(hub.settings, NOW + dt.timedelta(hours=1)), session)
    yield hub
    hub.engine.dispose()


def test_without_personalisation_subscribers_share_one_transaction(unpersonalized):
    mailer = MemoryMailer()
    calls: list[int] = []
    original = mailer.send

    def counting(envelope_from, recipients, raw):
        if b"\r\nList-Id:" in raw:  # the post's copies, not the notices and receipts
            calls.append(len(recipients))
        return original(envelope_from, recipients, raw)

    mailer.send = counting
    drain_outbox(unpersonalized.engine, mailer, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert calls == [30]  # 30 subscribers: one transaction (up to 100 a transaction)
    envelope, _, raw = next(sent for sent in mailer.sent if sent[1].startswith("each"))
    message = parse(raw)
    assert (
        envelope == "bounces+unece-review@hub.example.org"
        and str(message["To"]) == "unece-review@hub.example.org"
    )
    assert "mailto:unece-review-request@hub.example.org?subject=unsubscribe" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] is None and b"/unsubscribe/u" not in raw


def test_without_personalisation_a_report_to_the_space_is_read_for_whom_it_names(unpersonalized):
    report = (
        b"From: MAILER-DAEMON@org1.example\r\nTo: bounces+unece-review@hub.example.org\r\n"
        b"Subject: failure\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nfailed\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; org1.example\r\n\r\nFinal-Recipient: rfc822; each1@org1.example\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    )
    with session_scope(unpersonalized.engine) as session:
        mail = Mailing.at(unpersonalized.settings, NOW)
        outcome = handle_bounce(mail, session, "unece-review", report)
        scored = session.exec(select(Subscriber).where(Subscriber.address == "each1@org1.example")).one()
        assert "hard bounce for each1@org1.example" in outcome and scored.bounce_score == 1.0


def test_a_long_digest_in_cyrillic_is_written_8bit_not_tripled_as_quoted_printable(tmp_path, database):
    """Lines past 998 octets force quoted-printable, which writes each Cyrillic letter as six
    characters: the contents list and long paragraphs are broken at spaces instead."""
    hub = hub_with(tmp_path, database, posts=0, each=0, weekly=1)
    for n in range(60):  # a contents list of 60 entries and paragraphs of 2,400 octets
        raw = f"From: Anna <anna@ngo.example>\r\nSubject: Отчёт {n}\r\nMessage-ID: <r{n}@x>\r\n\r\n"
        raw += "Миграция и развитие. " * 60 + "\r\n"
        hub.spool.put(Envelope("anna@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw.encode())
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    with session_scope(hub.engine) as session:
        for post in session.exec(select(Post)):
            decide(session, hub.settings, post, NOW + dt.timedelta(minutes=post.id))
        send_digests(Mailing.at(hub.settings, NOW + dt.timedelta(hours=2)), session, "weekly")
        [row] = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "digest")).all()
        raw = letter_bytes(session, row)
    html = next(part for part in parse(raw).walk() if part.get_content_type() == "text/html")
    assert html["Content-Transfer-Encoding"] == "8bit"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    words = " ".join(html.get_content().split())  # as a browser reads it: a line break is a space
    assert words.count("Миграция и развитие.") == 60 * 60
    hub.engine.dispose()


def test_each_post_delivery_commits_a_few_posts_at_a_time_and_says_so_after_each(tmp_path, database):
    """The outbox starts on the first posts' copies while the next are queued; every copy once."""
    hub = hub_with(tmp_path, database, posts=5, each=30, weekly=0)
    told: list[int] = []

    def queued_so_far() -> None:
        with session_scope(hub.engine) as session:  # committed: another process sees it
            told.append(session.exec(select(func.count()).where(OutgoingMail.kind == "post")).one())

    assert deliver_each(hub, NOW + dt.timedelta(hours=1), on_queued=queued_so_far, rows=40) == 150
    assert told == [60, 120, 150]  # a post is never split: 30 + 30 passes 40
    assert deliver_each(hub, NOW + dt.timedelta(hours=2), rows=40) == 0
    with session_scope(hub.engine) as session:
        pairs = session.exec(
            select(OutgoingMail.recipient, OutgoingMail.body_id).where(OutgoingMail.kind == "post")
        )
        assert len(set(pairs.all())) == 150
    hub.engine.dispose()


def test_a_digest_shows_each_post_s_own_words_its_quotes_folded_in_the_reader_s_language(tmp_path, database):
    hub = hub_with(tmp_path, database, posts=0, each=0, weekly=2)  # week0 in English, week1 in French
    raw = (
        "From: Ana <ana@ngo.example>\r\nSubject: Re: Shelters\r\nMessage-ID: <q@x>\r\n\r\n"
        "Rosa wrote:\r\n> The shelter opened in May.\r\n> It has 40 beds.\r\n\r\nIt now has 60 beds.\r\n"
    )
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw.encode())
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    with session_scope(hub.engine) as session:
        decide(session, hub.settings, session.exec(select(Post)).one(), NOW)
        send_digests(Mailing.at(hub.settings, NOW + dt.timedelta(hours=1)), session, "weekly")
        rows = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "digest")).all()
        digests = {row.recipient: parse(letter_bytes(session, row)) for row in rows}
    for address, marker in [
        ("week0@org0.example", "[2 quoted lines hidden]"),
        ("week1@org1.example", "[2 lignes citées masquées]"),
    ]:
        text = digests[address].get_body(("plain",)).get_content()
        html = digests[address].get_body(("html",)).get_content()
        assert "It now has 60 beds." in text and "It now has 60 beds." in html
        assert "40 beds" not in text and "40 beds" not in html
        assert marker in text and marker in html
    assert "[2 quoted lines hidden]" not in digests["week1@org1.example"].get_body(("plain",)).get_content()
    hub.engine.dispose()
