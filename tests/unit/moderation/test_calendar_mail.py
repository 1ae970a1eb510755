"""Mail by the calendar, with the worker's clock moved across every transition."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from archive.record.models import Post
from config.database import session_scope
from gateway.hub import open_hub
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings, phases
from tests.moderation_helpers import body, decide, flat, outbox, parse

PHASES = "\ngrace_days = 5" + phases(
    (
        """{ en = "Before the review", fr = "Avant l'examen" }""",
        "2024-01-10T00:00:00Z",
        "2024-01-31T23:59:59Z",
        [1],
    ),
    (
        """{ en = "After the review", fr = "Après l'examen" }""",
        "2024-02-10T00:00:00Z",
        "2024-02-20T23:59:59Z",
        [2],
    ),
)
SPACE = "unece-review@hub.example.org"


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2024, month, day, 12, tzinfo=dt.UTC)


class Calendar:
    def __init__(self, tmp_path, database) -> None:
        self.hub = open_hub(make_settings(tmp_path, database=database, dates=PHASES))
        self.now, self.count = at(1, 1), 0
        self.worker = Worker(self.hub.settings, self.hub.engine, self.hub.spool, clock=lambda: self.now)

    def send(self, to: str, text: str = "Our organisation runs legal clinics for migrant workers.",
             sender: str = "ana@ngo.example", extra: str = "") -> Post:  # fmt: skip
        self.count += 1
        raw = (
            f"From: <{sender}>\r\nTo: {to}\r\nSubject: Contribution {self.count}\r\n"
            f"Message-ID: <c{self.count}@ngo.example>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
            f"\r\n{text}\r\n"
        ).encode()
        self.hub.spool.put(Envelope(sender, [to], "smtp", received_at=self.now.isoformat()), raw)
        self.worker.process_pending()
        with session_scope(self.hub.engine) as session:
            return session.exec(select(Post).where(Post.message_id == f"c{self.count}@ngo.example")).one()

    def replies(self) -> list[str]:
        return [flat(body(row.raw)) for row in outbox(self.hub, "calendar")]


@pytest.fixture()
def calendar(tmp_path, database):
    calendar = Calendar(tmp_path, database)
    yield calendar
    calendar.hub.engine.dispose()


def test_before_opening_a_reply_with_the_date_and_the_questions(calendar):
    post = calendar.send(SPACE)
    assert post.status == "rejected"
    [reply] = calendar.replies()
    assert "opens on 10 January 2024, 00:00 UTC" in reply and "Before the review" in reply
    assert "Q1: Promising practices?" in reply and "unece-review+q1@hub.example.org" in reply
    assert "Q2" not in reply  # the first phase's questions
    calendar.send(SPACE, sender="ana@ngo.example")
    assert len(calendar.replies()) == 1  # rate-limited: one per sender per hour
    bot = calendar.send(SPACE, sender="bot@ngo.example", extra="Auto-Submitted: auto-replied\r\n")
    assert bot.status == "discarded" and len(calendar.replies()) == 1  # never to automatic mail


def test_the_reply_is_in_the_senders_language(calendar):
    calendar.send(SPACE, "Notre organisation gère des cliniques juridiques pour les travailleurs migrants.")
    [row] = outbox(calendar.hub, "calendar")
    assert parse(row.raw)["Subject"].startswith("Pas encore ouvert")
    assert "La discussion ouvre le 10 janvier 2024, 00:00 UTC" in body(row.raw) and "Avant l'examen" in body(
        row.raw
    )


def test_phases_take_their_own_questions_and_replies_go_on(calendar):
    calendar.now = at(1, 15)
    first = calendar.send("unece-review+q1@hub.example.org")
    assert first.status == "held"
    wrong = calendar.send("unece-review+q2@hub.example.org", sender="bo@ngo.example")
    assert wrong.status == "rejected" and "Question 2 does not take new contributions" in wrong.reason
    [reply] = calendar.replies()
    assert "Open now" in reply and "Q1: Promising practices?" in reply
    calendar.now = at(2, 5)  # between the phases
    between = calendar.send("unece-review+q1@hub.example.org", sender="cy@ngo.example")
    assert between.status == "rejected"
    assert (
        "The next phase, “After the review”, opens on 10 February 2024, 00:00 UTC." in calendar.replies()[-1]
    )
    answer = calendar.send(SPACE, sender="di@ngo.example", extra="In-Reply-To: <c1@ngo.example>\r\n")
    assert answer.status == "held"  # a reply in a thread of a closed question still counts
    calendar.now = at(2, 15)
    assert calendar.send("unece-review+q2@hub.example.org", sender="ed@ngo.example").status == "held"
    assert calendar.send("unece-review+q1@hub.example.org", sender="fa@ngo.example").status == "rejected"


def test_grace_period_then_closed(calendar):
    calendar.now = at(2, 23)
    late = calendar.send("unece-review+q2@hub.example.org")
    assert late.status == "held" and "late: sent after the space closed on 2024-02-20 23:59 UTC" in late.notes
    calendar.now = at(2, 26)
    closed = calendar.send("unece-review+q2@hub.example.org", sender="bo@ngo.example")
    assert closed.status == "rejected"
    [reply] = calendar.replies()
    assert "closed on 20 February 2024, 23:59 UTC" in reply and "http://127.0.0.1:8080/unece-review/" in reply


def test_the_digest_says_which_phase_is_open(calendar):
    from archive.record.mailing import Mailing
    from archive.record.spaces import space_row
    from digest import roster
    from digest.delivery import send_digests

    calendar.now = at(1, 15)
    post = calendar.send("unece-review+q1@hub.example.org")
    with session_scope(calendar.hub.engine) as session:
        roster.add(session, space_row(session, "unece-review"), "reader@ngo.example", now=calendar.now)
        row = session.get(Post, post.id)
        decide(session, calendar.hub.settings, row, calendar.now)
        assert send_digests(Mailing.at(calendar.hub.settings, calendar.now), session, "weekly") == 1
    [digest] = outbox(calendar.hub, "digest")
    # CLDR releases differ in the spaces around the dash (Babel 2.19 writes thin spaces): compare
    # the words and dates, not the spacing.
    assert re.search(r"Now: Before the review, 10\s*–\s*31\s+Jan\s+2024 \(Q1\)", body(digest.raw))


def test_a_french_subscriber_gets_the_digest_in_french(calendar):
    from archive.record.mailing import Mailing
    from archive.record.spaces import space_row
    from digest import roster
    from digest.delivery import send_digests

    calendar.now = at(1, 15)
    post = calendar.send("unece-review+q1@hub.example.org")
    with session_scope(calendar.hub.engine) as session:
        roster.add(
            session, space_row(session, "unece-review"), "lea@ong.example", language="fr", now=calendar.now
        )
        decide(session, calendar.hub.settings, session.get(Post, post.id), calendar.now)
        send_digests(Mailing.at(calendar.hub.settings, calendar.now), session, "weekly")
    [digest] = outbox(calendar.hub, "digest")
    assert parse(digest.raw)["Subject"] == "[unece-review] Résumé hebdomadaire: 1 nouvelle contribution"
    text = body(digest.raw)
    assert (
        "Sommaire" in text and "Q1: Pratiques prometteuses ?" in text and "En cours: Avant l'examen" in text
    )
