"""Routes for search, feeds, mbox downloads and participation charts."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, func, select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from archive.record import reading
from archive.record.models import Post, Space
from archive.record.participation import CHARTS, chart, participation
from archive.record.search import SearchFilters, search, searched_words
from archive.record.urls import space_url
from archive.record.visibility import gives_raw_mail, readable_spaces
from archive.web.app import SAFE_HEADERS, Archive, NotFound
from archive.web.browsing import _post, _space
from archive.web.feeds import atom, mbox_gz_stream
from archive.web.headers import SVG_CSP
from archive.web.snippets import snippet
from config.database import session_scope

SVG_HEADERS = {**SAFE_HEADERS, "Content-Security-Policy": SVG_CSP}
SEARCH_PAGE, SEARCH_PAGES = 20, 50  # results a page; pages (deeper, people refine the query)
CHART_TITLES = {
    "weeks": "Posts per week",
    "questions": "Posts per question",
    "organisations": "Posts per organisation",
}


def routes(archive: Archive) -> list[tuple[str, Callable]]:
    base = archive.settings.site.base_url

    def space_feed(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            body = atom(
                row, reading.newest(session, row.id), base, row.title, f"{space_url(base, row.slug)}feed.atom"
            )
        return Response(body, media_type="application/atom+xml", headers=SAFE_HEADERS)

    def question_feed(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            question = _question(session, row, request)
            url = f"{space_url(base, row.slug)}q/{question.number}/feed.atom"
            body = atom(
                row,
                reading.newest(session, row.id, question.id),
                base,
                f"{row.title} · Q{question.number}",
                url,
            )
        return Response(body, media_type="application/atom+xml", headers=SAFE_HEADERS)

    def space_mbox(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            return _mbox(row, reading.raw_in_batches(archive.engine, row.id), f"{row.slug}.mbox.gz")

    def question_mbox(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            question = _question(session, row, request)
            batches = reading.raw_in_batches(archive.engine, row.id, question.id)
            return _mbox(row, batches, f"{row.slug}-q{question.number}.mbox.gz")

    def thread_mbox(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row, post = _post(session, request)
            batches = reading.raw_in_batches(archive.engine, row.id, thread_id=post.thread_id)
            return _mbox(row, batches, "thread.mbox.gz")

    def stats(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            figures = participation(session, row.id)
        return archive.render(
            request,
            "stats.html",
            archive.language(request, row.languages),
            space=row,
            figures=figures,
            charts=CHARTS,
        )

    def stats_chart(request: Request) -> Response:
        name = request.path_params["chart"]
        if name not in CHARTS:
            raise NotFound
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            figures = participation(session, row.id)
        return Response(
            chart(figures, name, CHART_TITLES[name]), media_type="image/svg+xml", headers=SVG_HEADERS
        )

    def search_page(request: Request) -> Response:
        params = request.query_params
        with session_scope(archive.engine) as session:
            spaces = readable_spaces(session, archive.viewer(request, session))
            chosen = [s for s in spaces if s.slug == params.get("space")] or spaces
            number = _int(params.get("question"))
            questions = reading.questions(session, chosen[0].id) if len(chosen) == 1 and number else []
            question_id = next((q.id for q in questions if q.number == number), None)
            filters = SearchFilters(
                tuple(s.id for s in chosen),
                len(chosen) == _count_spaces(session),
                question_id,
                params.get("author", "")[:100],
                params.get("since", "")[:10],
                params.get("until", "")[:10],
                params.get("written_in", "")[:16],
            )
            query, page = params.get("q", "")[:200], min(_int(params.get("page")) or 1, SEARCH_PAGES)
            ids = search(session, query, filters, SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE)
            shown = select(Post).where(col(Post.id).in_(ids[:SEARCH_PAGE])).options(*reading.LIGHT_FOR_PAGES)
            found = {p.id: p for p in session.exec(shown)}
            slugs = {s.id: s for s in spaces}
            wanted = searched_words(query)
            results = [
                (slugs[found[i].space_id], found[i], snippet(found[i].body_text, wanted))
                for i in ids[:SEARCH_PAGE]
                if i in found
            ]
            return archive.render(
                request,
                "search.html",
                archive.language(request),
                results=results,
                spaces=spaces,
                params=params,
                page=page,
                more=len(ids) > SEARCH_PAGE,
                first=(page - 1) * SEARCH_PAGE + 1,
            )

    return [
        ("/search", search_page),
        ("/{slug}/feed.atom", space_feed),
        ("/{slug}/q/{number:int}/feed.atom", question_feed),
        ("/{slug}/space.mbox.gz", space_mbox),
        ("/{slug}/q/{number:int}/question.mbox.gz", question_mbox),
        ("/{slug}/thread/{digest}/thread.mbox.gz", thread_mbox),
        ("/{slug}/stats/", stats),
        ("/{slug}/stats/{chart}.svg", stats_chart),
    ]


def _question(session, row, request: Request):
    number = int(request.path_params["number"])
    found = [q for q in reading.questions(session, row.id) if q.number == number]
    if not found:
        raise NotFound
    return found[0]


def _mbox(row, batches, filename: str) -> Response:
    """Streamed: read 500 posts at a time and compressed as it goes, never held whole."""
    if not gives_raw_mail(row):
        raise NotFound
    headers = {**SAFE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(mbox_gz_stream(batches), media_type="application/gzip", headers=headers)


def _count_spaces(session) -> int:
    return session.exec(select(func.count()).select_from(Space)).one()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None
