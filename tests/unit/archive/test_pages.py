"""Archive pages rendered in-process: structure, threading, safety headers, visibility."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from archive.record.models import Post
from archive.record.spaces import space_row
from archive.record.urls import message_hash
from archive.web.app import archive_app
from config.database import session_scope
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings, phases
from tests.moderation_helpers import decide

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)


def mail(
    mid: str,
    subject: str,
    body: str,
    extra: str = "",
    sender: str = "Ana Pérez <ana@ngo.example>",
    content_type: str = "text/plain",
) -> bytes:
    return (
        f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n{extra}"
        f"Content-Type: {content_type}; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


class Archive:
    def __init__(self, hub) -> None:
        self.hub = hub
        self.worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
        self.client = TestClient(archive_app(hub.settings, hub.engine))

    def post(self, raw: bytes, to: str = "unece-review+q1@hub.example.org", approve: bool = True) -> None:
        self.hub.spool.put(Envelope("ana@ngo.example", [to], "smtp"), raw)
        self.worker.process_pending()
        if approve:
            with session_scope(self.hub.engine) as session:
                post = session.exec(select(Post).order_by(col(Post.id).desc())).first()
                decide(session, self.hub.settings, post, NOW)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


@pytest.fixture()
def archive(hub) -> Archive:
    archive = Archive(hub)
    archive.post(
        mail("root@x", "Our practice", "One-stop shops.\n> old quote\nSee https://example.org/a?b=1&c=2")
    )
    archive.post(
        mail(
            "reply@x",
            "Re: Our practice",
            "Agreed.",
            "In-Reply-To: <root@x>\r\n",
            sender="Bo Lind <bo@org.example>",
        )
    )
    archive.post(mail("held@x", "Still held", "Not yet."), approve=False)
    return archive


def test_every_page_sends_safety_headers(archive):
    for path in ("/", "/unece-review/", "/unece-review/q/1/", "/nope/", "/static/style.css"):
        headers = archive.get(path).headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_pages_name_the_stylesheets_version_so_a_new_look_is_fetched_at_once(archive):
    [href] = re.findall(r'<link rel="stylesheet" href="([^"]+)">', archive.get("/unece-review/").text)
    assert re.fullmatch(r"/static/style\.css\?v=[0-9a-f]{12}", href)
    assert archive.get(href).headers["cache-control"] == "max-age=31536000, immutable"
    assert archive.get("/static/style.css?v=old").headers["cache-control"] == "max-age=3600"


def test_index_lists_public_spaces_with_phase_and_counts(archive):
    page = archive.get("/").text
    assert 'href="/unece-review/"' in page and "2 contributions" in page
    assert "closed-space" in page  # public too, with its phase
    assert "phase-closed" in page


def test_space_page_questions_in_the_chosen_language(archive):
    english = archive.get("/unece-review/").text
    assert "Promising practices?" in english and "(2 contributions)" in english
    french = archive.get("/unece-review/?lang=fr").text
    assert "Pratiques prometteuses ?" in french and "Questions directrices" in french
    by_header = archive.get("/unece-review/", headers={"Accept-Language": "es;q=0.5, fr;q=0.9"}).text
    assert "Questions directrices" in by_header


def test_question_page_lists_threads_without_their_bodies(archive):
    archive.post(mail("second@x", "Shelters in winter", "Beds.", sender="Rosa <rosa@city.example>"))
    page = archive.get("/unece-review/q/1/").text
    thread = f'href="/unece-review/thread/{message_hash("root@x")}/"'
    assert thread in page and "1 reply" in page and "2 participants" in page
    assert page.index("Shelters in winter") < page.index("Our practice")  # newest activity first
    assert "Re: Our practice" not in page and "One-stop shops." not in page and "Still held" not in page
    by_replies = archive.get("/unece-review/q/1/?sort=replies").text
    assert by_replies.index("Our practice") < by_replies.index("Shelters in winter")
    assert "How to take part" in page and "unece-review+q1@hub.example.org" in page


def test_thread_page_nests_replies_each_with_a_reply_by_email(archive):
    archive.post(mail("second@x", "Shelters in winter", "Beds.", sender="Rosa <rosa@city.example>"))
    page = archive.get(f"/unece-review/thread/{message_hash('root@x')}/").text
    assert page.index("One-stop shops.") < page.index("Agreed.")
    assert 'class="depth-1"' in page and "in reply to" in page
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in page
    assert '<details class="quote"><summary>1 quoted line</summary>' in page
    french = archive.get(f"/unece-review/thread/{message_hash('root@x')}/?lang=fr").text
    assert '<details class="quote"><summary>1 ligne citée</summary>' in french
    reply = (
        "mailto:unece-review+q1@hub.example.org?subject=Re%3A%20Our%20practice&amp;In-Reply-To=%3Croot%40x%3E"
    )
    assert reply in page and page.count("Reply by email") == 2
    assert 'href="/unece-review/q/1/"' in page  # back to the question
    assert f'rel="next" href="/unece-review/thread/{message_hash("second@x")}/"' in page


def test_message_permalink_raw_and_unknown(archive):
    digest = message_hash("root@x")
    page = archive.get(f"/unece-review/message/{digest}/")
    assert page.status_code == 200 and "One-stop shops." in page.text
    raw = archive.get(f"/unece-review/message/{digest}/raw")
    assert raw.headers["content-type"].startswith("text/plain") and b"Message-ID: <root@x>" in raw.content
    assert archive.get(f"/unece-review/message/{message_hash('held@x')}/").status_code == 404
    assert archive.get("/unece-review/message/NOPE/").status_code == 404


def test_a_folder_page_without_its_slash_is_sent_to_it_for_good(archive):
    """308, the query kept; by the path alone (an unknown space is redirected too, then 404s)."""
    digest = message_hash("root@x")
    for path in (
        "/unece-review",
        "/unece-review/q/1",
        f"/unece-review/thread/{digest}",
        "/nosuchspace/stats",
    ):
        answer = archive.get(f"{path}?lang=fr", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (308, f"http://testserver{path}/?lang=fr")
    assert archive.get("/unece-review/feed.atom/", follow_redirects=False).status_code == 308
    assert archive.get("/unece-review/q/1").status_code == 200
    assert archive.get("/nosuchspace/stats").status_code == 404
    assert archive.get("/no/such/page", follow_redirects=False).status_code == 404


def test_addresses_are_not_shown_by_default(archive):
    page = archive.get("/unece-review/q/1/").text
    assert "Ana Pérez" in page and "ana@ngo.example" not in page


def test_hostile_html_is_sanitized_once_at_publication(archive):
    evil = (
        "<p>Hello <b>friends</b><script>alert(1)</script><img src=x onerror=alert(2)>"
        '<a href="javascript:alert(3)">x</a><iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input></form><svg onload=alert(4)></svg></p>'
    )
    archive.post(mail("evil@x", "<script>alert(5)</script>", evil, content_type="text/html"))
    page = archive.get(f"/unece-review/message/{message_hash('evil@x')}/").text
    body = page[page.index('<div class="body"') :]
    assert "<b>friends</b>" in body
    for bad in ("<script", "onerror", "javascript:", "<iframe", "<form", "onload", "<svg"):
        assert bad not in body.lower(), bad
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page


def test_attachment_is_a_download_never_rendered(archive):
    raw = (
        b"From: a@b.example\r\nMessage-ID: <att@x>\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee\r\n'
        b'--B\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename="x.html"\r\n\r\n'
        b"<script>alert(1)</script>\r\n--B--\r\n"
    )
    archive.post(raw)
    page = archive.get(f"/unece-review/message/{message_hash('att@x')}/").text
    link, name = re.search(r'href="(/unece-review/message/[^"]+/0\.bin)" download="([^"]+)"', page).groups()
    assert name == "x.html"  # the sender's name: only in the page, never in a URL (issue 14)
    response = archive.get(link)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''x.html"
    assert response.content == b"<script>alert(1)</script>"
    old = archive.get(link.replace("/0.bin", "/0/x.html"), follow_redirects=False)  # linked before
    assert old.status_code == 301 and old.headers["location"] == link
    assert archive.get(link.replace("/0.bin", "/1.bin")).status_code == 404
    assert archive.get(link.replace("/0.bin", "/1/x.html"), follow_redirects=False).status_code == 404


def test_private_space_is_invisible(tmp_path, database):
    from gateway.hub import open_hub

    settings = make_settings(tmp_path, database=database)
    hub = open_hub(settings)
    with session_scope(hub.engine) as session:
        from archive.record.spaces import space_row

        row = space_row(session, "closed-space")
        row.visibility = "private"
        session.add(row)
    client = TestClient(archive_app(settings, hub.engine))
    assert "closed-space" not in client.get("/").text
    assert client.get("/closed-space/").status_code == 404


def test_search_finds_published_posts_only(archive):
    page = archive.get("/search", params={"q": "one-stop"}).text
    assert "1 result<" in page and "Our practice" in page
    assert "Still held" not in archive.get("/search", params={"q": "yet"}).text
    by_author = archive.get("/search", params={"q": "agreed", "author": "bo lind"}).text
    assert "Re: Our practice" in by_author
    assert "0 results" in archive.get("/search", params={"q": 'agreed" OR *', "space": "closed-space"}).text


def test_feeds_and_mbox(archive):
    import gzip
    import mailbox
    import xml.etree.ElementTree as ET

    feed = archive.get("/unece-review/feed.atom")
    assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    titles = [e.text for e in ET.fromstring(feed.content).iter("{http://www.w3.org/2005/Atom}title")]
    assert "Our practice" in titles and "Still held" not in titles
    assert archive.get("/unece-review/q/1/feed.atom").status_code == 200
    response = archive.get("/unece-review/space.mbox.gz")
    assert response.headers["content-disposition"] == 'attachment; filename="unece-review.mbox.gz"'
    path = archive.hub.settings.data_path / "t.mbox"
    path.write_bytes(gzip.decompress(response.content))
    ids = [m["Message-ID"] for m in mailbox.mbox(str(path))]
    assert ids == ["<root@x>", "<reply@x>"]
    thread = archive.get(f"/unece-review/thread/{message_hash('root@x')}/thread.mbox.gz")
    assert gzip.decompress(thread.content).count(b"\nFrom ") + 1 == 2


def test_participation_page_and_charts(archive):
    page = archive.get("/unece-review/stats/").text
    assert "Distinct participants: 2" in page
    rows = dict(re.findall(r'<th scope="row">(?:<time[^>]*>)?([^<]+)(?:</time>)?</th><td>(\d+)</td>', page))
    assert rows["ngo.example"] == "1" and rows["org.example"] == "1" and rows["Q1"] == "2"
    assert sum(int(n) for week, n in rows.items() if re.fullmatch(r"\d+ \w+ \d{4}", week)) == 2
    chart = archive.get("/unece-review/stats/weeks.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content
    assert b"<script" not in chart.content and b"<title>Posts per week</title>" in chart.content
    assert re.search(rb"<desc>\d+ \w+: 2</desc>", chart.content)  # the figures, for a screen reader
    french = archive.get("/unece-review/stats/questions.svg?lang=fr").content
    assert b"<title>Contributions par question</title>" in french
    axis = re.search(rb'class="axis y.*?</g></g>', chart.content, re.S).group(0)
    assert re.findall(rb"<text[^>]*>([^<]*)</text>", axis) == [b"0", b"1", b"2", b"3"]  # whole posts only


def test_site_templates_override_the_shipped_ones(tmp_path):
    from gateway.hub import open_hub

    own = tmp_path / "site-templates" / "web"
    own.mkdir(parents=True)
    (own / "index.html").write_text(
        '{% extends "web/base.html" %}{% block content %}<h1>Our hub</h1>{% endblock %}'
    )
    settings = make_settings(tmp_path, extra='templates_dir = "site-templates"\n')
    client = TestClient(archive_app(settings, open_hub(settings).engine))
    assert "<h1>Our hub</h1>" in client.get("/").text
    assert "Guiding questions" in client.get("/unece-review/").text  # the others stay as shipped


def test_the_space_page_filters_by_the_language_posts_are_written_in(archive):
    archive.post(
        mail("fr@x", "Nos pratiques", "Nous proposons des guichets uniques pour les travailleurs migrants.")
    )
    page = archive.get("/unece-review/").text
    assert 'href="/unece-review/?written_in=fr"' in page and "fr (1)" in page
    french = archive.get("/unece-review/?written_in=fr").text
    latest = french[french.index("Latest contributions") :]
    assert "Nos pratiques" in latest and "Our practice" not in latest
    assert '<li lang="fr">' in latest
    found = archive.get("/search?q=pratiques&written_in=fr").text
    assert "Nos pratiques" in found
    assert "Nos pratiques" not in archive.get("/search?q=pratiques&written_in=en").text


def test_the_space_page_shows_its_phases_and_the_current_one(tmp_path, database):
    from gateway.hub import open_hub

    dates = phases(
        (
            """{ en = "Before the review", fr = "Avant l'examen" }""",
            "2024-01-10T00:00:00Z",
            "2099-01-31T23:59:59Z",
            [1],
        ),
        ('"After the review"', "2099-02-10T00:00:00Z", "2099-02-20T23:59:59Z", [2]),
    )
    hub = open_hub(make_settings(tmp_path, database=database, dates=dates))
    page = Archive(hub).get("/unece-review/?lang=fr").text
    assert "Avant l&#39;examen" in page and "After the review" in page
    assert re.search(r'<li class="current">\s*<strong>Avant', page)
    assert "févr. 2099" in page and 'href="/unece-review/q/2/">Q2</a>' in page
    hub.engine.dispose()


def test_space_titles_in_the_readers_language(tmp_path, database):
    from gateway.hub import open_hub

    extra = """
[[spaces]]
slug = "bilingual"
title = { en = "Regional review", fr = "Examen régional" }
description = { en = "Tell us what works.", fr = "Dites-nous ce qui fonctionne." }
languages = ["en", "fr"]
moderators = ["mo@un.example"]
"""
    hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
    client = Archive(hub)
    french = client.get("/bilingual/?lang=fr").text
    assert "<h1>Examen régional</h1>" in french and "Dites-nous ce qui fonctionne." in french
    assert '<link rel="alternate" hreflang="en" href="http://127.0.0.1:8080/bilingual/?lang=en">' in french
    assert '<a href="/bilingual/?lang=en" hreflang="en" lang="en">English</a>' in french
    kept = client.get("/bilingual/").text  # the next click, without ?lang=: the choice holds
    assert "<h1>Examen régional</h1>" in kept and "Rechercher" in kept
    assert "<h1>Regional review</h1>" in client.get("/bilingual/?lang=en").text
    assert "<h1>Regional review</h1>" in client.get("/bilingual/").text
    stranger = TestClient(archive_app(hub.settings, hub.engine))
    assert "<h1>Regional review</h1>" in stranger.get("/bilingual/").text
    assert "<h1>Examen régional</h1>" in stranger.get("/bilingual/", headers={"Accept-Language": "fr"}).text
    search = client.get("/search?q=abri&lang=fr").text  # the language menu keeps the query
    assert 'href="/search?q=abri&amp;lang=es"' in search
    hub.engine.dispose()


def test_index_and_space_page_agree_on_where_a_space_stands(tmp_path):
    from gateway.hub import open_hub

    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = dt.timedelta(days=1)
    dates = f"opens = {today - 10 * day:%Y-%m-%dT%H:%M:%SZ}\ncloses = {today + 10 * day:%Y-%m-%dT%H:%M:%SZ}"
    dates += phases(
        ('"First"', today - 10 * day, today - 2 * day, [1]),
        ('"Second"', today + 2 * day, today + 10 * day, [2]),
    )
    hub = open_hub(make_settings(tmp_path, dates=dates))
    client = TestClient(archive_app(hub.settings, hub.engine))
    index, space = client.get("/").text, client.get("/unece-review/").text
    assert 'phase-between">between' in index and 'phase-between">between' in space
    hub.engine.dispose()


def test_an_mbox_download_is_read_in_batches_in_order_and_is_the_exports_bytes(archive):
    """The web streams space.mbox.gz a batch at a time; the file is the export's, byte for byte."""
    from archive.record import reading
    from archive.record.mbox import mbox_gz, mbox_gz_stream

    with session_scope(archive.hub.engine) as session:
        space_id = space_row(session, "unece-review").id
        whole = mbox_gz(reading.in_order(session, space_id))
    batches = list(reading.raw_in_batches(archive.hub.engine, space_id, size=1))
    assert [len(batch) for batch in batches] == [1, 1]  # two published posts, one a batch
    assert b"".join(mbox_gz_stream(batches)) == whole == archive.get("/unece-review/space.mbox.gz").content
