"""Subscriptions with a real `hubmail serve`, a real relay sink, smtplib and an HTTP client."""

from __future__ import annotations

import json
import signal
import urllib.parse
import urllib.request

from tests.moderation_helpers import body, parse
from tests.support.hubserver import HubServer, Sink, free_port, wait_for

REQUEST = "unece-review-request@hub.example.org"
POST = (
    "From: Ana Pérez <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <{mid}>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops.\r\n"
)


def mail_to(sink, address: str, subject_part: str = "") -> list[bytes]:
    return [
        raw
        for _, rcpts, raw in list(sink.messages)
        if address in rcpts and subject_part in str(parse(raw)["Subject"])
    ]


def wait_mail(sink, address: str, subject_part: str = "", count: int = 1, timeout: float = 30) -> list[bytes]:
    return wait_for(
        lambda: (m := mail_to(sink, address, subject_part)) and len(m) >= count and m,
        timeout,
        what=f"{count} mail(s) to {address} about {subject_part!r}",
    )


def send(server: HubServer, sender: str, recipient: str, raw: str) -> None:
    with server.smtp() as client:
        client.sendmail(sender, [recipient], raw.encode())


def subscribe(server: HubServer, sink, address: str, mode: str) -> None:
    send(
        server,
        address,
        REQUEST,
        f"From: {address}\r\nSubject: subscribe {mode}\r\nMessage-ID: <s-{address}>\r\n\r\n",
    )
    [ask] = wait_mail(sink, address, "Please confirm")
    reply_to = str(parse(ask)["Reply-To"])
    send(
        server,
        address,
        reply_to,
        f"From: {address}\r\nSubject: Re: confirm\r\nMessage-ID: <r-{address}>\r\n\r\nyes\r\n",
    )
    wait_for(
        lambda: any(s["address"] == address and s["status"] == "active" for s in subscribers(server)),
        30,
        what=f"{address} active",
    )


def subscribers(server: HubServer) -> list[dict]:
    return json.loads(server.cli("subscribers", "list", "--space", "unece-review", "--json").stdout)


def publish(server: HubServer, mid: str) -> None:
    send(server, "ana@ngo.example", "unece-review+q1@hub.example.org", POST.format(mid=mid))
    wait_for(lambda: any(p["message_id"] == mid for p in server.posts()), 30, what=f"post {mid}")
    post = next(p for p in server.posts() if p["message_id"] == mid)
    server.cli("moderate", "approve", str(post["id"]), "--by", "ops@un.example")


def test_subscribe_receive_digest_and_unsubscribe(server, sink):
    subscribe(server, sink, "bo@org.example", "each")
    subscribe(server, sink, "cy@org.example", "weekly")
    publish(server, "d1@ngo.example")
    [copy] = wait_mail(sink, "bo@org.example", "[unece-review] Our practice")
    message = parse(copy)
    assert message["Message-ID"] == "<d1@ngo.example>" and message["List-Unsubscribe-Post"]

    assert b"queued 1 weekly digest" in server.cli("digest", "send", "--mode", "weekly").stdout
    [digest] = wait_mail(sink, "cy@org.example", "Weekly digest")
    assert "Our practice" in body(digest) and "Q1: Promising practices?" in body(digest)
    assert b"queued 0 weekly digest" in server.cli("digest", "send", "--mode", "weekly").stdout

    https = message["List-Unsubscribe"].split("<")[1].split(">")[0]
    url = https.replace("http://127.0.0.1:8080", server.web_url)
    data = urllib.parse.urlencode({"List-Unsubscribe": "One-Click"}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=10) as answer:
        assert answer.status == 200
    status = {s["address"]: s["status"] for s in subscribers(server)}
    assert status == {"bo@org.example": "left", "cy@org.example": "active"}


def test_relay_down_then_up_delivers_everything_once(tmp_path):
    relay_port = free_port()  # nothing listens here yet: the relay is down
    hub = HubServer(tmp_path, relay_port, extra="").start()
    hub.config.write_text(hub.config.read_text().replace("timeout = 5\n", "timeout = 5\nretry_seconds = 1\n"))
    hub.stop()
    hub.start()
    try:
        send(hub, "ana@ngo.example", "unece-review@hub.example.org", POST.format(mid="down@ngo.example"))
        wait_for(lambda: b'"pending": 3' in hub.cli("status", "--json").stdout, 30, what="3 mails waiting")
        with Sink(relay_port) as sink:  # the relay comes back
            wait_for(lambda: len(sink.messages) >= 3, 60, what="the queued mail after the relay came back")
            wait_for(lambda: b'"sent": 3' in hub.cli("status", "--json").stdout, 30, what="all marked sent")
            # The two moderators' notices are one letter (one Message-ID) to two people: each once.
            deliveries = [(tuple(rcpts), parse(raw)["Message-ID"]) for _, rcpts, raw in sink.messages]
            assert len(deliveries) == len(set(deliveries)) == 3
    finally:
        hub.stop()


def test_restart_mid_digest_sends_each_subscriber_one_digest(tmp_path, sink):
    hub = HubServer(tmp_path, sink.port)
    addresses = [f"s{n}@org.example" for n in range(30)]
    hub.cli("subscribers", "add", *addresses, "--space", "unece-review", "--mode", "daily")
    hub.start()
    try:
        publish(hub, "r1@ngo.example")
        hub.cli("digest", "send", "--mode", "daily")
        hub.stop(signal.SIGKILL)  # while the outbox is handing digests to the relay
        hub.start()
        wait_for(lambda: all(mail_to(sink, a, "Daily digest") for a in addresses), 60, what="every digest")
        hub.cli("digest", "send", "--mode", "daily")  # nothing new: nothing sent
    finally:
        hub.stop()
    for address in addresses:
        ids = {parse(raw)["Message-ID"] for raw in mail_to(sink, address, "Daily digest")}
        assert len(ids) == 1, address
