"""Review by several moderators (issue 16) against a running `hubmail serve`, over SMTP, with the relay
sink catching every notice and receipt: approvals = 2 from the groups un and others."""

from __future__ import annotations

import json

import pytest

from tests.configs import IVANA, MIA, OLA, SAM, review_space
from tests.e2e.test_moderation import ANA, send, wait_mail
from tests.e2e.test_moderation import mail_to as mail_to_about
from tests.moderation_helpers import body, flat, reply
from tests.support.hubserver import HubServer, wait_for

MODERATORS = (MIA, IVANA, OLA, SAM)


def contribution(n: int, subject: str) -> bytes:
    return (
        f"From: Ana Pérez <{ANA}>\r\nSubject: {subject}\r\nMessage-ID: <review-{n}@ngo.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops.\r\n"
    ).encode()


@pytest.fixture()
def server(tmp_path, sink, database):
    hub = HubServer(tmp_path, sink.port, database=database, extra=review_space()).start()
    yield hub
    hub.stop()


def held(server, sink, n: int, subject: str) -> dict[str, bytes]:
    send(server, ANA, "practices@hub.example.org", contribution(n, subject))
    return {m: wait_mail(sink, m, f"held for moderation: {subject}")[0] for m in MODERATORS}


def answer(server, notices: dict[str, bytes], moderator: str, text: str, message_id: str) -> None:
    send(server, moderator, *reply(notices[moderator], moderator, text, message_id))


def post(server, subject: str) -> dict:
    return next(p for p in server.posts() if p["subject"] == subject)


def test_two_groups_must_approve_a_second_approval_is_refused_and_a_reject_ends_it(server, sink):
    notices = held(server, sink, 1, "Our practice")
    assert "At least one approval from each group: un, others." in flat(body(notices[OLA]))

    answer(server, notices, MIA, "approve", "mia-1@un.example")
    [receipt] = wait_mail(sink, ANA, "Under review: Our practice")
    assert "1 of 2 reviews done" in flat(body(receipt))
    for other in (IVANA, OLA, SAM):
        [update] = wait_mail(sink, other, f"approved by {MIA}, still held")
        assert f"Approved so far: {MIA}" in body(update)

    answer(server, notices, IVANA, "approve", "ivana-1@un.example")  # two of un: others still missing
    later = wait_mail(sink, ANA, "Under review: Our practice", count=2)[1]
    assert "2 of 3 reviews done" in flat(body(later))
    [update] = wait_mail(sink, OLA, f"approved by {IVANA}, still held")
    assert "Still needed: 1 approval. At least one from: others." in flat(body(update))
    assert post(server, "Our practice")["status"] == "held"
    [hold] = json.loads(server.cli("holds", "--json").stdout)
    assert hold["review"]["approved_by"] == [MIA, IVANA] and hold["review"]["missing_groups"] == ["others"]

    answer(server, notices, MIA, "approve", "mia-2@un.example")  # her second approval
    results = wait_mail(sink, MIA, "Results of your moderation commands", count=2)
    assert "#1: you already approved it" in flat(body(results[1])) and "nothing changed" in body(results[1])

    answer(server, notices, OLA, "approve", "ola-1@ngo.example")  # the one from "others"
    [published] = wait_mail(sink, ANA, "Published: Our practice")
    assert "/practices/message/" in body(published)
    [update] = wait_mail(sink, SAM, f"approved by {OLA}")
    wait_for(lambda: post(server, "Our practice")["status"] == "published", what="publication")
    assert mail_to_about(sink, MIA, f"by {IVANA}") == []  # an approver gets no further notice for it
    assert mail_to_about(sink, MIA, f"by {OLA}") == [] and mail_to_about(sink, IVANA, f"by {OLA}") == []

    notices = held(server, sink, 2, "Another practice")
    answer(server, notices, MIA, "approve", "mia-3@un.example")
    wait_mail(sink, ANA, "Under review: Another practice")
    answer(server, notices, SAM, "reject off-topic for this space", "sam-1@academia.example")
    [rejected] = wait_mail(sink, ANA, "Not published")
    assert "off-topic for this space" in body(rejected)
    wait_for(lambda: post(server, "Another practice")["status"] == "rejected", what="the rejection")
    review = post(server, "Another practice")["review"]
    assert review["approved_by"] == [MIA] and review["rejected_by"] == [SAM]
