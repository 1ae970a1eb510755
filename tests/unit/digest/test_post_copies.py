"""Subscribers get the whole post: attachments carried up to the limit, else linked; digests link them."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from sqlmodel import select

from archive.record.mailing import Mailing
from archive.record.models import Post
from archive.record.spaces import space_row
from archive.record.urls import reply_subject
from config.database import session_scope
from digest import roster
from digest.delivery import send_digests, send_each
from gateway.hub import open_hub
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings
from tests.moderation_helpers import body, decide, flat, outbox, parse

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
REPORT = b"%PDF-1.4 " + b"x" * 3000


@pytest.fixture()
def limit() -> int:
    return 10_000_000


@pytest.fixture()
def published(tmp_path, database, limit):
    """A hub with an each-post and a weekly subscriber, and a post with a PDF, published."""
    extra = f"[digest]\nattachments_max_bytes = {limit}\n"
    hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
    with session_scope(hub.engine) as session:
        space = space_row(session, "unece-review")
        roster.add(session, space, "each@ngo.example", mode="each", now=NOW)
        roster.add(session, space, "week@ngo.example", mode="weekly", now=NOW)
    message = EmailMessage()
    message["From"], message["Subject"] = "Rosa Díaz <rosa@ngo.example>", "Re: Re: Our report"
    message["Message-ID"] = "<r1@ngo.example>"
    message.set_content("Our report is attached.\nRosa")
    message.add_attachment(REPORT, maintype="application", subtype="pdf", filename="report 2024.pdf")
    hub.spool.put(
        Envelope("rosa@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), message.as_bytes()
    )
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    later = NOW + dt.timedelta(hours=1)
    with session_scope(hub.engine) as session:
        decide(session, hub.settings, session.exec(select(Post)).one(), later)
        send_each(Mailing.at(hub.settings, later), session)
        send_digests(Mailing.at(hub.settings, later), session, "weekly")
    yield hub
    hub.engine.dispose()


def test_each_post_carries_its_attachments(published):
    [copy] = outbox(published, "post")
    message = parse(copy.raw)
    [report] = list(message.iter_attachments())
    assert report.get_filename() == "report 2024.pdf" and report.get_content() == REPORT
    assert "1 attachment is carried with this message." in flat(body(copy.raw))
    html = message.get_body(("html",)).get_content()
    assert "Our report is attached.<br>" in html and 'name="viewport"' in html and 'style="' in html


@pytest.mark.parametrize("limit", [2000])
def test_above_the_limit_attachments_are_links_and_the_text_says_so(published):
    [copy] = outbox(published, "post")
    assert list(parse(copy.raw).iter_attachments()) == []
    text = flat(body(copy.raw))
    assert "The attachments are larger than 2 kB together" in text
    assert "report 2024.pdf (3 kB): http://127.0.0.1:8080/unece-review/message/" in text
    assert text.count("/0.bin") == 1  # the name hubmail chose (issue 14)


def test_digests_link_each_attachment_and_reply_once_with_re(published):
    [digest] = outbox(published, "digest")
    text = flat(body(digest.raw))
    assert "report 2024.pdf (3 kB): http://127.0.0.1:8080/unece-review/message/" in text
    assert "subject=Re%3A%20Our%20report&" in text  # not Re: Re: Re:
    html = parse(digest.raw).get_body(("html",)).get_content()
    assert "Our report is attached.<br>" in html  # line breaks kept: "attached. Rosa" never runs on


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Re: x", "Re: x"),
        ("AW: RE: x", "Re: x"),
        ("Отв: x", "Re: x"),
        ("回复：x", "Re: x"),
        ("x", "Re: x"),
    ],
)
def test_reply_subjects_get_one_re(subject, expected):
    assert reply_subject(subject) == expected
