"""Forging trust against a running hub: a trusted From without DKIM, sender-written Authentication-Results."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.test_moderation import send, wait_mail
from tests.e2e.test_postfix import send_through
from tests.moderation_helpers import body, reply
from tests.support.dkimkeys import hub_with_keys, make_key
from tests.support.hubserver import HubServer, Sink, wait_for
from tests.support.postfix import throwaway_postfix

MIA, IVANA, TIA = "mia@un.example", "ivana@un.example", "tia@ngo.example"
SPACE = "unece-review@hub.example.org"
REQUIRE = '[moderation]\nrequire_authenticated = true\ntrusted_authserv_id = "mx.hub.example.org"\n'
# What a sender writes to pass for our own MTA's verdict (RFC 8601 section 5 says: remove them).
FORGED_RESULTS = (
    "Authentication-Results: mx.hub.example.org; dkim=pass header.d=un.example\r\n",
    "AUTHENTICATION-RESULTS: MX.HUB.EXAMPLE.ORG; DKIM=PASS HEADER.D=UN.EXAMPLE\r\n",
    "Authentication-Results: mx.hub.example.org (our MTA); dmarc=pass (p=reject) header.from=un.example\r\n",
)
# The README's Postfix recipe: drop every incoming header that claims our MTA's authserv-id.
POSTFIX_STRIP = (
    r"/^Authentication-Results:[[:space:]]*(\([^)]*\)[[:space:]]*)*mx\.hub\.example\.org([[:space:];(]|$)/"
    " IGNORE\n"
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return {domain: make_key(folder, domain) for domain in ("ngo.example", "evil.example", "un.example")}


def post(message_id: str, sender: str = TIA, text: str = "One-stop shops in three cities.") -> bytes:
    return (
        f"From: Tia <{sender}>\r\nTo: {SPACE}\r\nSubject: A practice {message_id}\r\n"
        f"Message-ID: <{message_id}@ngo.example>\r\nDate: Sat, 20 Jan 2024 09:00:00 +0000\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


def status_of(server: HubServer, message_id: str) -> dict:
    found = wait_for(
        lambda: [p for p in server.posts() if p["message_id"] == f"{message_id}@ngo.example"],
        30,
        what=message_id,
    )
    return found[0]


def test_a_trusted_address_in_from_is_not_enough_without_an_aligned_dkim_signature(tmp_path, keys):
    ngo, evil = keys["ngo.example"], keys["evil.example"]
    with Sink() as sink:
        server = hub_with_keys(tmp_path / "hub", sink.port, list(keys.values()))
        try:
            send(server, TIA, SPACE, ngo.sign(post("first")))
            notice = wait_mail(sink, MIA, "held for moderation")[0]
            address, raw = reply(notice, MIA, "approve trust", "trust-1@un.example")
            send(server, MIA, address, raw)
            wait_for(lambda: status_of(server, "first")["status"] == "published", 30, what="first published")

            attacks = {
                "forged": post("forged"),  # the attack of the issue: envelope evil@, From: tia@
                "misaligned": evil.sign(post("misaligned")),  # a valid signature, of the wrong domain
                "altered": ngo.sign(post("altered")).replace(b"three cities", b"our bank account"),
            }
            for raw in attacks.values():
                send(server, "evil@evil.example", SPACE, raw)
            send(server, TIA, SPACE, ngo.sign(post("signed")))
            assert status_of(server, "signed")["status"] == "published"
            assert {name: status_of(server, name)["status"] for name in attacks} == dict.fromkeys(
                attacks, "held"
            )
            notices = wait_mail(sink, MIA, "held for moderation", count=4)
        finally:
            server.stop()
    texts = [" ".join(body(raw).split()) for raw in notices[1:]]  # notes are wrapped as paragraphs
    assert any(
        "trusted sender, but this message is not authenticated (no DKIM signature)" in t for t in texts
    )
    assert any("DKIM signature of evil.example, not of the From domain ngo.example" in t for t in texts)
    assert any("body hash mismatch" in t for t in texts)


def test_sender_written_authentication_results_do_not_authenticate_a_moderator(tmp_path, keys):
    """hubmail is the MX (protocol smtp): every Authentication-Results came from outside."""
    with Sink() as sink:
        server = hub_with_keys(tmp_path / "hub", sink.port, list(keys.values()), extra=REQUIRE)
        try:
            send(server, TIA, SPACE, post("held"))
            notice = wait_mail(sink, MIA, "held for moderation")[0]
            for number, header in enumerate(FORGED_RESULTS):
                address, raw = reply(notice, MIA, "approve", f"forged-{number}@un.example", extra=header)
                send(server, MIA, address, raw)
            replies = wait_for(lambda: _moderation_replies(server, len(FORGED_RESULTS)), 30, what="replies")
            refusal = wait_mail(sink, MIA, "", count=2)[1]
            assert status_of(server, "held")["status"] == "held"
            address, raw = reply(notice, MIA, "approve", "signed@un.example")
            send(server, MIA, address, keys["un.example"].sign(raw))
            wait_for(lambda: status_of(server, "held")["status"] == "published", 30, what="approved")
        finally:
            server.stop()
    assert all("refused: the message is not authenticated" in outcome for _, outcome in replies)
    # One answer an hour per sender: the first refusal says why; the others were not answered.
    assert "not authenticated (DKIM or DMARC) for your domain: no DKIM signature" in " ".join(
        body(refusal).split()
    )


def test_the_postfix_recipe_strips_authentication_results_claiming_our_mta(tmp_path, keys):
    """Behind Postfix over LMTP, our MTA's headers are believed, so Postfix must drop forged ones."""
    checks = tmp_path / "header_checks"
    checks.write_text(POSTFIX_STRIP)
    with Sink() as sink:
        server = hub_with_keys(
            tmp_path / "hub", sink.port, list(keys.values()), extra=REQUIRE, protocol="lmtp"
        )
        extra = f"header_checks = regexp:{checks}"
        transport = f"lmtp:inet:127.0.0.1:{server.smtp_port}"
        try:
            with throwaway_postfix(
                tmp_path / "postfix", "hub.example.org", transport, extra=extra
            ) as postfix:
                send_through(postfix.port, [SPACE], post("behind"))
                notice = wait_mail(sink, MIA, "held for moderation")[0]
                for number, header in enumerate(FORGED_RESULTS):
                    address, raw = reply(notice, MIA, "approve", f"pf-{number}@un.example", extra=header)
                    send_through(postfix.port, [address], raw)
                replies = wait_for(
                    lambda: _moderation_replies(server, len(FORGED_RESULTS)), 30, what="replies"
                )
        finally:
            server.stop()
    assert status_of(server, "behind")["status"] == "held"
    for raw, outcome in replies:
        assert b"authentication-results" not in raw.lower()  # Postfix dropped them: nothing to believe
        assert "refused: the message is not authenticated (DKIM or DMARC)" in outcome


def _moderation_replies(server: HubServer, count: int) -> list[tuple[bytes, str]] | None:
    """The moderation replies the hub stored, with what it did about each."""
    with sqlite3.connect(server.folder / "data" / "hubmail.sqlite3") as db:
        rows = db.execute("select raw, outcome from command_mail where kind = 'moderate'").fetchall()
    return rows if len(rows) >= count else None
