"""A real `hubmail serve` and smtplib: accepted, refused, oversize, threaded, stored once."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from archive.record.urls import attachment_path, message_hash
from tests.support.hubserver import HubServer, wait_for

DOMAIN = "hub.example.org"


def message(mid: str, subject: str = "Our contribution", extra: str = "", body: str = "Hello.") -> bytes:
    return (
        f"From: Ana Pérez <ana@ngo.example>\r\nTo: unece-review@{DOMAIN}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nDate: Sat, 20 Jan 2024 10:00:00 +0000\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_accepted_message_is_held_in_its_question(server):
    with server.smtp() as client:
        client.ehlo()
        assert client.has_extn("size") and client.has_extn("smtputf8")
        client.mail("ana@ngo.example")
        client.rcpt(f"unece-review+q2@{DOMAIN}")
        code, text = client.data(message("first@ngo.example"))
    assert code == 250 and b"Queued as" in text
    [post] = server.wait_for_posts(1)
    assert post["status"] == "held" and post["question"] == 2 and post["space"] == "unece-review"
    assert post["message_id"] == "first@ngo.example" and post["from"] == "ana@ngo.example"
    assert post["subject"] == "Our contribution" and post["parent_message_id"] is None


def test_unknown_addresses_are_refused_at_rcpt(server):
    with server.smtp() as client:
        client.mail("ana@ngo.example")
        code, text = client.rcpt(f"nobody@{DOMAIN}")
        assert code == 550 and b"no discussion space" in text
        code, text = client.rcpt(f"unece-review+q7@{DOMAIN}")
        assert code == 550 and b"no question 7" in text
        code, text = client.rcpt("unece-review@elsewhere.example")
        assert code == 550
        assert client.rcpt(f"unece-review@{DOMAIN}")[0] == 250
        assert client.data(message("mixed@ngo.example"))[0] == 250
    [post] = server.wait_for_posts(1)
    assert post["question"] is None


def test_oversize_is_refused_early_and_late(server):
    big = message("big@ngo.example", body=("x" * 998 + "\r\n") * 2100)
    with server.smtp() as client:
        # Announced with SIZE: refused at MAIL FROM.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("ana@ngo.example", [f"unece-review@{DOMAIN}"], big)
        assert refused.value.smtp_code == 552
    with server.smtp() as client:
        # Not announced: refused at the end of DATA.
        client.ehlo()
        client.esmtp_features.pop("size", None)
        client.mail("ana@ngo.example")
        client.rcpt(f"unece-review@{DOMAIN}")
        assert client.data(big)[0] == 552
    assert server.posts() == []


def test_long_lines_are_accepted(server):
    line = "<p>" + "word " * 1000 + "</p>"  # 5,000 bytes, as real HTML mail has
    with server.smtp() as client:
        client.sendmail("ana@ngo.example", [f"unece-review@{DOMAIN}"], message("long@ngo.example", body=line))
    [post] = server.wait_for_posts(1)
    assert post["message_id"] == "long@ngo.example"


def test_replies_are_threaded_and_duplicates_stored_once(server):
    with server.smtp() as client:
        client.sendmail("ana@ngo.example", [f"unece-review+q1@{DOMAIN}"], message("root@ngo.example"))
        server.wait_for_posts(1)
        reply = message("reply@ngo.example", "Re: Our contribution", "In-Reply-To: <root@ngo.example>\r\n")
        client.sendmail("bo@ngo.example", [f"unece-review@{DOMAIN}"], reply)
        for _ in range(3):  # an SMTP retry storm
            client.sendmail("ana@ngo.example", [f"unece-review+q1@{DOMAIN}"], message("root@ngo.example"))
    root, child = server.wait_for_posts(2)
    assert child["parent_message_id"] == "root@ngo.example" and child["parent_id"] == root["id"]
    assert child["question"] == 1 and child["thread_id"] == root["id"]
    wait_for(
        lambda: (
            server.cli("status", "--json").stdout
            and b'"spool_pending": 0' in server.cli("status", "--json").stdout
        ),
        what="empty spool",
    )
    assert len(server.posts()) == 2


def test_too_many_recipients_get_452(server):
    with server.smtp() as client:
        client.mail("ana@ngo.example")
        codes = [client.rcpt(f"unece-review@{DOMAIN}")[0] for _ in range(101)]
    assert codes[:100] == [250] * 100 and codes[100] == 452


def test_huge_header_block_is_refused_with_a_reason(server):
    huge = message("huge@ngo.example", extra="X-Filler: " + ("a" * 900 + "\r\n ") * 130 + "\r\n")
    with server.smtp() as client:
        client.mail("ana@ngo.example")
        client.rcpt(f"unece-review@{DOMAIN}")
        code, text = client.data(huge)
    assert code == 554 and b"header block" in text


def test_bare_lf_cannot_smuggle_a_second_message(server):
    # CVE-2023-51764 family: only CRLF.CRLF ends DATA.
    smuggled = (
        message("outer@ngo.example").rstrip(b"\r\n") + b"\n.\nMAIL FROM:<evil@x.example>\n"
        b"RCPT TO:<unece-review@hub.example.org>\nDATA\nMessage-ID: <smuggled@x>\n\nevil\n"
    )
    with server.smtp() as client:
        client.sendmail("ana@ngo.example", [f"unece-review@{DOMAIN}"], smuggled)
    server.wait_for_posts(1)
    wait_for(lambda: b'"spool_pending": 0' in server.cli("status", "--json").stdout, what="empty spool")
    assert [p["message_id"] for p in server.posts()] == ["outer@ngo.example"]


def test_closed_space_refusal_reaches_the_sender_through_the_relay(server, sink):
    with server.smtp() as client:
        client.sendmail("ana@ngo.example", [f"closed-space@{DOMAIN}"], message("late@ngo.example"))
    [post] = server.wait_for_posts(1)
    assert post["status"] == "rejected"
    mail_from, recipients, raw = wait_for(lambda: sink.messages and sink.messages[0], what="refusal")
    assert mail_from == "<>" and recipients == ["ana@ngo.example"]  # null sender: RFC 3834
    refusal = message_from_bytes(raw, policy=policy.default)
    assert refusal["In-Reply-To"] == "<late@ngo.example>"
    assert "closed on 1 February 2020, 00:00 UTC" in refusal.get_content()


def test_sigterm_stops_cleanly(server):
    assert server.stop(signal.SIGTERM) == 0
    assert "stopped" in server.log.read_text()


def test_a_reader_who_stops_reading_a_download_cannot_hold_up_sigterm(tmp_path, sink):
    # More than the kernel's socket buffers hold, so the response stays unfinished.
    server = HubServer(tmp_path, sink.port, max_message_bytes=30_000_000).start()
    try:
        report = EmailMessage()
        report["From"], report["To"], report["Subject"] = "ana@ngo.example", f"unece-review@{DOMAIN}", "R"
        report["Message-ID"] = "<big@ngo.example>"
        report.set_content("Our report is attached.")
        report.add_attachment(os.urandom(16_000_000), maintype="application", subtype="pdf", filename="r.pdf")
        with server.smtp() as client:
            client.send_message(report)
        server.wait_for_posts(1)
        server.cli("moderate", "approve", "1")
        path = attachment_path("unece-review", message_hash("big@ngo.example"), 0)
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting, to take effect
        reader.connect(("127.0.0.1", server.web_port))
        reader.sendall(f"GET {path} HTTP/1.1\r\nHost: hub\r\n\r\n".encode())
        assert reader.recv(12) == b"HTTP/1.1 200"  # and then it reads no more
        started = time.monotonic()
        assert server.stop(signal.SIGTERM, timeout=40) == 0
        assert time.monotonic() - started < 30  # uvicorn's graceful wait is bounded (10 s)
        assert "stopped" in server.log.read_text()
        reader.close()
    finally:
        server.kill()


def test_too_many_connections_from_one_client_get_421(tmp_path, sink):
    from tests.support.hubserver import HubServer

    hub = HubServer(tmp_path, sink.port, extra="").start()
    hub.config.write_text(
        hub.config.read_text().replace(
            "[smtp]\n", "[smtp]\nmax_connections_per_client = 3\ntrusted_peers = []\n"
        )
    )
    hub.stop()
    hub.start()
    try:
        held = [hub.smtp() for _ in range(3)]
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP("127.0.0.1", hub.smtp_port, timeout=10)
        assert refused.value.smtp_code == 421
        held.pop().quit()
        time.sleep(0.2)
        hub.smtp().quit()  # a place is free again
        for client in held:
            client.quit()
    finally:
        hub.stop()


def configured(tmp_path, sink, settings: str) -> HubServer:
    hub = HubServer(tmp_path, sink.port)
    hub.config.write_text(hub.config.read_text().replace("[smtp]\n", f"[smtp]\n{settings}\n"))
    return hub.start()


def transcript(port: int, lines: bytes, replies: int) -> list[bytes]:
    """Send lines as they are (bare LF and all) and read `replies` reply lines after the greeting."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(lines)
        return [reader.readline() for _ in range(replies)]


def test_a_message_with_bare_lf_line_ends_over_64_kib_is_taken_as_postfix_would(server):
    body = b"".join(b"line %d of a report written with bare LF\n" % n for n in range(3000))  # 120 KB
    head = b"From: Ana <ana@ngo.example>\nSubject: Bare LF\nMessage-ID: <lf@ngo.example>\n\n"
    session = (
        b"HELO client.example\r\nMAIL FROM:<ana@ngo.example>\r\n"
        b"RCPT TO:<unece-review@hub.example.org>\r\nDATA\r\n" + head + body + b"\r\n.\r\nQUIT\r\n"
    )
    replies = transcript(server.smtp_port, session, 5)
    assert replies[4].startswith(b"250 2.0.0 Queued"), replies
    [post] = server.wait_for_posts(1)
    assert post["subject"] == "Bare LF"
    with server.smtp() as client:  # and the session limits are back to command lines' own
        assert client.docmd("NOOP " + "x" * 70_000)[0] == 500


def test_pipelining_is_advertised(server):
    with server.smtp() as client:
        assert client.has_extn("pipelining")


def test_twenty_noops_are_the_most_a_session_gets(server):
    replies = transcript(server.smtp_port, b"EHLO c.example\r\n" + b"NOOP\r\n" * 21, 30)
    codes = [line[:3] for line in replies if line[3:4] == b" "]
    assert codes[1:21] == [b"250"] * 20 and codes[21] == b"421"


def test_a_session_past_its_length_is_closed_unless_it_is_the_local_mta(tmp_path, sink):
    hub = configured(tmp_path, sink, "max_session_seconds = 2\ntrusted_peers = []")
    try:
        client = hub.smtp()
        time.sleep(3)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
            client.noop()  # the 421 may come first, then the close
    finally:
        hub.stop()
    hub.config.write_text(
        hub.config.read_text().replace("trusted_peers = []", 'trusted_peers = ["127.0.0.1"]')
    )
    hub.start()
    try:
        with hub.smtp() as client:
            time.sleep(3)
            assert client.noop()[0] == 250
    finally:
        hub.stop()


def test_probing_for_addresses_gets_slower_with_each_unknown_one(tmp_path, sink):
    hub = configured(tmp_path, sink, "probe_grace = 1\ntrusted_peers = []")
    try:
        with hub.smtp() as client:
            client.mail("probe@x.example")
            started = time.monotonic()
            codes = [client.rcpt(f"nobody{n}@hub.example.org")[0] for n in range(3)]
            waited = time.monotonic() - started
    finally:
        hub.stop()
    assert codes == [550, 550, 550] and waited >= 3  # 0 s, then 1 s, then 2 s
