"""Nobody can bury a stranger's inbox through hubmail: requests in the stranger's name, by mail and on
the web at once, across spaces, get the stranger at most the day's allowance (issue 14)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx2

from tests.moderation_helpers import parse
from tests.support.hubserver import HubServer, wait_for

VICTIM = "victim@ngo.example"


def request_mail(slug: str, n: int) -> bytes:
    """A subscribe request in the victim's name, sent from the attacker's own envelope."""
    return (
        f"From: Victim <{VICTIM}>\r\nTo: {slug}-request@hub.example.org\r\nSubject: subscribe each\r\n"
        f"Message-ID: <bomb{n}-{slug}@evil.example>\r\n\r\nsubscribe each\r\n"
    ).encode()


def send_request(server: HubServer, slug: str, n: int) -> None:
    with server.smtp() as client:
        client.sendmail("evil@evil.example", [f"{slug}-request@hub.example.org"], request_mail(slug, n))


def web_subscribe(server: HubServer, slug: str) -> int:
    with httpx2.Client(base_url=server.web_url, timeout=60) as client:
        return client.post(f"/{slug}/subscribe", data={"address": VICTIM, "mode": "each"}).status_code


def web_signin(server: HubServer) -> int:
    with httpx2.Client(base_url=server.web_url, timeout=60) as client:
        return client.post("/signin", data={"address": VICTIM.upper()}).status_code


def settled(server: HubServer) -> bool:
    report = json.loads(server.cli("status", "--json").stdout)
    return report["spool_pending"] == 0 and not report["failed"] and "pending" not in report["outbox"]


def to_victim(sink) -> list[str]:
    return [str(parse(raw)["Subject"]) for _, rcpts, raw in list(sink.messages) if VICTIM in rcpts]


def warnings(server: HubServer, allowance: str) -> list[str]:
    return [line for line in server.log.read_text().splitlines() if f"{allowance} mail to {VICTIM}" in line]


def test_requests_in_a_strangers_name_get_them_three_confirmations_a_day(server, sink):
    jobs = [(send_request, slug, n) for n in range(12) for slug in ("unece-review", "closed-space")]
    jobs += [(web_subscribe, slug) for slug in ("unece-review", "closed-space") for _ in range(3)]
    with ThreadPoolExecutor(8) as pool:  # the worker and the web process count at the same moment
        answers = [f.result() for f in [pool.submit(job, server, *args) for job, *args in jobs]]
    assert [a for a in answers if a is not None] == [200] * 6  # the page says the same every time
    wait_for(lambda: settled(server), 60, what="every request handled and its mail handed over")
    subjects = to_victim(sink)
    assert len(subjects) == 3 and all("confirm" in s.lower() for s in subjects), subjects  # no refusal
    assert len(warnings(server, "confirmation")) == 1  # logged once, not once per request


def test_sign_in_links_for_a_stranger_are_held_to_the_allowance(server, sink):
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: web_signin(server), range(10)))
    assert answers == [200] * 10
    wait_for(lambda: settled(server), 60, what="the sign-in mail handed over")
    assert len(to_victim(sink)) == 3
    assert len(warnings(server, "sign-in")) == 1


def test_help_asked_in_a_strangers_name_gets_them_the_days_answers_only(server, sink):
    def ask_help(n: int) -> None:
        raw = request_mail("unece-review", n).replace(b"subscribe each", b"help")
        with server.smtp() as client:
            client.sendmail("evil@evil.example", ["unece-review-request@hub.example.org"], raw)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(ask_help, range(12)))
    wait_for(lambda: settled(server), 60, what="every request handled and its mail handed over")
    assert len(to_victim(sink)) == 5  # [outbound] request_answers_per_day
    assert len(warnings(server, "request answer")) == 1
