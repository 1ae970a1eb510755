"""A post's translation on its pages: first in the reader's language, marked, the original folded below;
other languages, feeds and /raw get the original (issue 16)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.models import Post
from archive.record.translations import save_translation
from archive.record.urls import message_hash
from archive.web.app import archive_app
from config.database import session_scope
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.moderation_helpers import decide

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
ROOT = (
    b"From: Ana <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <root@x>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops for migrant workers.\r\n"
)
REPLY = (
    b"From: Bo <bo@org.example>\r\nSubject: Re: Our practice\r\nMessage-ID: <reply@x>\r\n"
    b"In-Reply-To: <root@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAgreed, and cheaper.\r\n"
)
FRENCH = "Des guichets uniques <b>municipaux</b> pour les travailleurs migrants.\n> cité"


@pytest.fixture()
def client(hub) -> TestClient:
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    for raw in (ROOT, REPLY):
        hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw)
        worker.process_pending()
    with session_scope(hub.engine) as session:
        for post in session.exec(select(Post).order_by(Post.id)).all():
            decide(session, hub.settings, post, NOW)
        root, answer = session.exec(select(Post).order_by(Post.id)).all()
        save_translation(session, root, "fr", FRENCH, "mia@un.example", NOW)
        save_translation(session, answer, "fr", "D'accord.", "machine-x", NOW, machine=True)
    return TestClient(archive_app(hub.settings, hub.engine))


def page(client: TestClient, path: str, language: str) -> str:
    response = client.get(path, params={"lang": language})
    assert response.status_code == 200
    return response.text


def _article(html: str, message_id: str) -> str:
    found = re.search(rf'<article class="post" id="m-{message_hash(message_id)}">(.*?)</article>', html, re.S)
    return found.group(1)


def test_the_french_page_gives_the_translation_first_marked_and_the_original_folded(client):
    html = page(client, f"/unece-review/message/{message_hash('root@x')}/", "fr")
    post = _article(html, "root@x")
    translation, original = post.index("Des guichets uniques"), post.index("City-level one-stop shops")
    assert translation < original
    assert "Traduit par les modérateurs" in post or "Translated by the moderators" in post
    assert '<details class="original">' in post[translation:original]
    assert "&lt;b&gt;municipaux&lt;/b&gt;" in post  # the moderators' text is text, escaped
    assert '<div class="body" lang="fr" dir="auto">' in post and '<details class="quote">' in post
    assert "<script" not in html


def test_the_english_page_gives_the_original_only(client):
    html = page(client, f"/unece-review/message/{message_hash('root@x')}/", "en")
    assert "City-level one-stop shops" in html
    assert "guichets" not in html and "Translated by" not in html and 'class="original"' not in html


def test_each_post_of_a_thread_page_gets_its_own_translation_and_mark(client):
    html = page(client, f"/unece-review/thread/{message_hash('root@x')}/", "fr")
    root, answer = _article(html, "root@x"), _article(html, "reply@x")
    assert "Des guichets uniques" in root and "Agreed, and cheaper." in answer
    machine = ("Machine translation", "Traduction automatique")  # English until the catalog has it
    assert "D&#x27;accord." in answer and any(mark in answer for mark in machine)
    assert not any(mark in root for mark in machine)


def test_feeds_and_raw_keep_the_original(client):
    digest = message_hash("root@x")
    assert "guichets" not in client.get(f"/unece-review/message/{digest}/raw", params={"lang": "fr"}).text
    assert "guichets" not in client.get("/unece-review/feed.atom", params={"lang": "fr"}).text
