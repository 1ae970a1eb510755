"""The worker stores each message once per space, threads replies, and sets poison aside."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from archive.record.models import OutgoingMail, Post, Question
from archive.record.parsing import message_id_of, parse_message
from config.database import session_scope
from gateway.spool import Envelope
from gateway.worker import Worker

NOW = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)


def message(mid: str, subject="Hello", extra="", sender="ana@ngo.example") -> bytes:
    return (
        f"From: Ana <{sender}>\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n{extra}"
        f"Date: Sat, 20 Jan 2024 10:00:00 +0000\r\n\r\nOur contribution.\r\n"
    ).encode()


def spool(hub, raw: bytes, *recipients: str, sender="ana@ngo.example") -> str:
    return hub.spool.put(
        Envelope(sender, list(recipients) or ["unece-review+q1@hub.example.org"], "smtp"), raw
    )


def posts(hub) -> list[Post]:
    with session_scope(hub.engine) as session:
        return list(session.exec(select(Post).order_by(Post.id)))


def question_number(hub, post: Post) -> int | None:
    with session_scope(hub.engine) as session:
        return session.get(Question, post.question_id).number if post.question_id else None


def test_held_post_in_question(hub):
    spool(hub, message("a@x"))
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    [post] = posts(hub)
    assert (post.status, post.message_id, post.from_addr) == ("held", "a@x", "ana@ngo.example")
    assert question_number(hub, post) == 1 and post.thread_id == post.id
    assert post.raw == message("a@x")
    assert hub.spool.pending() == []


def test_same_message_id_is_stored_once_however_often_delivered(hub):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    spool(hub, message("dup@x"))
    worker.process_pending()
    spool(hub, message("dup@x"))
    spool(hub, message("dup@x"), "unece-review@hub.example.org")
    outcomes = worker.process_pending()
    assert [r for o in outcomes for r in o.results] == [("unece-review", "duplicate")] * 2
    assert len(posts(hub)) == 1


def test_reprocessing_the_same_spool_file_changes_nothing(hub):
    # A crash after commit but before the spool file is removed: the file is processed again.
    name = spool(hub, message("again@x"))
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    _, raw = hub.spool.read(name)
    worker.process(name)
    hub.spool.new.joinpath(name).write_bytes(
        b'{"mail_from": "ana@ngo.example", "recipients": '
        b'["unece-review+q1@hub.example.org"], "source": "smtp"}\n' + raw
    )
    worker.process(name)
    assert len(posts(hub)) == 1


def test_one_message_to_two_spaces_is_one_post_in_each(hub):
    spool(
        hub,
        message("both@x"),
        "unece-review@hub.example.org",
        "unece-review+q2@hub.example.org",
        "closed-space@hub.example.org",
    )
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    stored = posts(hub)
    assert sorted(p.status for p in stored) == ["held", "rejected"]


def test_reply_joins_thread_and_question_whatever_the_address(hub):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    spool(hub, message("root@x"), "unece-review+q2@hub.example.org")
    worker.process_pending()
    spool(hub, message("child@x", "Re: Hello", "In-Reply-To: <root@x>\r\n"), "unece-review@hub.example.org")
    spool(
        hub,
        message("grand@x", "Re: Re", "References: <root@x> <child@x> <unknown@x>\r\n"),
        "unece-review+q1@hub.example.org",
    )
    worker.process_pending()
    root, child, grand = posts(hub)
    assert child.parent_id == root.id and grand.parent_id == child.id
    assert grand.parent_message_id == "unknown@x"  # the last named id is kept for late parents
    assert {question_number(hub, p) for p in (root, child, grand)} == {2}
    assert root.thread_id == child.thread_id == grand.thread_id == root.id


def test_reply_to_unknown_parent_keeps_the_named_id(hub):
    spool(hub, message("orphan@x", extra="In-Reply-To: <missing@x>\r\n"))
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    [post] = posts(hub)
    assert post.parent_id is None and post.parent_message_id == "missing@x"


def test_closed_space_rejects_and_tells_the_sender_once_an_hour(hub):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    for n in range(3):
        spool(hub, message(f"late{n}@x"), "closed-space@hub.example.org")
    worker.process_pending()
    assert [p.status for p in posts(hub)] == ["rejected"] * 3
    with session_scope(hub.engine) as session:
        [reply] = session.exec(select(OutgoingMail)).all()
    assert reply.recipient == "ana@ngo.example" and reply.envelope_from == ""
    sent = message_from_bytes(reply.raw, policy=policy.default)
    assert sent["Auto-Submitted"] == "auto-replied" and sent["In-Reply-To"] == "<late0@x>"
    assert "closed on 1 February 2020, 00:00 UTC" in sent.get_content()


def test_auto_reply_is_discarded_and_never_answered(hub):
    spool(hub, message("ooo@x", "Out of office", "X-Autoreply: yes\r\n"), "closed-space@hub.example.org")
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    [post] = posts(hub)
    assert post.status == "discarded"
    with session_scope(hub.engine) as session:
        assert session.exec(select(OutgoingMail)).all() == []


def test_out_of_office_subject_alone_is_held_for_a_person_but_not_answered(hub):
    # "Réponse automatique défaillante" is a person writing about a broken auto-reply: never lost.
    spool(hub, message("fr@x", "Réponse automatique défaillante"))
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    [post] = posts(hub)
    assert post.status == "held" and any(n.startswith("looks like an automatic reply") for n in post.notes)
    with session_scope(hub.engine) as session:
        kinds = {row.kind for row in session.exec(select(OutgoingMail))}
    assert kinds == {"hold-notice"}  # the moderators see it; no receipt goes back


def test_poison_message_is_set_aside_after_three_tries_and_retried(hub, monkeypatch):
    name = spool(hub, message("poison@x"))
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("gateway.worker.parse_message", explode)
    for _ in range(3):
        worker.process_pending()
    assert hub.spool.pending() == []
    [failed] = hub.spool.failed()
    assert failed.name == name and "RuntimeError: boom" in failed.error
    with session_scope(hub.engine) as session:  # each moderator hears of it once, the original attached
        told = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "set-aside")).all()
    assert sorted(row.recipient for row in told) == ["ivana@un.example", "mia@un.example"]
    letter = message_from_bytes(told[0].raw, policy=policy.default)
    assert "RuntimeError: boom" in letter.get_body(("plain",)).get_content()
    assert f"hubmail retry {name}" in letter.get_body(("plain",)).get_content()
    [original] = list(letter.iter_attachments())
    assert original.get_content()["Message-ID"] == "<poison@x>"
    monkeypatch.undo()
    assert hub.spool.retry() == [name]
    worker.process_pending()
    assert [p.message_id for p in posts(hub)] == ["poison@x"]


def test_a_redelivered_message_is_known_from_its_header_block_without_parsing_its_body(hub, monkeypatch):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    big = message("big@x").replace(b"Our contribution.", b"A long report. " * 200_000)  # 3 MB
    spool(hub, big)
    worker.process_pending()
    monkeypatch.setattr("gateway.worker.parse_message", lambda *a: pytest.fail("the body was parsed"))
    spool(hub, big)
    [outcome] = worker.process_pending()
    assert outcome.results == [("unece-review", "duplicate")] and len(posts(hub)) == 1


def test_the_header_block_gives_the_same_message_id_as_the_full_parse_for_every_corpus_message():
    from tests.e2e.test_corpus import CORPUS, corpus_rows, wire_bytes

    rows = corpus_rows()
    for row in rows:
        raw = wire_bytes(row)
        assert message_id_of(raw) == parse_message(raw).message_id, row["file"]
    assert len(rows) > 300 and CORPUS.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"From: Ana <ana@ngo.example>\r\nSubject: utf-7\r\nMessage-ID: <u7@x>\r\n"
        b'Content-Type: text/plain; charset="UTF-7"\r\n\r\nhello +3Rk- world\r\n',
        b"From: Ana <ana@ngo.example>\r\nSubject: =?utf-8?B?w6k=?= =?utf-8?B?/w==?=\r\n"
        b"Message-ID: <s1@x>\r\n\r\nHi\r\n",
        b"From: Ana <ana@ngo.example>\r\nSubject: =?gb2312?B?ztKw0b61?= =?gb2312?B?gQ==?=\r\n"
        b"Message-ID: <s2@x>\r\n\r\nHi\r\n",
    ],
    ids=["utf-7 lone surrogate", "utf-8 lone 0xff", "half a gb2312 pair"],
)
def test_real_world_broken_text_is_stored_held_and_told_to_the_moderators(hub, raw):
    """Two of 878 real messages were set aside: the database refused a lone surrogate, and the
    notice's encoder an undecodable byte."""
    spool(hub, raw)
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW).process_pending()
    [post] = posts(hub)
    assert post.status == "held" and hub.spool.failed() == [] and "\ufffd" in post.subject + post.body_text
    with session_scope(hub.engine) as session:
        notices = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "hold-notice")).all()
    assert len(notices) == 2
