"""Moderation end to end through the worker: notices, replies, decisions, receipts and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from archive.record.models import CommandMail, Post
from config.database import session_scope
from gateway.hub import open_hub
from gateway.jobs import summaries
from gateway.spool import Envelope
from gateway.worker import Worker
from moderation.models import Decision
from tests.configs import make_settings
from tests.moderation_helpers import body, flat, outbox, parse, reply
from tests.support.dkimkeys import make_key, write_records

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
MIA, IVANA = "mia@un.example", "ivana@un.example"
POST = (
    "From: Ana Pérez <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@ngo.example>\r\n"
    "Date: Sat, 20 Jan 2024 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "City-level one-stop shops.\r\n\r\n> quoted from earlier\r\n> more\r\n"
).encode()


class Hub:
    """The hub fixture plus a worker whose clock the test moves."""

    def __init__(self, hub) -> None:
        self.hub, self.now = hub, NOW
        self.worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: self.now)

    def deliver(self, raw: bytes, to: str, sender: str = "ana@ngo.example", source: str = "smtp") -> None:
        self.hub.spool.put(Envelope(sender, [to], source, received_at=self.now.isoformat()), raw)
        self.worker.process_pending()

    def post(self, post_id: int = 1) -> Post:
        with session_scope(self.hub.engine) as session:
            return session.get(Post, post_id)

    def notices(self) -> dict[str, bytes]:
        return {row.recipient: row.raw for row in outbox(self.hub, "hold-notice")}


@pytest.fixture()
def flow(hub) -> Hub:
    flow = Hub(hub)
    flow.deliver(POST, "unece-review+q1@hub.example.org")
    return flow


def test_held_post_sends_one_notice_per_moderator_and_a_receipt(flow):
    notices = flow.notices()
    assert set(notices) == {MIA, IVANA}
    notice = parse(notices[MIA])
    assert notice["Auto-Submitted"] == "auto-generated"
    assert str(notice["Reply-To"]).startswith("moderate+h1-")
    assert notice["Reply-To"] != parse(notices[IVANA])["Reply-To"]  # each signed for its moderator
    text = body(notices[MIA])
    assert "Ana Pérez <ana@ngo.example>" in text and "Q1: Promising practices?" in text
    assert "first post from this sender" in text and "[2 quoted lines hidden]" in text
    assert "approve trust" in text
    [original] = list(notice.iter_attachments())
    assert original.get_content_type() == "message/rfc822"
    assert original.get_content()["Message-ID"] == "<p1@ngo.example>"
    assert notice.get_body(("html",)) is not None
    [receipt] = outbox(flow.hub, "receipt-received")
    assert receipt.recipient == "ana@ngo.example" and "reference P1" in body(receipt.raw)


def test_a_post_records_its_language_and_gets_its_receipt_in_it(flow):
    assert flow.post().language == "en"
    head = "From: Luc <luc@ong.example>\r\nSubject: Nos pratiques\r\nMessage-ID: <{}@ong.example>\r\n"
    head += "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    french = (head.format("fr1") + "Nous proposons des guichets uniques dans les villes pour les "
              "travailleurs migrants et leurs familles.\r\n").encode()  # fmt: skip
    flow.deliver(french, "unece-review+q1@hub.example.org", "luc@ong.example")
    assert flow.post(2).language == "fr"
    receipt = next(r for r in outbox(flow.hub, "receipt-received") if r.recipient == "luc@ong.example")
    assert "a bien été reçue" in flat(body(receipt.raw))
    german = (head.format("de1") + "Wir schlagen zentrale Anlaufstellen in den Städten für "
              "Arbeitsmigranten und ihre Familien vor.\r\n").encode()  # fmt: skip
    flow.deliver(german.replace(b"luc@", b"lea@"), "unece-review+q1@hub.example.org", "lea@ong.example")
    assert flow.post(3).language == "de"  # recorded as it is, though the space has no German
    receipts = [r for r in outbox(flow.hub, "receipt-received") if r.recipient == "lea@ong.example"]
    assert "has been received" in flat(body(receipts[-1].raw))  # the space's first language
    flow.deliver(french.replace(b"fr1", b"fr2"), "unece-review+q1@hub.example.org", "luc@ong.example")
    luc = [r for r in outbox(flow.hub, "receipt-received") if r.recipient == "luc@ong.example"]
    assert len(luc) == 1  # an automatic answer goes to one sender once an hour (replies_per_hour)


def test_approve_publishes_tells_author_and_other_moderator(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "r1@un.example")
    flow.deliver(raw, address, MIA)
    post = flow.post()
    assert (post.status, post.decided_by) == ("published", MIA)
    [receipt] = outbox(flow.hub, "receipt-published")
    assert "http://127.0.0.1:8080/unece-review/message/" in body(receipt.raw)
    [update] = outbox(flow.hub, "moderation-update")
    assert update.recipient == IVANA and f"approved by {MIA}" in str(parse(update.raw)["Subject"])
    [results] = outbox(flow.hub, "moderation-results")
    assert results.recipient == MIA and "approved" in body(results.raw)


def test_reject_tells_the_author_the_reason(flow):
    address, raw = reply(flow.notices()[IVANA], IVANA, "reject too long, please shorten", "r2@un.example")
    flow.deliver(raw, address, IVANA)
    assert flow.post().status == "rejected" and flow.post().reason == "too long, please shorten"
    [receipt] = outbox(flow.hub, "receipt-rejected")
    assert "too long, please shorten" in body(receipt.raw)


def test_discard_tells_nobody_but_the_moderators(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "discard", "r3@un.example")
    flow.deliver(raw, address, MIA)
    assert flow.post().status == "discarded"
    assert outbox(flow.hub, "receipt-rejected") == [] and outbox(flow.hub, "receipt-published") == []


def test_first_decision_wins_and_the_second_is_told(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "r4@un.example")
    flow.deliver(raw, address, MIA)
    address, raw = reply(flow.notices()[IVANA], IVANA, "reject spam", "r5@un.example")
    flow.deliver(raw, address, IVANA)
    assert flow.post().status == "published"
    results = [flat(body(r.raw)) for r in outbox(flow.hub, "moderation-results") if r.recipient == IVANA]
    assert f"already approved by {MIA}, 20 January 2024, 10:00 UTC; nothing changed" in results[0]
    with session_scope(flow.hub.engine) as session:
        assert [d.action for d in session.exec(select(Decision))] == ["approve"]


def test_conflicting_commands_in_one_reply(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "reject off-topic\napprove", "r6@un.example")
    flow.deliver(raw, address, MIA)
    assert flow.post().status == "rejected"
    [results] = outbox(flow.hub, "moderation-results")
    assert "already rejected" in body(results.raw)


@pytest.mark.parametrize(
    "sender, text, why",
    [
        ("attacker@evil.example", "approve", "was not issued to you"),
        ("mia@hub.example <attacker@evil.example>", "approve", "could not tell who sent it"),
    ],
)
def test_forged_or_foreign_replies_change_nothing(flow, sender, text, why):
    address, raw = reply(flow.notices()[MIA], sender, text, "forged@evil.example")
    flow.deliver(raw, address, "attacker@evil.example")
    assert flow.post().status == "held"
    [refusal] = outbox(flow.hub, "moderation-refusal")
    assert why in body(refusal.raw)


def test_moderator_replying_to_another_moderators_notice_is_refused(flow):
    address, raw = reply(flow.notices()[MIA], IVANA, "approve", "r7@un.example")
    flow.deliver(raw, address, IVANA)
    assert flow.post().status == "held"


def test_refusals_are_rate_limited_and_never_sent_to_automatic_mail(flow):
    for n in range(3):
        address, raw = reply(flow.notices()[MIA], "attacker@evil.example", "approve", f"f{n}@evil.example")
        flow.deliver(raw, address, "attacker@evil.example")
    assert len(outbox(flow.hub, "moderation-refusal")) == 1
    address, raw = reply(
        flow.notices()[MIA],
        "robot@evil.example",
        "approve",
        "auto@evil.example",
        extra="Auto-Submitted: auto-replied\r\n",
    )
    flow.deliver(raw, address, "robot@evil.example")
    assert len(outbox(flow.hub, "moderation-refusal")) == 1 and flow.post().status == "held"
    with session_scope(flow.hub.engine) as session:
        outcomes = [c.outcome for c in session.exec(select(CommandMail))]
    assert outcomes[-1].startswith("ignored: automatic mail")


def test_expired_token(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "late@un.example")
    flow.now = NOW + dt.timedelta(days=31)
    flow.deliver(raw, address, MIA)
    assert flow.post().status == "held"
    assert "expired on 2024-02-19" in flat(body(outbox(flow.hub, "moderation-refusal")[0].raw))


def test_the_same_reply_delivered_twice_acts_once(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "twice@un.example")
    flow.deliver(raw, address, MIA)
    flow.deliver(raw, address, MIA)
    assert len(outbox(flow.hub, "moderation-results")) == 1


def test_move_edit_and_approve_in_one_reply(flow):
    text = "move q2\nedit\n---begin---\nOne-stop shops (contact removed).\n---end---\napprove"
    address, raw = reply(flow.notices()[MIA], MIA, text, "r8@un.example")
    flow.deliver(raw, address, MIA)
    post = flow.post()
    assert post.status == "published" and post.body_text == "One-stop shops (contact removed)."
    assert b"City-level one-stop shops." in post.raw  # the original stays on record
    published = parse(post.edited_raw)  # what the public gets (archive.record.edits)
    assert published["Message-ID"] == "<p1@ngo.example>"
    assert published["From"] == "Ana Pérez <ana@ngo.example>"
    assert published["X-Hubmail-Edited"] == "Sat, 20 Jan 2024 10:00:00 +0000 by the moderators"
    assert body(post.edited_raw).strip() == "One-stop shops (contact removed)."
    assert b"City" not in post.edited_raw
    assert post.edited_at == NOW
    with session_scope(flow.hub.engine) as session:
        actions = [d.action for d in session.exec(select(Decision).order_by(Decision.id))]
        question = session.exec(select(Post)).one().question_id
    assert actions == ["move", "edit", "approve"] and question == 2


def test_approve_trust_publishes_the_next_signed_post_at_once_and_holds_a_forged_one(tmp_path, database):
    key = make_key(tmp_path / "keys", "ngo.example")
    flow = Hub(open_hub(make_settings(tmp_path, database=database, extra=static_dns(tmp_path, key))))
    flow.deliver(POST, "unece-review+q1@hub.example.org")
    address, raw = reply(flow.notices()[MIA], MIA, "approve trust", "r9@un.example")
    flow.deliver(raw, address, MIA)
    flow.deliver(key.sign(POST.replace(b"p1@ngo.example", b"p2@ngo.example")), "unece-review@hub.example.org")
    second = flow.post(2)
    assert second.status == "published" and second.decided_by == "trusted sender"
    assert len(flow.notices()) == 2  # no new notice for the trusted post
    forged = POST.replace(b"p1@ngo.example", b"p3@ngo.example")  # the trusted From, no signature
    flow.deliver(forged, "unece-review@hub.example.org", sender="evil@evil.example")
    third = flow.post(3)
    assert third.status == "held"
    assert "trusted sender, but this message is not authenticated (no DKIM signature)" in third.notes


def static_dns(folder, *keys) -> str:
    """[dns] answering only from a static file that publishes these keys."""
    write_records(folder / "dns.txt", list(keys))
    return '[dns]\nstatic_records = "dns.txt"\nsystem_resolver = false\n'


def test_help_and_empty_replies_get_the_command_list(flow):
    address, raw = reply(flow.notices()[MIA], MIA, "help", "h1@un.example")
    flow.deliver(raw, address, MIA)
    address, raw = reply(flow.notices()[MIA], MIA, "", "h2@un.example")
    flow.deliver(raw, address, MIA)
    first, second = outbox(flow.hub, "moderation-results")
    assert "approve trust" in body(first.raw) and "No command was found" in body(second.raw)
    assert flow.post().status == "held"


def test_require_authenticated_believes_our_mta_only_behind_it_and_verifies_dkim_itself(tmp_path, database):
    key = make_key(tmp_path / "keys", "un.example")
    extra = '[moderation]\nrequire_authenticated = true\ntrusted_authserv_id = "mx.hub.example.org"\n'
    flow = Hub(open_hub(make_settings(tmp_path, database=database, extra=extra + static_dns(tmp_path, key))))
    flow.deliver(POST, "unece-review@hub.example.org")
    forged = "Authentication-Results: evil.example; dkim=pass header.d=un.example\r\n"
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "a1@un.example", extra=forged)
    flow.deliver(raw, address, MIA, source="lmtp")
    assert flow.post().status == "held"
    ours = "Authentication-Results: mx.hub.example.org; dkim=pass header.d=un.example\r\n"
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "a2@un.example", extra=ours)
    flow.deliver(raw, address, MIA, source="smtp")  # hubmail is the MX: the sender wrote it
    assert flow.post().status == "held"
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "a3@un.example")
    flow.deliver(key.sign(raw), address, MIA, source="smtp")
    assert flow.post().status == "published"


def test_our_mtas_authentication_results_count_behind_it(tmp_path, database):
    extra = '[moderation]\nrequire_authenticated = true\ntrusted_authserv_id = "mx.hub.example.org"\n'
    flow = Hub(open_hub(make_settings(tmp_path, database=database, extra=extra)))
    flow.deliver(POST, "unece-review@hub.example.org")
    ours = "Authentication-Results: mx.hub.example.org; dkim=pass header.d=un.example\r\n"
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "a2@un.example", extra=ours)
    flow.deliver(raw, address, MIA, source="lmtp")
    assert flow.post().status == "published"


def test_daily_summary_lists_old_holds_once_and_is_answerable(flow):
    assert summaries(flow.hub, NOW + dt.timedelta(hours=1)) == 0  # nothing a day old yet
    later = NOW + dt.timedelta(hours=25)
    assert summaries(flow.hub, later) == 2 and summaries(flow.hub, later) == 0
    summary = {row.recipient: row.raw for row in outbox(flow.hub, "moderation-summary")}[MIA]
    assert "#1" in body(summary) and "approve 1" in body(summary)
    flow.now = later
    address, raw = reply(summary, MIA, "approve 1", "s1@un.example")
    flow.deliver(raw, address, MIA)
    assert flow.post().status == "published"


def test_header_injection_never_reaches_outgoing_mail(hub):
    """RELIABILITY.md 1 (CVE-2024-6923): the exact Subject, through notices and receipts."""
    flow = Hub(hub)
    evil = POST.replace(b"Subject: Our practice", b"Subject: Hi =?UTF-8?Q?there=0ABcc:_x@evil.example?=")
    flow.deliver(evil, "unece-review@hub.example.org")
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "inj@un.example")
    flow.deliver(raw, address, MIA)
    sent = outbox(flow.hub)
    assert {row.kind for row in sent} >= {
        "hold-notice",
        "receipt-received",
        "receipt-published",
        "moderation-update",
        "moderation-results",
    }
    for row in sent:
        head = row.raw.split(b"\r\n\r\n", 1)[0].lower()
        assert b"\nbcc:" not in head and parse(row.raw)["Bcc"] is None, row.kind


def test_mail_to_the_owner_address_reaches_each_moderator_once(flow):
    raw = (
        b"From: Ana <ana@ngo.example>\r\nSubject: A question about the review\r\n"
        b"Message-ID: <own1@ngo.example>\r\n\r\nWho can I call about our submission?\r\n"
    )
    flow.deliver(raw, "unece-review-owner@hub.example.org")
    flow.deliver(raw, "unece-review-owner@hub.example.org")  # the same message again
    forwarded = outbox(flow.hub, "owner-forward")
    assert sorted(row.recipient for row in forwarded) == [IVANA, MIA]
    first = parse(forwarded[0].raw)
    assert first["Reply-To"] == "ana@ngo.example" and "Who can I call" in body(forwarded[0].raw)
    bot = raw.replace(b"own1@", b"own2@").replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    flow.deliver(bot, "unece-review-owner@hub.example.org")
    assert len(outbox(flow.hub, "owner-forward")) == 2  # automatic mail is never passed on


def test_notices_are_in_the_spaces_working_language_and_english_commands_still_work(tmp_path, database):
    extra = """
[[spaces]]
slug = "revue"
title = { fr = "Examen régional", en = "Regional review" }
languages = ["fr", "en"]
moderators = ["mia@un.example"]
"""
    hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
    french = Hub(hub)
    french.deliver(POST, "revue@hub.example.org")
    [notice] = outbox(hub, "hold-notice")
    assert parse(notice.raw)["Subject"] == "[revue] #1 en attente de modération: Our practice"
    text = body(notice.raw)
    assert "Une contribution à « Examen régional » attend un modérateur." in text
    assert "approve          publier la contribution" in text
    assert 'lang="fr"' in parse(notice.raw).get_body(("html",)).get_content()
    address, raw = reply(notice.raw, MIA, "approve", "fr1@un.example")
    french.deliver(raw, address, MIA)
    assert french.post().status == "published"
    hub.engine.dispose()


def test_a_moderator_added_by_the_members_command_is_a_whole_moderator(hub):
    from archive.record.members import add_member
    from archive.record.spaces import space_row

    zoe = "zoe@un.example"
    with session_scope(hub.engine) as session:
        add_member(session, space_row(session, "unece-review"), zoe, "moderator", "test")
    flow = Hub(hub)
    flow.deliver(POST, "unece-review+q1@hub.example.org")
    assert set(flow.notices()) == {MIA, IVANA, zoe}
    address, raw = reply(flow.notices()[zoe], zoe, "approve", "zoe1@un.example")
    flow.deliver(raw, address, zoe)
    assert flow.post().status == "published"
    question = (
        b"From: Ana <ana@ngo.example>\r\nSubject: Hello\r\nMessage-ID: <own9@ngo.example>\r\n\r\nHi\r\n"
    )
    flow.deliver(question, "unece-review-owner@hub.example.org")
    assert zoe in {row.recipient for row in outbox(hub, "owner-forward")}


def test_one_message_to_two_spaces_owners_reaches_both(tmp_path, database):
    extra = '\n[[spaces]]\nslug = "second"\ntitle = "Second"\nmoderators = ["sam@un.example"]\n'
    hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
    flow = Hub(hub)
    raw = b"From: Ana <ana@ngo.example>\r\nSubject: Both\r\nMessage-ID: <both@ngo.example>\r\n\r\nHi\r\n"
    both = ["unece-review-owner@hub.example.org", "second-owner@hub.example.org"]
    hub.spool.put(Envelope("ana@ngo.example", both, "smtp", received_at=NOW.isoformat()), raw)
    flow.worker.process_pending()
    assert sorted(row.recipient for row in outbox(hub, "owner-forward")) == [IVANA, MIA, "sam@un.example"]
    hub.engine.dispose()


def test_a_bounce_from_a_named_mailer_daemon_is_discarded_and_gets_no_receipt(hub):
    """Envelope MAILER-DAEMON@ (not the null sender) and a From with no address: seen in the wild."""
    flow = Hub(hub)
    bounce = (
        b"From: MAILER-DAEMON (Mail Delivery System)\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <b1@mx.example>\r\n\r\nThis is the mail system at host mx.example.\r\n"
    )
    flow.deliver(bounce, "unece-review+q1@hub.example.org", sender="MAILER-DAEMON@mx.example")
    assert flow.post().status == "discarded" and outbox(hub) == []


@pytest.mark.parametrize(
    "sender",
    ["noreply@platform.example", "no-reply+42@x.example", "bounces@lists.example", "Do_Not_Reply@x.example"],
)
def test_mail_from_a_machine_address_is_held_but_never_answered(hub, sender):
    flow = Hub(hub)
    post = (
        f"From: Platform <{sender}>\r\nSubject: Weekly update\r\nMessage-ID: <m1@x.example>\r\n\r\nNews.\r\n"
    )
    flow.deliver(post.encode(), "unece-review+q1@hub.example.org", sender=sender)
    assert flow.post().status == "held"
    assert outbox(hub, "receipt-received") == [] and len(flow.notices()) == 2  # the moderators still hear


def test_a_person_whose_name_merely_resembles_a_machine_still_gets_a_receipt(hub):
    flow = Hub(hub)
    post = b"From: Bounce Lab <info@bouncelab.example>\r\nSubject: Hi\r\nMessage-ID: <m2@x>\r\n\r\nHi\r\n"
    flow.deliver(post, "unece-review+q1@hub.example.org", sender="info@bouncelab.example")
    assert [r.recipient for r in outbox(hub, "receipt-received")] == ["info@bouncelab.example"]


@pytest.mark.parametrize("days, changed", [(6, True), (8, False)])
def test_edit_and_move_by_mail_end_edit_days_after_the_decision(flow, days, changed):
    address, raw = reply(flow.notices()[MIA], MIA, "approve", "w1@un.example")
    flow.deliver(raw, address, MIA)
    flow.now += dt.timedelta(days=days)  # the reply address itself lasts token_days (30)
    text = "move q2\nedit\n---begin---\nRewritten.\n---end---"
    flow.deliver(reply(flow.notices()[MIA], MIA, text, "w2@un.example")[1], address, MIA)
    post = flow.post()
    assert (post.body_text == "Rewritten.", post.question_id == 2) == (changed, changed)
    if not changed:
        results = body(outbox(flow.hub, "moderation-results")[-1].raw)
        assert "#1: too late to move it by mail" in flat(results) and "too late to edit" in flat(results)
