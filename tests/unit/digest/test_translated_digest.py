"""A digest in a language the moderators translated a post into carries the translation, marked, with a
link to the original; a digest in another language carries the original (issue 16)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from archive.record.mailing import Mailing
from archive.record.models import Post
from archive.record.spaces import space_row
from archive.record.translations import save_translation
from config.database import session_scope
from digest import roster
from digest.delivery import send_digests
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.moderation_helpers import decide, outbox, parse

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
POST = (
    b"From: Ana <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@x>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops for migrant workers.\r\n"
)
FRENCH = "Des guichets uniques dans les villes pour les travailleurs migrants."


def _parts(raw: bytes) -> tuple[str, str]:
    message = parse(raw)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_each_subscriber_gets_the_post_in_their_language_where_the_moderators_gave_one(hub):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), POST)
    worker.process_pending()
    with session_scope(hub.engine) as session:
        post = session.exec(select(Post)).one()
        decide(session, hub.settings, post, NOW)
        save_translation(session, post, "fr", FRENCH, "mia@un.example", NOW)
        space = space_row(session, "unece-review")
        roster.add(session, space, "bo@org.example", mode="weekly", language="en", now=NOW)
        roster.add(session, space, "luc@ong.example", mode="weekly", language="fr", now=NOW)
    with session_scope(hub.engine) as session:
        assert send_digests(Mailing.at(hub.settings, NOW), session, "weekly") == 2
    letters = {row.recipient: _parts(row.raw) for row in outbox(hub, "digest")}
    text, html = letters["luc@ong.example"]
    assert FRENCH in text and "City-level" not in text
    mark = "Translated by the moderators" if "Translated by the moderators" in text else "Traduit par"
    assert mark in text and "/unece-review/message/" in text.split(FRENCH)[0]
    assert FRENCH in html and mark in html and 'lang="fr"' in html
    text, html = letters["bo@org.example"]
    assert "City-level one-stop shops" in text and FRENCH not in text and "Translated" not in text
    assert FRENCH not in html
