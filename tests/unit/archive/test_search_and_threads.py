"""Search in the web-search syntax on both databases, ranked and paged, with safe excerpts; a
question's threads listed a page at a time; a reply that arrived before its parent joins its thread."""

from __future__ import annotations

import re

import pytest

from archive.record.search import fts5_query, parse_query, searched_words
from archive.record.urls import message_hash
from archive.web.snippets import snippet
from tests.unit.archive.test_pages import Archive, mail


def test_queries_never_reach_the_index_as_syntax():
    assert fts5_query(parse_query('shelter "city level" -detention')) == (
        '("shelter" AND "city level") NOT "detention"'
    )
    assert fts5_query(parse_query("housing OR shelter children")) == '("housing" OR "shelter") AND "children"'
    assert fts5_query(parse_query('a* NEAR(b) "c')) == '"a" AND "NEAR b" AND "c"'  # as PostgreSQL reads it
    assert fts5_query(parse_query("-only -excluded")) == ""
    assert parse_query("OR") == []
    assert searched_words('Shelter -detention "City level"') == {"shelter", "city", "level"}


def test_excerpt_marks_the_words_and_escapes_the_rest():
    body = "Intro words here. " * 20 + "The <script>alert(1)</script> shelter for Éducation. " + "Tail. " * 40
    html = str(snippet(body, {"shelter", "education"}))
    assert "<mark>shelter</mark>" in html and "<mark>Éducation</mark>" in html  # accents set aside
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith("… ") and html.endswith(" …")
    assert str(snippet("> quoted shelter\nown words", {"shelter"})) == "own words"


@pytest.fixture()
def many(hub) -> Archive:
    archive = Archive(hub)
    archive.post(mail("rank@x", "Shelter shelter", "Shelter in every city: shelter, shelter."))
    for n in range(24):
        archive.post(mail(f"s{n}@x", f"Note {n}", f"A word on shelter and housing, number {n}."))
    archive.post(mail("phrase@x", "Levels", "We work at city level with partners."))
    archive.post(mail("other@x", "Unrelated", "Detention is not the answer; city level shelter is."))
    return archive


def _titles(page: str) -> list[str]:
    return re.findall(r'<a href="/unece-review/message/[^"]+/">([^<]+)</a>', page)


def test_search_ranks_pages_and_understands_the_syntax(many):
    first = many.get("/search", params={"q": "shelter"}).text
    titles = _titles(first)
    assert titles[0] == "Shelter shelter" and len(titles) == 20  # best first, a page of 20
    assert "1–20 results" in first and 'rel="next"' in first and "page=2" in first
    second = many.get("/search", params={"q": "shelter", "page": "2"}).text
    assert len(_titles(second)) == 6 and "21–26 results" in second and 'rel="prev"' in second
    assert set(_titles(first)).isdisjoint(_titles(second))
    phrase = set(_titles(many.get("/search", params={"q": '"city level"'}).text))
    assert phrase == {"Levels", "Unrelated"}  # "city: shelter" and "every city" are not the phrase
    excluded = _titles(many.get("/search", params={"q": '"city level" -detention'}).text)
    assert excluded == ["Levels"]
    either = set(_titles(many.get("/search", params={"q": "partners OR detention"}).text))
    assert either == {"Levels", "Unrelated"}
    assert "<mark>shelter</mark>" in first.lower()


def test_question_pages_list_threads_newest_activity_first_without_bodies(hub):
    archive = Archive(hub)
    for n in range(33):  # more threads than a page (30)
        archive.post(mail(f"t{n}@x", f"Thread {n}", "Text."))
        archive.post(mail(f"r{n}@x", f"Re: Thread {n}", "Reply.", f"In-Reply-To: <t{n}@x>\r\n"))
    first = archive.get("/unece-review/q/1/").text
    second = archive.get("/unece-review/q/1/page/2/").text
    assert "1 / 2" in first
    assert first.count('class="thread-row"') == 30 and second.count('class="thread-row"') == 3
    assert "Thread 32<" in first and "Thread 3<" in first and "Thread 2<" in second and "Thread 0<" in second
    assert first.index("Thread 32<") < first.index("Thread 31<")  # the latest activity first
    assert "1 reply" in first and "1 participant" in first  # one sender wrote both
    for page in (first, second):
        assert "Re: Thread" not in page and "Reply." not in page and 'class="post"' not in page


def test_a_reply_that_came_first_joins_its_parents_thread(hub):
    archive = Archive(hub)
    archive.post(mail("early@x", "Re: Late start", "I answer first.", "In-Reply-To: <late@x>\r\n"))
    archive.post(mail("late@x", "Late start", "The first words, delivered last."))
    thread = archive.get(f"/unece-review/thread/{message_hash('late@x')}/").text
    assert "I answer first." in thread and "The first words" in thread
    question = archive.get("/unece-review/q/1/").text
    assert question.count('class="thread-row"') == 1 and "1 reply" in question and "Late start<" in question


def test_filters_narrow_inside_the_index(hub):
    archive = Archive(hub)
    archive.post(mail("q1@x", "First question", "Shelter for families in the city."))
    archive.post(
        mail("q2@x", "Second question", "Shelter for families, by the river."),
        to="unece-review+q2@hub.example.org",
    )
    french = (
        "Nous proposons un hébergement et un abri pour les familles, dans toutes les villes de la région."
    )
    archive.post(mail("fr@x", "En français shelter", french, sender="Bo Lind <bo@org.example>"))

    def found(**params) -> set[str]:
        return set(_titles(archive.get("/search", params={"q": "shelter", **params}).text))

    assert found() == {"First question", "Second question", "En français shelter"}
    assert found(question="2", space="unece-review") == {"Second question"}
    assert found(author="Bo Li") == {"En français shelter"}  # the last word may be cut short
    assert found(author="org.example") == {"En français shelter"}
    assert found(written_in="fr") == {"En français shelter"}
    assert found(space="closed-space") == set()
