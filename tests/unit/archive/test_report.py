"""The analysis report on a generated space: every figure checked against the database itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import statistics

import pytest
from sqlmodel import col, select

from archive.record.members import add_member
from archive.record.models import Post, Question
from archive.record.spaces import space_row
from archive.record.translations import save_translation
from archive.report.contents import ReportError, build_report
from archive.report.formats import render_report
from config.database import session_scope
from gateway.hub import open_hub
from gateway.spool import Envelope
from gateway.worker import Worker
from templates import environment
from tests.configs import make_settings, phases
from tests.moderation_helpers import decide

PHASES = phases(
    ('"Before the review"', "2024-01-01T00:00:00Z", "2024-01-31T23:59:59Z", [1]),
    ('"After the review"', "2024-02-01T00:00:00Z", "2024-02-29T23:59:59Z", [2]),
)
TEXTS = {
    "en": "Our organisation runs legal clinics for migrant workers and their families in three cities.",
    "fr": "Notre organisation gère des cliniques juridiques pour les travailleurs migrants.",
}
DOMAINS = ("ngo.example", "un.example", "gov.example", "uni.example")


def generated(tmp_path, database, seed: int = 7):
    """60 messages over eight weeks: two questions, two languages, attachments, decisions at random."""
    rng = random.Random(seed)
    hub = open_hub(make_settings(tmp_path, database=database, dates=PHASES))
    clock = {"now": dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC)}
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: clock["now"])
    with session_scope(hub.engine) as session:
        add_member(
            session,
            space_row(session, "unece-review"),
            "p0@ngo.example",
            "member",
            "t",
            organisation="Red Cross",
        )
    for n in range(60):
        clock["now"] += dt.timedelta(hours=rng.randint(4, 20))
        question = 1 if clock["now"].month == 1 else 2
        language = rng.choice(list(TEXTS))
        sender = f"p{rng.randint(0, 14)}@{rng.choice(DOMAINS)}"
        attachment = rng.random() < 0.3
        raw = _message(n, sender, TEXTS[language], attachment)
        to = f"unece-review+q{question}@hub.example.org"
        hub.spool.put(Envelope(sender, [to], "smtp", received_at=clock["now"].isoformat()), raw)
        worker.process_pending()
        decision = rng.choice(["approve", "approve", "approve", "reject", None])
        if decision:
            with session_scope(hub.engine) as session:
                post = session.exec(select(Post).where(Post.message_id == f"g{n}@x")).one()
                later = clock["now"] + dt.timedelta(hours=rng.randint(1, 48))
                decide(session, hub.settings, post, later, decision)
    return hub


def _message(n: int, sender: str, text: str, attachment: bool) -> bytes:
    head = f"From: Person {n} <{sender}>\r\nSubject: Contribution {n}\r\nMessage-ID: <g{n}@x>\r\n"
    head += "MIME-Version: 1.0\r\n"
    if not attachment:
        return (head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"\r\n{text}\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        f'filename="report{n}.pdf"\r\n\r\n%PDF-1.4 report {n}\r\n--b--\r\n'
    ).encode()


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    hub = generated(tmp_path_factory.mktemp("report"), "")
    yield hub
    hub.engine.dispose()


def test_every_count_matches_the_database(space):
    with session_scope(space.engine) as session:
        report = build_report(session, space.settings, "unece-review")
        posts = session.exec(select(Post).where(col(Post.is_summary).is_(False))).all()
        numbers = {q.id: q.number for q in session.exec(select(Question))}
    published = [p for p in posts if p.status == "published"]
    assert len(report.contributions) == len(published) > 20
    for number in (1, 2):
        mine = [p for p in published if numbers.get(p.question_id) == number]
        assert report.per_question[f"Q{number}"] == {
            "contributions": len(mine),
            "contributors": len({p.from_addr for p in mine}),
        }
    weeks = {}
    for p in published:
        year, week, _ = p.published_at.isocalendar()
        weeks[f"{year}-W{week:02d}"] = weeks.get(f"{year}-W{week:02d}", 0) + 1
    assert report.per_week == dict(sorted(weeks.items()))
    red_cross = [p for p in published if p.from_addr == "p0@ngo.example"]
    if red_cross:
        assert report.per_organisation["Red Cross"]["contributions"] == len(red_cross)
    organisations = {p.from_addr.partition("@")[2] for p in published if p.from_addr != "p0@ngo.example"}
    for domain in organisations:
        mine = [
            p for p in published if p.from_addr.endswith("@" + domain) and p.from_addr != "p0@ngo.example"
        ]
        assert report.per_organisation[domain]["contributions"] == len(mine)
    for language in ("en", "fr"):
        share = sum(p.language == language for p in published) / len(published)
        assert report.languages.get(language, 0) == pytest.approx(share, abs=1e-4)
    assert report.attachments["files"] == sum(len(p.attachments) for p in published)
    assert report.attachments["bytes"] == sum(a["size"] for p in published for a in p.attachments)
    assert report.moderation["held"] == sum(p.status == "held" for p in posts)
    assert report.moderation["approved"] == len(published)
    assert report.moderation["rejected"] == sum(p.status == "rejected" for p in posts)
    waits = [(p.decided_at - p.received_at).total_seconds() / 3600 for p in posts if p.decided_at]
    assert report.moderation["median_hours_to_decision"] == round(statistics.median(waits), 1)
    times = [(p.published_at - p.received_at).total_seconds() / 3600 for p in published]
    assert report.moderation["median_hours_to_publication"] == round(statistics.median(times), 1)
    reviews = report.moderation["reviews_per_moderator"]  # issue 16: every decision was mia's review
    assert reviews == {"mia@un.example": {"approve": len(published), "reject": report.moderation["rejected"]}}


def test_a_phase_has_only_its_questions(space):
    with session_scope(space.engine) as session:
        first = build_report(session, space.settings, "unece-review", phase_number=1)
        whole = build_report(session, space.settings, "unece-review")
    assert set(first.per_question) == {"Q1"} and first.per_question["Q1"] == whole.per_question["Q1"]
    assert first.phase == "Before the review" and list(first.questions) == [1]


def test_four_formats(space):
    with session_scope(space.engine) as session:
        report = build_report(session, space.settings, "unece-review")
    templates = environment()
    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv", templates))))
    assert len(rows) == len(report.contributions) and rows[0]["organisation"]
    assert any(row["attachments"].endswith(".pdf") for row in rows)
    assert json.loads(render_report(report, "json", templates))["per_question"] == report.per_question
    html = render_report(report, "html", templates)
    assert html.count("<svg") == 4 and "<script" not in html and "size: A4" in html
    assert "Q1. Promising practices?" in html and "report" in html
    markdown = render_report(report, "md", templates)
    assert "## Participation" in markdown and "| Q1 |" in markdown


def test_clear_errors(space, tmp_path, database):
    with session_scope(space.engine) as session:
        with pytest.raises(ReportError, match="has no phase 9 \\(its phases: 1, 2\\)"):
            build_report(session, space.settings, "unece-review", phase_number=9)
        with pytest.raises(ReportError, match="no space 'nope'"):
            build_report(session, space.settings, "nope")
    empty = open_hub(make_settings(tmp_path, database=database))
    with (
        session_scope(empty.engine) as session,
        pytest.raises(ReportError, match="no published contributions"),
    ):
        build_report(session, empty.settings, "unece-review")
    empty.engine.dispose()


def test_posts_to_the_space_as_a_whole_are_reported_and_csv_cells_never_run(tmp_path):
    hub = open_hub(make_settings(tmp_path, database=""))
    raw = (
        b'From: Eve <eve@ngo.example>\r\nSubject: =HYPERLINK("http://evil.example")\r\n'
        b"Message-ID: <whole@x>\r\n\r\n+1 from our network of city mayors and their migrant councils.\r\n"
    )
    hub.spool.put(Envelope("eve@ngo.example", ["unece-review@hub.example.org"], "smtp"), raw)
    Worker(hub.settings, hub.engine, hub.spool).process_pending()
    with session_scope(hub.engine) as session:
        post = session.exec(select(Post).where(Post.message_id == "whole@x")).one()
        decide(session, hub.settings, post, post.received_at)
        report = build_report(session, hub.settings, "unece-review")
    templates = environment()
    [row] = csv.DictReader(io.StringIO(render_report(report, "csv", templates)))
    assert row["subject"] == '\'=HYPERLINK("http://evil.example")' and row["text"].startswith("'+1 from")
    for fmt in ("md", "html"):
        rendered = render_report(report, fmt, templates)
        assert "Not addressed to a question" in rendered and "city mayors" in rendered, fmt
    hub.engine.dispose()


def test_translations_are_reported_beside_the_original_a_csv_column_each(tmp_path):
    hub = open_hub(make_settings(tmp_path, database=""))
    raw = b"From: Ana <ana@ngo.example>\r\nSubject: Shops\r\nMessage-ID: <t@x>\r\n\r\nOne-stop shops.\r\n"
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw)
    Worker(hub.settings, hub.engine, hub.spool).process_pending()
    with session_scope(hub.engine) as session:
        post = session.exec(select(Post).where(Post.message_id == "t@x")).one()
        decide(session, hub.settings, post, post.received_at)
        save_translation(session, post, "fr", "Guichets uniques.", "mia@un.example", post.received_at)
        save_translation(session, post, "es", "=Ventanillas", "machine:x", post.received_at, machine=True)
        report = build_report(session, hub.settings, "unece-review")
    templates = environment()
    [row] = csv.DictReader(io.StringIO(render_report(report, "csv", templates)))
    assert row["text"] == "One-stop shops." and row["text_fr"] == "Guichets uniques."
    assert row["text_fr_by"] == "mia@un.example" and row["text_es"] == "'=Ventanillas"  # inert too
    assert row["text_es_by"] == "machine:x"
    [contribution] = json.loads(render_report(report, "json", templates))["contributions"]
    assert contribution["translations"]["fr"] == {"text": "Guichets uniques.", "by": "mia@un.example",
                                                  "machine": False}  # fmt: skip
    html = render_report(report, "html", templates)
    assert "translated by the moderators" in html and "machine translation" in html
    assert "Guichets uniques." in render_report(report, "md", templates)
    hub.engine.dispose()
