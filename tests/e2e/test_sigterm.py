"""SIGTERM at random moments under mail and page load: serve always ends in time, nothing is lost.

A first SIGTERM was once ignored for minutes while a download was in flight; the web archive now
runs in its own process, stopped with a grace period, and this test tries 20 random moments.
"""

from __future__ import annotations

import random
import smtplib
import threading
import time
import urllib.request

from tests.support.hubserver import HubServer

SPACE = "unece-review"
ROUNDS = 20


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
