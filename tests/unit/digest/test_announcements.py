"""Announcements (issue 16): which are due at a moment, each given once per subscriber across runs and
instances, never to an address that left or is suspended, and carried by a digest due that hour."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from archive.record.mailing import Mailing
from archive.record.models import Post
from archive.record.spaces import space_row
from config.database import session_scope
from digest import roster
from digest.announcements import planned
from digest.delivery import send_digests
from digest.models import AnnouncementSent, Subscriber
from gateway.hub import open_hub
from gateway.jobs import announce
from tests.configs import make_settings, phases
from tests.conftest import fresh_postgres_database
from tests.moderation_helpers import body, decide, outbox, parse

UTC = dt.UTC
JOINED = dt.datetime(2024, 3, 1, 9, tzinfo=UTC)
OPENS_1 = dt.datetime(2024, 3, 4, 12, tzinfo=UTC)  # a Monday: the weekly digest was at 08:00
CALENDAR = phases(
    ('{ en = "Stocktaking", ru = "Обзор" }', OPENS_1, "2024-03-15T23:59:59Z", [1]),
    ('{ en = "Next steps", fr = "Prochaines étapes" }', "2024-03-20T12:00:00Z", "2024-03-31T23:59:59Z", [2]),
)
DAILY_AT_NOON = '[digest]\ndaily_time = "12:30"\n'
READERS = {"ana@org.example": ("each", "en"), "boris@org.example": ("weekly", "ru"),
           "chloe@org.example": ("daily", "fr")}  # fmt: skip


def make_hub(tmp_path, database: str = "", extra: str = ""):
    hub = open_hub(make_settings(tmp_path, dates=CALENDAR, database=database, extra=extra))
    with session_scope(hub.engine) as session:
        space = space_row(session, "unece-review")
        for address, (mode, language) in READERS.items():
            roster.add(session, space, address, mode=mode, language=language, now=JOINED)
        for address, status in (("dan@org.example", "suspended"), ("eve@org.example", "left")):
            roster.add(session, space, address, now=JOINED)
            roster.find_subscriber(session, space.id, address).status = status
    return hub


def sent(hub) -> list[tuple[str, str]]:
    rows = outbox(hub, "announcement")
    return sorted((row.recipient, str(parse(row.raw)["Subject"])) for row in rows)


def test_the_calendar_gives_openings_and_one_reminder_before_each_close(tmp_path):
    space = make_hub(tmp_path).settings.space("unece-review")
    found = {(a.key, a.kind, a.at.isoformat()) for a in planned(space)}
    assert found == {
        ("phase-1-opens", "opens", "2024-03-04T12:00:00+00:00"),
        ("phase-1-closing", "reminder", "2024-03-12T23:59:59+00:00"),
        ("phase-2-opens", "opens", "2024-03-20T12:00:00+00:00"),
        ("closing", "reminder", "2024-03-28T23:59:59+00:00"),  # phase 2 ends with the space: one reminder
    }
    due = {a.key for a in planned(space) if a.due(dt.datetime(2024, 3, 13, tzinfo=UTC))}
    assert due == {"phase-1-opens", "phase-1-closing"}  # both still worth sending while phase 1 is open
    assert not any(a.due(dt.datetime(2024, 4, 1, tzinfo=UTC)) for a in planned(space))


def test_an_opening_goes_once_to_each_active_subscriber_in_its_language(tmp_path):
    hub = make_hub(tmp_path)
    assert announce(hub, now=OPENS_1 - dt.timedelta(minutes=1)) == 0
    assert announce(hub, now=OPENS_1 + dt.timedelta(minutes=5)) == 3
    assert announce(hub, now=OPENS_1 + dt.timedelta(minutes=15)) == 0  # a second run: nothing again
    assert [address for address, _ in sent(hub)] == sorted(READERS)  # not dan (suspended), not eve (left)
    for row in outbox(hub, "announcement"):
        message = parse(row.raw)
        language = READERS[row.recipient][1]
        html = message.get_body(("html",)).get_content()
        assert f'lang="{language}"' in html
        assert "unece-review+q1@hub.example.org" in body(row.raw)
        assert "unece-review+q2@hub.example.org" not in body(row.raw)  # a question of the next phase
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/unece-review/unsubscribe/" in message["List-Unsubscribe"]
    subjects = dict(sent(hub))
    assert subjects["boris@org.example"].endswith("Обзор")  # the phase's name in his language
    assert subjects["ana@org.example"] == "[unece-review] Now open: Stocktaking"


def test_a_reminder_before_closing_then_nothing_more(tmp_path):
    hub = make_hub(tmp_path)
    reminder = dt.datetime(2024, 3, 13, 10, tzinfo=UTC)  # a Wednesday, far from 07:00 and 08:00
    assert announce(hub, now=reminder) == 6  # the opening (missed while down) and the reminder
    assert announce(hub, now=reminder + dt.timedelta(hours=1)) == 0
    subjects = [subject for address, subject in sent(hub) if address == "ana@org.example"]
    assert "[unece-review] Stocktaking closes in 3 days" in subjects
    assert announce(hub, now=dt.datetime(2024, 3, 16, 10, tzinfo=UTC)) == 0  # phase 1 is over


def test_a_subscriber_who_joins_later_is_not_told_old_news(tmp_path):
    hub = make_hub(tmp_path)
    with session_scope(hub.engine) as session:
        space = space_row(session, "unece-review")
        roster.add(session, space, "late@org.example", mode="each", now=OPENS_1 + dt.timedelta(days=1))
    announce(hub, now=OPENS_1 + dt.timedelta(days=2))
    assert "late@org.example" not in {address for address, _ in sent(hub)}


def test_within_the_hour_of_a_digest_the_digest_carries_the_announcement(tmp_path):
    hub = make_hub(tmp_path, extra=DAILY_AT_NOON)
    assert announce(hub, now=OPENS_1 + dt.timedelta(minutes=5)) == 2  # chloe's digest is at 12:30
    assert "chloe@org.example" not in {address for address, _ in sent(hub)}
    publish(hub, OPENS_1 + dt.timedelta(minutes=10))
    at = OPENS_1 + dt.timedelta(minutes=30)
    with session_scope(hub.engine) as session:
        assert send_digests(Mailing.at(hub.settings, at), session, "daily") == 1
    [digest] = outbox(hub, "digest")
    assert digest.recipient == "chloe@org.example"
    assert "unece-review+q1@hub.example.org" in body(digest.raw)  # the announcement's section
    assert announce(hub, now=at + dt.timedelta(hours=2)) == 0  # given once, by the digest
    with session_scope(hub.engine) as session:
        vias = {(row.key, row.via) for row in session.exec(select(AnnouncementSent))}
    assert ("phase-1-opens", "digest") in vias and ("phase-1-opens", "mail") in vias


def test_with_no_digest_after_all_the_announcement_goes_alone_after_the_hour(tmp_path):
    hub = make_hub(tmp_path, extra=DAILY_AT_NOON)
    announce(hub, now=OPENS_1 + dt.timedelta(minutes=5))
    with session_scope(hub.engine) as session:  # nothing new: no digest
        assert (
            send_digests(Mailing.at(hub.settings, OPENS_1 + dt.timedelta(minutes=30)), session, "daily") == 0
        )
    assert announce(hub, now=OPENS_1 + dt.timedelta(minutes=50)) == 0  # still within the digest's hour
    assert announce(hub, now=OPENS_1 + dt.timedelta(minutes=95)) == 1
    assert "chloe@org.example" in {address for address, _ in sent(hub)}


def test_two_instances_announcing_at_once_announce_once(tmp_path, postgres_url):
    hub = make_hub(tmp_path, database=fresh_postgres_database(postgres_url))
    start = threading.Barrier(2)

    def instance() -> int:
        start.wait()
        return announce(hub, now=OPENS_1 + dt.timedelta(minutes=5))

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: instance(), range(2)))
    assert sorted(counts) == [0, 3]
    assert len(outbox(hub, "announcement")) == 3


def publish(hub, now: dt.datetime) -> None:
    from gateway.spool import Envelope
    from gateway.worker import Worker

    raw = b"From: Ana <ana@ngo.example>\r\nSubject: Hello\r\nMessage-ID: <p1@x>\r\n\r\nText.\r\n"
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp",
                           received_at=now.isoformat()), raw)  # fmt: skip
    Worker(hub.settings, hub.engine, hub.spool, clock=lambda: now).process_pending()
    with session_scope(hub.engine) as session:
        post = session.exec(select(Post).where(Post.message_id == "p1@x")).one()
        decide(session, hub.settings, post, now)


def test_subscribers_rows_are_untouched_by_announcing(tmp_path):
    hub = make_hub(tmp_path)
    announce(hub, now=OPENS_1 + dt.timedelta(minutes=5))
    with session_scope(hub.engine) as session:
        statuses = {s.address: s.status for s in session.exec(select(Subscriber))}
    assert statuses["dan@org.example"] == "suspended" and statuses["eve@org.example"] == "left"


SIX = {"en": "in 3 days", "fr": "dans 3 jours", "es": "dentro de 3 días", "ru": "через 3 дня",
       "ar": "خلال 3 أيام", "zh": "3天后"}  # fmt: skip


@pytest.mark.parametrize("language", sorted(SIX))
def test_each_kind_in_each_of_the_six_languages(tmp_path, language):
    """Subject and words in the subscriber's language (the catalogs' own words come with their
    translations; Babel's countdown and the configured names already are), and strict encoding."""
    import email.policy
    from email.parser import BytesParser

    from archive.record.outgoing import compose
    from digest.announcing import announcement_letter, content
    from templates import translations

    hub = make_hub(tmp_path)
    space = hub.settings.space("unece-review")
    reminder = next(a for a in planned(space) if a.kind == "reminder")
    opening = planned(space)[0]
    mail = Mailing.at(hub.settings, reminder.at)
    strict = email.policy.default.clone(raise_on_defect=True)
    with session_scope(hub.engine) as session:
        row = space_row(session, "unece-review")
        for item, phrase in ((opening, "unece-review+q1@hub.example.org"), (reminder, SIX[language])):
            letter = announcement_letter(
                mail, row, content(mail, session, row, space, item, language), language
            )
            message = BytesParser(policy=strict).parsebytes(compose(letter, "hub.example.org")[1])
            assert str(message["Subject"]).startswith("[unece-review] ")
            assert f'lang="{language}"' in message.get_body(("html",)).get_content()
            shown = str(message["Subject"]) + message.get_body(("plain",)).get_content()
            assert phrase in shown, (language, shown)
            if item is opening:  # the catalog's own sentence, translated (not English on a French mail)
                said = translations(language).gettext("Now open: %(name)s").partition("%(name)s")[0].strip()
                assert said in str(message["Subject"]) and (language == "en" or "Now open" not in said)
        if language == "ru":
            assert "Обзор" in shown  # the phase's configured name in the subscriber's language
