"""SIGTERM at random moments under mail and page load: serve always ends in time, nothing is lost.

A first SIGTERM was once ignored for minutes while a download was in flight; the web archive now
runs in its own process, stopped with a grace period, and this test tries 20 random moments.
In about one round in sixty, the outbox's wait took the cancel that stops it for mail news
(asyncio.wait_for on Python 3.11) and serve never ended. SIGTERM during start-up is tried on its own.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import smtplib
import threading
import time
import urllib.request
from pathlib import Path

from tests.support.hubserver import HubServer, wait_for

SPACE = "unece-review"
ROUNDS = 20
MOMENTS = (0.2, 0.7, 1.2, 1.7, 2.2)  # seconds after the spawn: imports, worker start-up, SMTP start


class Load:
    """Senders and readers that run while serve lives, and keep what was answered 250."""

    def __init__(self, hub: HubServer) -> None:
        self.hub, self.acknowledged, self.stop = hub, set(), threading.Event()
        self.counter = iter(range(10**9))

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self._send), threading.Thread(target=self._read)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _send(self) -> None:
        while not self.stop.is_set():
            message_id = f"m{next(self.counter)}@ngo.example"
            raw = f"From: ana@ngo.example\r\nSubject: hi\r\nMessage-ID: <{message_id}>\r\n\r\nHi\r\n"
            try:
                with smtplib.SMTP("127.0.0.1", self.hub.smtp_port, timeout=10) as client:
                    client.sendmail("ana@ngo.example", [f"{SPACE}+q1@hub.example.org"], raw.encode())
                self.acknowledged.add(message_id)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)  # not answered 250: the sender's to send again, not ours

    def _read(self) -> None:
        pages = ["/", f"/{SPACE}/", f"/{SPACE}/space.mbox.gz", "/search?q=Hi"]
        while not self.stop.is_set():
            try:
                urllib.request.urlopen(self.hub.web_url + random.choice(pages), timeout=5).read()
            except OSError:
                time.sleep(0.05)


def test_sigterm_at_20_random_moments_under_load_always_ends_serve_within_10_s(tmp_path, sink):
    hub = HubServer(tmp_path, sink.port)
    chaos, longest = random.Random(13), 0.0
    acknowledged: set[str] = set()
    for _ in range(ROUNDS):
        hub.start()
        with Load(hub) as load:
            time.sleep(chaos.uniform(0.2, 1.5))
            started = time.monotonic()
            assert hub.stop(timeout=30) == 0
            longest = max(longest, time.monotonic() - started)
        acknowledged |= load.acknowledged
    hub.start()
    try:
        posts = hub.wait_for_posts(len(acknowledged), timeout=60)
    finally:
        hub.stop()
    assert longest < 10
    assert {p["message_id"] for p in posts} >= acknowledged and len(acknowledged) > ROUNDS
    assert "Traceback" not in hub.log.read_text()


def spawned(pid: int) -> list[int]:
    """serve's worker and web processes, oldest first (the worker is started first)."""
    found = []
    with contextlib.suppress(OSError):  # serve may end while we look
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
    return sorted(found)


def ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")  # not yet reaped
    except (OSError, IndexError):
        return True


def test_sigterm_during_start_up_ends_serve_and_its_children_at_once(tmp_path, sink):
    hub = HubServer(tmp_path, sink.port)
    for moment in MOMENTS:
        serve, children = hub.launch(), set()
        deadline = time.monotonic() + moment
        while time.monotonic() < deadline:
            children |= set(spawned(serve.pid))
            time.sleep(0.01)
        serve.send_signal(signal.SIGTERM)
        stopped = time.monotonic() + 10
        while serve.poll() is None and time.monotonic() < stopped:
            children |= set(spawned(serve.pid))
            time.sleep(0.01)
        assert serve.wait(1) == 0 or (serve.returncode == -signal.SIGTERM and not children), moment
        wait_for(lambda c=children: all(ended(child) for child in c), 5, what="serve's children ended")
    assert "Traceback" not in hub.log.read_text()


def test_sigterm_while_the_worker_is_still_starting_is_not_held_up_by_it(tmp_path, sink):
    """serve waits up to 20 s for the worker to say it is ready before it takes mail; not past a SIGTERM."""
    hub = HubServer(tmp_path, sink.port)
    serve = hub.launch()
    worker = wait_for(lambda: spawned(serve.pid), 30, interval=0.01, what="the worker process")[0]
    os.kill(worker, signal.SIGSTOP)  # a worker slow to start: it has not said it is ready
    try:
        serve.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping" in hub.log.read_text(), 10, what="serve stopping")
    finally:
        os.kill(worker, signal.SIGCONT)  # it has its SIGTERM from serve by now
    assert serve.wait(20) == 0
    assert "Traceback" not in hub.log.read_text()
