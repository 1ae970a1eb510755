"""A post written on the web: the message composed, the rules mail meets, and the worker taking it
as authenticated for its signed-in From address, trusted or not, like mail that is."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from types import SimpleNamespace

import pytest
from sqlmodel import select

from archive.record.models import Post, Question, Space
from archive.record.parsing import parse_message
from archive.record.visibility import may_post
from config.database import session_scope
from gateway.spool import Envelope
from gateway.webpost import Draft, TooLarge, Upload, Where, compose, refusal, spool_post, writer_name
from gateway.worker import Worker
from moderation.authenticity import SIGNED_IN_ON_THE_WEB, authenticate
from moderation.trust import trust

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
STRICT = policy.default.clone(raise_on_defect=True)
INJECTED = "Hi =?UTF-8?Q?there=0ABcc:_x@evil.example?= à Genève: “ok”\r\nBcc: y@evil.example"


def where(hub, question: int = 1, parent: Post | None = None) -> Where:
    with session_scope(hub.engine) as session:
        space = session.exec(select(Space).where(Space.slug == "unece-review")).one()
        query = select(Question).where(Question.space_id == space.id, Question.number == question)
        return Where(space, session.exec(query).one(), parent)


def test_the_message_reads_back_exactly_with_a_strict_parser(hub):
    parent = SimpleNamespace(message_id="root@ngo.example", references=["first@x"], subject="Our practice")
    files = (
        Upload("C:\\Users\\ana\\rapport é.pdf", "application/pdf", b"%PDF" + bytes(range(256))),
        Upload("../../etc/notes.txt", "text/plain", "näive\n".encode()),
        Upload("nested.eml", "multipart/mixed", b"--x--"),
    )
    draft = Draft(subject=INJECTED, body="Première ligne.\r\nВторая строка.", files=files)
    raw = compose(hub.settings, "ana@ngo.example", "Ana Pérez: “UN”", where(hub, 2, parent), draft, NOW)

    strict = email.message_from_bytes(raw, policy=STRICT)
    assert strict["From"].addresses[0].display_name == "Ana Pérez: “UN”"
    assert str(strict["To"]) == "unece-review+q2@hub.example.org"
    assert str(strict["Subject"]) == " ".join(INJECTED.split())  # one line: no Bcc header was made
    assert strict["Bcc"] is None and b"\r\nBcc:" not in raw
    assert str(strict["In-Reply-To"]) == "<root@ngo.example>"
    assert str(strict["References"]) == "<first@x> <root@ngo.example>"
    assert strict["Message-ID"].endswith("@hub.example.org>") and strict["Date"].datetime == NOW
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout

    parsed = parse_message(raw)
    assert parsed.from_addr == "ana@ngo.example" and not parsed.from_problem and not parsed.defects
    assert parsed.body_text.replace("\r\n", "\n").strip() == "Première ligne.\nВторая строка."
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [
        ("rapport é.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("nested.eml", "application/octet-stream"),  # a file, never structure to be parsed
    ]
    assert parsed.attachments[0].data == files[0].data


def test_a_name_that_looks_like_an_address_is_left_out():
    assert writer_name("mod@hub.example <mia@un.example>") == ""
    assert writer_name("Ana\r\nBcc: x") == "Ana Bcc: x"
    assert writer_name("  Ana   Pérez ") == "Ana Pérez"


def test_the_web_authenticates_only_the_signed_in_from_address(hub):
    raw = compose(hub.settings, "ana@ngo.example", "Ana", where(hub), Draft("Hi", "Text"), NOW)
    message = parse_message(raw)
    assert authenticate(hub.settings, message, raw, SIGNED_IN_ON_THE_WEB, "ana@ngo.example").passed
    assert not authenticate(hub.settings, message, raw, SIGNED_IN_ON_THE_WEB, "eve@evil.example").passed
    assert not authenticate(hub.settings, message, raw, "smtp", "ana@ngo.example").passed  # mail needs DKIM


def test_refusals_are_the_ones_mail_meets(hub):
    here = where(hub)
    with session_scope(hub.engine) as session:
        fine = compose(hub.settings, "ana@ngo.example", "", here, Draft("Hi", "Text"), NOW)
        assert refusal(hub.settings, session, "ana@ngo.example", here, fine, NOW) is None
        big = Draft("Hi", "Text", (Upload("big.bin", "", b"x" * 1_600_000),))
        raw = compose(hub.settings, "ana@ngo.example", "", here, big, NOW)
        assert isinstance(refusal(hub.settings, session, "ana@ngo.example", here, raw, NOW), TooLarge)
        ours = compose(hub.settings, "x@hub.example.org", "", here, Draft("Hi", "Text"), NOW)
        assert "our own addresses" in refusal(hub.settings, session, "x@hub.example.org", here, ours, NOW)


@pytest.mark.parametrize(
    ("posting", "role", "address", "allowed"),
    [
        ("anyone", None, "a@x.example", True),
        ("members", None, "a@x.example", False),
        ("members", "reader", "a@x.example", False),
        ("members", "member", "a@x.example", True),
        ("members", "moderator", "a@x.example", True),
        ("allowlist", None, "a@ngo.example", True),
        ("allowlist", None, "a@other.example", False),
        ("allowlist", None, "", False),
    ],
)
def test_one_posting_rule_for_mail_and_the_web(posting, role, address, allowed):
    space = SimpleNamespace(posting=posting, allows=lambda a: a.endswith("@ngo.example"))
    assert may_post(space, address, role) is allowed


def spooled_and_taken(hub, address: str) -> Post:
    raw = compose(hub.settings, address, "Ana", where(hub), Draft("Web post", "Text"), NOW)
    spool_post(hub.spool, address, where(hub), hub.settings.site.domain, raw, "127.0.0.1")
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    with session_scope(hub.engine) as session:
        return session.exec(select(Post).order_by(Post.id.desc())).first()


def test_a_web_post_is_held_like_mail_and_a_trusted_writers_published_like_authenticated_mail(hub):
    post = spooled_and_taken(hub, "ana@ngo.example")
    assert post.status == "held" and post.envelope_from == "ana@ngo.example"
    with session_scope(hub.engine) as session:
        trust(session, post.space_id, "ana@ngo.example", "mia@un.example", NOW)
    assert spooled_and_taken(hub, "ana@ngo.example").status == "published"
    # The same trusted From by mail, unsigned, is held with the reason.
    raw = compose(hub.settings, "ana@ngo.example", "Ana", where(hub), Draft("By mail", "Text"), NOW)
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw)
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    with session_scope(hub.engine) as session:
        by_mail = session.exec(select(Post).where(Post.subject == "By mail")).one()
    assert by_mail.status == "held" and any("not authenticated" in note for note in by_mail.notes)
