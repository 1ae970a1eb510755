"""The web archive runs in a process of its own: a reader never holds up mail or a SIGTERM.

Before, pages ran on the loop that answers SMTP: one mbox download froze it for seconds, and a
SIGTERM with a download in flight was ignored for minutes.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from archive.record.urls import attachment_path, message_hash
from tests.support.hubserver import HubServer, wait_for

SPACE = "unece-review"


@pytest.fixture()
def hub(tmp_path, sink):
    server = HubServer(tmp_path, sink.port, max_message_bytes=20_000_000).start()
    yield server
    server.stop()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def web_child(hub: HubServer) -> int:
    """The child that holds a connection to the web port (the worker holds none)."""
    for pid in children(hub.process.pid):
        if (Path(f"/proc/{pid}/cmdline").read_bytes().count(b"spawn_main")) and _listens(pid, hub.web_port):
            return pid
    raise AssertionError("no web process")


def _listens(pid: int, port: int) -> bool:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A" and fields[9] in inodes:
            return True
    return False


def page_answers(hub: HubServer) -> bool:
    try:
        with urllib.request.urlopen(f"{hub.web_url}/{SPACE}/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def publish_large_attachment(hub: HubServer) -> str:
    """A published post with a 12 MB attachment: an attachment URL whose answer fills every buffer."""
    message = EmailMessage()
    message["From"], message["To"] = "ana@ngo.example", f"{SPACE}+q1@hub.example.org"
    message["Subject"], message["Message-ID"] = "Our report", "<big-report@ngo.example>"
    message.set_content("The report is attached.")
    message.add_attachment(os.urandom(12 * 2**20), maintype="application", subtype="pdf", filename="r.pdf")
    with hub.smtp() as client:
        client.send_message(message)
    hub.wait_for_posts(1)
    hub.cli("moderate", "approve", "--all-held", "--space", SPACE)
    return hub.web_url + attachment_path(SPACE, message_hash("big-report@ngo.example"), 0)


def test_mail_is_answered_and_the_web_comes_back_when_the_web_process_is_killed(hub):
    assert page_answers(hub)
    os.kill(web_child(hub), signal.SIGKILL)
    with hub.smtp() as client:  # SMTP lives in serve, not in the web process
        assert client.noop()[0] == 250
    wait_for(lambda: page_answers(hub), 20, what="the web process started again")
    assert hub.process.poll() is None


def test_sigterm_with_a_download_in_flight_ends_serve_in_time_and_loses_no_mail(hub):
    url = publish_large_attachment(hub)
    reader = socket.create_connection(("127.0.0.1", hub.web_port))
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    path = url.removeprefix(hub.web_url)
    reader.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert reader.recv(4096).startswith(b"HTTP/1.1 200")  # and then it reads no more
    with hub.smtp() as client:  # while the download is stuck, mail is taken as ever
        client.sendmail("ana@ngo.example", [f"{SPACE}+q1@hub.example.org"], b"Subject: during\r\n\r\nHi\r\n")
    started = time.monotonic()
    assert hub.stop(timeout=30) == 0
    assert time.monotonic() - started < 20  # the download is cut after its grace period
    reader.close()
    hub.start()
    assert {p["subject"] for p in hub.wait_for_posts(2)} == {"Our report", "during"}


def test_metrics_say_what_is_waiting_in_prometheus_text(hub):
    with hub.smtp() as client:
        client.sendmail("ana@ngo.example", [f"{SPACE}+q1@hub.example.org"], b"Subject: one\r\n\r\nHi\r\n")
    hub.wait_for_posts(1)
    wait_for(lambda: 'hubmail_outbox{status="sent"}' in metrics(hub), 20, what="the notices sent")
    text = metrics(hub)
    assert "hubmail_spool_pending 0.0" in text and "hubmail_worker_up 1.0" in text
    assert "hubmail_outbox_oldest_pending_seconds" in text and "hubmail_spool_set_aside 0.0" in text


def metrics(hub: HubServer) -> str:
    with urllib.request.urlopen(f"{hub.web_url}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.read().decode()
