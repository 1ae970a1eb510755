"""Moderation by email with a real `hubmail serve`, a real relay sink and smtplib for everyone."""

from __future__ import annotations

import threading

from tests.moderation_helpers import body, parse, reply
from tests.support.dkimkeys import hub_with_keys, make_key
from tests.support.hubserver import wait_for

MIA, IVANA, ANA = "mia@un.example", "ivana@un.example", "ana@ngo.example"
POST = (
    f"From: Ana Pérez <{ANA}>\r\nSubject: Our practice\r\nMessage-ID: <e2e-1@ngo.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops.\r\n"
).encode()


def mail_to(sink, recipient: str, subject_part: str = "") -> list[bytes]:
    return [
        raw
        for _, rcpts, raw in list(sink.messages)
        if recipient in rcpts and subject_part in str(parse(raw)["Subject"])
    ]


def wait_mail(sink, recipient: str, subject_part: str = "", count: int = 1) -> list[bytes]:
    return wait_for(
        lambda: (found := mail_to(sink, recipient, subject_part)) and len(found) >= count and found,
        30,
        what=f"mail to {recipient} about {subject_part!r}",
    )


def send(server, sender: str, recipient: str, raw: bytes) -> None:
    with server.smtp() as client:
        client.sendmail(sender, [recipient], raw)


def held_post(server, sink) -> dict[str, bytes]:
    send(server, ANA, "unece-review+q1@hub.example.org", POST)
    notices = {m: wait_mail(sink, m, "held for moderation")[0] for m in (MIA, IVANA)}
    wait_mail(sink, ANA, "Received")
    return notices


def test_approve_by_reply(server, sink):
    notices = held_post(server, sink)
    address, raw = reply(notices[MIA], MIA, "approve", "mia-1@un.example")
    send(server, MIA, address, raw)
    [receipt] = wait_mail(sink, ANA, "Published")
    assert "http://127.0.0.1:8080/unece-review/message/" in body(receipt)
    [update] = wait_mail(sink, IVANA, "approved by")
    assert f"approved by {MIA}" in str(parse(update)["Subject"])
    [post] = server.posts()
    assert post["status"] == "published" and post["decided_by"] == MIA
    assert post["decisions"][0]["action"] == "approve"
    assert post["decisions"][0]["source"] == "email <mia-1@un.example>"


def test_reject_by_reply(server, sink):
    notices = held_post(server, sink)
    address, raw = reply(notices[IVANA], IVANA, "reject too long", "ivana-1@un.example")
    send(server, IVANA, address, raw)
    [receipt] = wait_mail(sink, ANA, "Not published")
    assert "too long" in body(receipt)
    assert server.posts()[0]["status"] == "rejected"


def test_forged_from_changes_nothing(server, sink):
    notices = held_post(server, sink)
    address, raw = reply(notices[MIA], "mallory@evil.example", "approve", "forged-1@evil.example")
    send(server, "mallory@evil.example", address, raw)
    [refusal] = wait_mail(sink, "mallory@evil.example", "not accepted")
    assert "was not issued to you" in body(refusal)
    assert server.posts()[0]["status"] == "held"
    assert server.cli("holds", "--json").stdout.count(b'"status": "held"') == 1


def test_two_moderators_approving_at_once_make_one_decision(server, sink):
    notices = held_post(server, sink)
    replies = [
        reply(notices[m], m, "approve" if m == MIA else "reject not relevant", f"race-{n}@un.example")
        for n, m in enumerate((MIA, IVANA))
    ]
    threads = [
        threading.Thread(target=send, args=(server, m, address, raw))
        for m, (address, raw) in zip((MIA, IVANA), replies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_mail(sink, MIA, "Results")
    wait_mail(sink, IVANA, "Results")
    [post] = server.posts()
    assert len(post["decisions"]) == 1 and post["status"] in ("published", "rejected")
    loser = IVANA if post["decided_by"] == MIA else MIA
    assert "already" in body(wait_mail(sink, loser, "Results")[0])


def test_operator_cli_uses_the_same_path(server, sink):
    held_post(server, sink)
    [post] = server.posts()
    moved = server.cli("moderate", "move", str(post["id"]), "q2", "--by", "ops@un.example")
    assert b"moved to question 2" in moved.stdout
    server.cli("moderate", "approve", str(post["id"]), "--by", "ops@un.example")
    again = server.cli("moderate", "reject", str(post["id"]), "late", check=False)
    assert again.returncode == 1 and b"already approved by ops@un.example" in again.stdout
    [post] = server.posts()
    assert post["question"] == 2 and [d["action"] for d in post["decisions"]] == ["move", "approve"]
    wait_mail(sink, ANA, "Published")


def test_known_stakeholders_trusted_before_they_write_and_a_batch_approved_after_a_meeting(
    tmp_path, sink, database
):
    key = make_key(tmp_path / "keys", "ngo.example")
    server = hub_with_keys(tmp_path / "hub", sink.port, [key], database=database)
    try:
        _trusted_and_batch_approved(server, sink, key)
    finally:
        server.stop()


def _trusted_and_batch_approved(server, sink, key) -> None:
    added = server.cli("trusted", "add", "--space", "unece-review", "tia@ngo.example", "TEO@ngo.example")
    assert b"trusted 2 address(es)" in added.stdout
    listed = server.cli("trusted", "list", "--space", "unece-review", "--json").stdout.decode()
    assert '"tia@ngo.example"' in listed and '"teo@ngo.example"' in listed and "granted_by" in listed
    wrong = server.cli("trusted", "list", "--space", "nowhere", check=False)
    assert wrong.returncode == 2 and b"unece-review" in wrong.stderr  # names the spaces there are
    raw = b"From: tia@ngo.example\r\nSubject: Known\r\nMessage-ID: <t1@ngo.example>\r\n\r\nText\r\n"
    send(server, "tia@ngo.example", "unece-review+q1@hub.example.org", key.sign(raw))  # trust needs DKIM
    for n in range(3):
        raw = f"From: {ANA}\r\nSubject: Held {n}\r\nMessage-ID: <h{n}@ngo.example>\r\n\r\nText\r\n".encode()
        send(server, ANA, "unece-review+q1@hub.example.org", raw)
    posts = server.wait_for_posts(4)
    assert {p["status"] for p in posts if p["message_id"] == "t1@ngo.example"} == {"published"}
    done = server.cli("moderate", "approve", "--all-held", "--space", "unece-review")
    assert done.stdout.count(b": approved") == 3
    assert {p["status"] for p in server.posts()} == {"published"}
    assert server.cli("moderate", "approve", "--all-held", check=False).returncode == 2
