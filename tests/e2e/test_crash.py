"""Kill -9 the server at random points in a burst: every message that got 250 is stored once."""

from __future__ import annotations

import random
import smtplib
import threading
import time

from tests.e2e.test_smtp_ingress import message
from tests.support.hubserver import HubServer

SENDERS, PER_SENDER, KILLS = 4, 75, 4


def send_burst(
    hub: HubServer, sender: int, acknowledged: set[str], lock: threading.Lock, done: threading.Event
) -> None:
    """Send this sender's messages, retrying (like an MTA) whatever was not acknowledged."""
    queue = [f"s{sender}-m{n}@ngo.example" for n in range(PER_SENDER)]
    while queue:
        try:
            with smtplib.SMTP("127.0.0.1", hub.smtp_port, timeout=10) as client:
                while queue:
                    mid = queue[0]
                    client.sendmail("ana@ngo.example", ["unece-review@hub.example.org"], message(mid))
                    with lock:
                        acknowledged.add(mid)
                    queue.pop(0)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)  # server down: the message in flight was not acknowledged; send again
    done.set()


def test_nothing_acknowledged_is_lost_or_doubled(tmp_path, sink, database):
    hub = HubServer(tmp_path, sink.port, database=database).start()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    finished = [threading.Event() for _ in range(SENDERS)]
    threads = [
        threading.Thread(target=send_burst, args=(hub, n, acknowledged, lock, finished[n]), daemon=True)
        for n in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    chaos = random.Random(7)
    try:
        for _ in range(KILLS):
            time.sleep(chaos.uniform(0.2, 1.2))
            hub.kill()
            hub.start()  # picks up whatever the spool still holds
        for event in finished:
            assert event.wait(180), "a sender never finished"
        total = SENDERS * PER_SENDER
        assert len(acknowledged) == total
        posts = hub.wait_for_posts(total, timeout=120)
    finally:
        hub.stop()
    ids = [p["message_id"] for p in posts]
    assert len(ids) == len(set(ids)) == total
    assert set(ids) == acknowledged
    assert "Traceback" not in hub.log.read_text()
