"""Announcements with a real `hubmail serve` (issue 16): subscribers confirmed over SMTP, the calendar
run forward with `hubmail announcements send --at` against the server's database, the relay sink
catching the mail: the opening, one reminder before closing, nothing twice."""

from __future__ import annotations

import json

from tests.configs import phases
from tests.e2e.test_digest import mail_to, subscribe, wait_mail
from tests.moderation_helpers import body, parse
from tests.support.hubserver import HubServer

CALENDAR = phases(  # far ahead, so the server's own scheduler has nothing to announce meanwhile
    (
        '{ en = "Stocktaking", fr = "Bilan", ru = "Обзор" }',
        "2030-03-04T12:00:00Z",
        "2030-03-15T23:59:59Z",
        [1],
    ),
    ('{ en = "Next steps" }', "2030-03-20T12:00:00Z", "2030-03-31T23:59:59Z", [2]),
)


def said(server: HubServer, *args: str) -> str:
    return server.cli("announcements", *args).stdout.decode()


def test_opening_and_reminder_reach_subscribers_once(tmp_path, sink, database):
    server = HubServer(tmp_path, sink.port, database=database, dates=CALENDAR).start()
    try:
        subscribe(server, sink, "bo@org.example", "each")  # double opt-in over SMTP
        server.cli("subscribers", "add", "--space", "unece-review", "--mode", "each", "--language", "fr",
                   "cy@org.example")  # fmt: skip
        server.cli("subscribers", "add", "--space", "unece-review", "--language", "ru", "dee@org.example")
        server.cli("subscribers", "add", "--space", "unece-review", "gone@org.example")
        server.cli("subscribers", "remove", "--space", "unece-review", "gone@org.example")
        planned = json.loads(said(server, "list", "--space", "unece-review", "--json"))
        assert [(row["key"], row["state"]) for row in planned] == [
            ("phase-1-opens", "planned"), ("phase-1-closing", "planned"),
            ("phase-2-opens", "planned"), ("closing", "planned"),
        ]  # fmt: skip

        opened = said(server, "send", "--at", "2030-03-04T12:05:00Z")
        assert "queued 3 announcement(s)" in opened
        [first] = wait_mail(sink, "bo@org.example", "Now open: Stocktaking")
        assert "unece-review+q1@hub.example.org" in body(first)
        assert parse(first)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        [russian] = wait_mail(sink, "dee@org.example", "Обзор")  # the phase's name in her language
        assert 'lang="ru"' in parse(russian).get_body(("html",)).get_content()
        wait_mail(sink, "cy@org.example", "Bilan")

        again = said(server, "send", "--at", "2030-03-04T13:00:00Z")
        assert "queued 0 announcement(s)" in again
        reminder = said(server, "send", "--at", "2030-03-13T10:00:00Z")
        assert "queued 3 announcement(s)" in reminder
        [soon] = wait_mail(sink, "bo@org.example", "Stocktaking closes in 3 days")
        assert "unece-review+q1@hub.example.org" in body(soon)
        assert "queued 0" in said(server, "send", "--at", "2030-03-13T11:00:00Z")

        listed = json.loads(
            said(server, "list", "--space", "unece-review", "--json", "--at", "2030-03-13T12:00Z")
        )
        sent = {row["key"]: (row["state"], row["sent"], row["waiting"]) for row in listed}
        assert sent["phase-1-opens"] == ("due", 3, 0) and sent["phase-1-closing"] == ("due", 3, 0)
        assert sent["phase-2-opens"] == ("planned", 0, 0)
        assert len(mail_to(sink, "bo@org.example", "Stocktaking")) == 2  # one opening, one reminder
        assert not mail_to(sink, "gone@org.example")
    finally:
        server.stop()
