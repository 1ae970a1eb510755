"""The moderators' summary: only from a moderator, held, then pinned, announced, linked after closing."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.mailing import Mailing
from archive.record.models import Post
from archive.record.spaces import space_row
from archive.web.app import archive_app
from config.database import session_scope
from digest import roster
from digest.delivery import send_digests
from gateway.hub import open_hub
from gateway.jobs import announce
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings
from tests.moderation_helpers import body, decide, flat, outbox, parse

DATES = "opens = 2024-01-10T00:00:00Z\ncloses = 2024-02-20T23:59:59Z"
SUMMARY_TO = "unece-review+summary@hub.example.org"


class Space:
    def __init__(self, tmp_path, database) -> None:
        self.hub = open_hub(make_settings(tmp_path, database=database, dates=DATES))
        self.now = dt.datetime(2024, 2, 25, 9, tzinfo=dt.UTC)
        self.worker = Worker(self.hub.settings, self.hub.engine, self.hub.spool, clock=lambda: self.now)

    def send(self, sender: str, mid: str, to: str = SUMMARY_TO) -> Post:
        raw = (
            f"From: <{sender}>\r\nSubject: Summary of the consultation\r\nMessage-ID: <{mid}>\r\n\r\n"
            "Forty organisations wrote; three themes stood out.\r\n"
        ).encode()
        self.hub.spool.put(Envelope(sender, [to], "smtp"), raw)
        self.worker.process_pending()
        with session_scope(self.hub.engine) as session:
            return session.exec(select(Post).where(Post.message_id == mid)).one()

    def approve(self, post: Post) -> None:
        with session_scope(self.hub.engine) as session:
            row = session.get(Post, post.id)
            decide(session, self.hub.settings, row, self.now)


def test_a_moderators_summary_is_held_then_pinned_announced_and_linked(tmp_path, database):
    space = Space(tmp_path, database)
    with session_scope(space.hub.engine) as session:
        roster.add(session, space_row(session, "unece-review"), "reader@ngo.example", now=space.now)
    summary = space.send("mia@un.example", "summary@un.example")  # after closing: still taken
    assert summary.status == "held" and summary.is_summary
    assert any(note.startswith("moderator summary") for note in summary.notes)
    page = TestClient(archive_app(space.hub.settings, space.hub.engine)).get("/unece-review/").text
    assert "Summary by the moderators" not in page  # not before it is approved
    space.approve(summary)
    page = TestClient(archive_app(space.hub.settings, space.hub.engine)).get("/unece-review/").text
    pinned = page[page.index("Summary by the moderators") :]
    assert "three themes stood out" in pinned
    with session_scope(space.hub.engine) as session:  # the summary is no post of the digests
        assert send_digests(Mailing.at(space.hub.settings, space.now), session, "weekly") == 0
    assert announce(space.hub, now=space.now) == 1  # but its own mail, once (issue 16)
    assert announce(space.hub, now=space.now) == 0
    [announced] = outbox(space.hub, "announcement")
    assert "three themes stood out" in body(announced.raw)
    assert "Summary by the moderators: Summary of the consultation" in str(parse(announced.raw)["Subject"])
    late = space.send("ana@ngo.example", "late@ngo.example", "unece-review@hub.example.org")
    assert late.status == "rejected"
    [reply] = outbox(space.hub, "calendar")
    assert "The moderators' summary: http://127.0.0.1:8080/unece-review/message/" in flat(body(reply.raw))
    space.hub.engine.dispose()


def test_a_summary_from_anyone_else_is_refused_with_the_reason(tmp_path, database):
    space = Space(tmp_path, database)
    post = space.send("ana@ngo.example", "fake@ngo.example")
    assert post.status == "rejected" and "Only the moderators" in post.reason
    [refusal] = outbox(space.hub, "refusal")
    assert refusal.recipient == "ana@ngo.example" and "Only the moderators" in body(refusal.raw)
    space.hub.engine.dispose()
