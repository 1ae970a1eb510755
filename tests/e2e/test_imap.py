"""IMAP ingress against a real Dovecot: taken once, moved, resumable across restarts and UIDVALIDITY."""

from __future__ import annotations

import json
import re

import pytest
from imapclient import IMAPClient

from tests.conftest import fresh_postgres_database
from tests.support.dovecot import PASSWORD, USER, Dovecot, throwaway_dovecot
from tests.support.hubserver import HubServer, Sink, free_port, wait_for
from tests.support.tcpcut import FaultyProxy


def imap_block(port: int, **keys) -> str:
    values = {
        "name": "consult",
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "username": USER,
        "password_file": "imap.secret",
        "default_address": "unece-review@hub.example.org",
        "poll_seconds": 2,
        **keys,
    }
    return "[[imap]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def hub_for(tmp_path, port: int, sink_port: int = 9, database: str = "", **keys) -> HubServer:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "imap.secret").write_text(PASSWORD + "\n")
    return HubServer(tmp_path, sink_port, database=database, extra=imap_block(port, **keys))


def mailbox(server: Dovecot) -> IMAPClient:
    client = IMAPClient("127.0.0.1", server.port, ssl=False, timeout=30)
    client.login(USER, PASSWORD)
    return client


def letter(number: int, to: str = "unece-review+q1@hub.example.org", message_id: bool = True) -> bytes:
    head = f"Message-ID: <imap-{number}@ngo.example>\r\n" if message_id else ""
    return (
        f"Return-Path: <ana@ngo.example>\r\nFrom: Ana <ana@ngo.example>\r\nTo: {to}\r\n{head}"
        f"Subject: contribution {number}\r\nDate: Mon, 22 Jan 2024 10:00:00 +0000\r\n\r\n"
        f"Our practice number {number}.\r\n"
    ).encode()


def uids(client: IMAPClient, folder: str) -> list[int]:
    client.select_folder(folder)
    return client.search()


def wait_until_empty(client: IMAPClient, folder: str = "INBOX") -> None:
    # Under `hubmail serve` the worker may store a post before the poller has moved its message.
    wait_for(lambda: uids(client, folder) == [], 20, what=f"{folder} to be emptied")


def poll_once(hub: HubServer, *args: str) -> str:
    result = hub.cli("imap", "poll", "--once", *args, check=False)
    output = result.stdout.decode() + result.stderr.decode()
    with (hub.folder / "poll.log").open("a") as log:
        log.write(output)
    return output


def hub_log(hub: HubServer) -> str:
    return (hub.folder / "poll.log").read_text()


def test_poll_once_holds_each_message_once_and_moves_it(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        client = mailbox(dovecot)
        client.append("INBOX", letter(1))
        client.append("INBOX", letter(2, to="someone@elsewhere.example"))  # Bcc'd: the default address
        client.append("INBOX", letter(3, message_id=False))
        hub = hub_for(tmp_path / "hub", dovecot.port)
        first = poll_once(hub)
        assert "consult: 3 message(s) taken" in first, first
        posts = hub.posts()
        assert [(p["subject"], p["status"], p["question"]) for p in posts] == [
            ("contribution 1", "held", 1),
            ("contribution 2", "held", None),
            ("contribution 3", "held", 1),
        ]
        assert uids(client, "INBOX") == []
        assert len(uids(client, "hubmail/processed")) == 3
        client.append("INBOX", letter(3, message_id=False))  # the very same bytes, delivered again
        second = poll_once(hub)
        assert "1 message(s) taken" in second and "duplicate" in second, second
        assert "0 message(s) taken" in poll_once(hub)
        assert len(hub.posts()) == 3
        assert "imap consult INBOX: read up to UID 4" in hub.cli("status").stdout.decode()


@pytest.mark.usefixtures("database")
def test_serve_reads_a_full_mailbox_in_order_through_a_dovecot_restart(tmp_path, database):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot, Sink() as sink:
        client = mailbox(dovecot)
        for number in range(1, 121):
            client.append("INBOX", letter(number))
        client.logout()
        hub = hub_for(tmp_path / "hub", dovecot.port, sink.port, database=database).start()
        try:
            wait_for(lambda: "taken" in hub.log.read_text(), 30, what="the first batch")
            dovecot.stop()  # in the middle of the run: batches are 25 messages
            dovecot.start()
            posts = hub.wait_for_posts(120, timeout=90)
            client = mailbox(dovecot)
            client.append("INBOX", letter(121))  # after the restart: IDLE on the new connection
            posts = hub.wait_for_posts(121, timeout=60)
            wait_until_empty(client)
        finally:
            hub.stop()
        assert len(posts) == 121
        assert [p["subject"] for p in posts] == [f"contribution {n}" for n in range(1, 122)]  # UID order
        log = hub.log.read_text()
        assert "120 new message(s) to take" in log and "25/120 taken" in log
        assert "lost:" in log and "trying again in 5 s" in log  # the restart, said in words
        assert "Traceback" not in log


def test_two_instances_on_one_postgresql_read_an_account_once(tmp_path, postgres_url):
    url = fresh_postgres_database(postgres_url)
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot, Sink() as sink:
        first = hub_for(tmp_path / "one", dovecot.port, sink.port, database=url).start()
        second = hub_for(tmp_path / "two", dovecot.port, sink.port, database=url).start()
        try:
            client = mailbox(dovecot)
            for number in range(1, 21):
                client.append("INBOX", letter(number))
            posts = first.wait_for_posts(20)
            first.stop()  # the reader goes away: the one standing by takes over
            client.append("INBOX", letter(21))
            posts = second.wait_for_posts(21, timeout=40)
            wait_until_empty(client)
        finally:
            first.stop()
            second.stop()
    assert [p["subject"] for p in posts] == [f"contribution {n}" for n in range(1, 22)]
    assert "standing by" in second.log.read_text()


def test_uidvalidity_change_reads_the_folder_again_without_doubles(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        client = mailbox(dovecot)
        for number in (1, 2, 3):
            client.append("INBOX", letter(number))
        hub = hub_for(tmp_path / "hub", dovecot.port, processed_folder="")  # leave in place, \Seen
        assert "3 message(s) taken" in poll_once(hub)
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) == [] and len(client.search()) == 3
        assert "0 message(s) taken" in poll_once(hub)
        client.logout()
        dovecot.doveadm("mailbox", "update", "-u", USER, "--uid-validity", "777", "INBOX")
        again = poll_once(hub)
        assert "UIDVALIDITY changed" in again and "3 message(s) taken" in again, again
        assert again.count("\n  unece-review: duplicate") == 3  # the report's lines, not the log's
        client = mailbox(dovecot)
        client.append("INBOX", letter(4))
        assert "1 message(s) taken" in poll_once(hub)
        assert [p["subject"] for p in hub.posts()] == [f"contribution {n}" for n in (1, 2, 3, 4)]


def test_copy_and_expunge_where_move_is_missing_and_non_ascii_folders(tmp_path):
    # An older server: no MOVE, no IDLE. Folder names with accents travel as modified UTF-7.
    with throwaway_dovecot(tmp_path / "dovecot", capabilities="IMAP4rev1 UIDPLUS") as dovecot:
        client = mailbox(dovecot)
        client.create_folder("Consultation/Entrées")
        client.append("Consultation/Entrées", letter(1))
        client.append("Consultation/Entrées", letter(2))
        client.append("INBOX", letter(9))  # someone else's mail, marked \Deleted: EXPUNGE must spare it
        client.select_folder("INBOX")
        client.add_flags(client.search(), [rb"\Deleted"])
        hub = hub_for(
            tmp_path / "hub", dovecot.port, folder="Consultation/Entrées", processed_folder="Archivé/Traité"
        )
        check = hub.cli("imap", "check").stdout.decode()
        assert "polling every 2 s" in check and "COPY + EXPUNGE" in check and "(to be created)" in check
        assert "2 message(s) taken" in poll_once(hub)
        assert uids(client, "Consultation/Entrées") == []
        assert len(uids(client, "Archivé/Traité")) == 2
        assert len(uids(client, "INBOX")) == 1
        assert len(hub.posts()) == 2


def test_a_dropped_connection_mid_fetch_loses_and_doubles_nothing(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        client = mailbox(dovecot)
        big = b"x" * 70 + b"\r\n"
        for number in range(1, 11):
            client.append("INBOX", letter(number).replace(b"\r\n\r\n", b"\r\n\r\n" + big * 200, 1))
        proxy = FaultyProxy(dovecot.port, cut_after=40_000)  # inside the first FETCH of bodies
        hub = hub_for(tmp_path / "hub", proxy.port)
        cut = poll_once(hub)
        assert proxy.cuts == 1 and "FAILED: connection to 127.0.0.1" in cut and "lost" in cut, cut
        assert "Traceback" not in cut
        assert "10 message(s) taken" in poll_once(hub)
        assert [p["subject"] for p in hub.posts()] == [f"contribution {n}" for n in range(1, 11)]
        assert uids(client, "INBOX") == []
        proxy.close()


def test_a_server_that_misreports_sizes_is_taken_at_its_word_only_for_the_limit(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        client = mailbox(dovecot)
        client.append("INBOX", letter(1))
        proxy = FaultyProxy(
            dovecot.port, rewrite=lambda data: re.sub(rb"RFC822\.SIZE (\d+)", rb"RFC822.SIZE 9\1", data)
        )
        hub = hub_for(tmp_path / "hub", proxy.port)
        assert "1 message(s) taken" in poll_once(hub)
        [post] = hub.posts()
        assert post["subject"] == "contribution 1"
        assert re.search(r"UID 1: server said 9\d+ bytes, sent \d+; keeping what was sent", hub_log(hub))
        proxy.close()


def test_oversized_and_unaddressed_mail_is_left_in_the_folder_with_a_reason(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        client = mailbox(dovecot)
        client.append("INBOX", letter(1).replace(b"\r\n\r\n", b"\r\n\r\n" + b"y" * 2_100_000, 1))
        client.append("INBOX", letter(2, to="someone@elsewhere.example"))
        client.append("INBOX", letter(3))
        hub = hub_for(tmp_path / "hub", dovecot.port, default_address="")
        output = poll_once(hub)
        assert "1 message(s) taken, 2 left in the folder" in output
        assert "larger than smtp.max_message_bytes" in output and "names no space address" in output
        assert len(uids(client, "INBOX")) == 2
        assert "0 message(s) taken" in poll_once(hub)  # not looked at again, not moved
        assert len(uids(client, "INBOX")) == 2


def test_check_says_what_is_wrong_in_words(tmp_path):
    with throwaway_dovecot(tmp_path / "dovecot") as dovecot:
        hub = hub_for(tmp_path / "hub", dovecot.port)
        assert "consult: OK: logged in" in hub.cli("imap", "check").stdout.decode()
        (tmp_path / "hub" / "imap.secret").write_text("wrong")
        refused = hub.cli("imap", "check", check=False)
        assert refused.returncode == 1
        assert f"login as {USER} refused by 127.0.0.1:{dovecot.port}: [AUTHENTICATIONFAILED]" in (
            refused.stdout.decode()
        )
        missing = hub_for(tmp_path / "missing", dovecot.port, folder="Nowhere")
        text = missing.cli("imap", "check", check=False).stdout.decode()
        assert "folder 'Nowhere' does not exist on the server (it has: INBOX" in text
    closed = hub_for(tmp_path / "closed", free_port())
    text = closed.cli("imap", "poll", "--once", check=False).stdout.decode()
    assert "connection refused by 127.0.0.1" in text
