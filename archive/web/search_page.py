"""The search page (/search): published posts a visitor may read, by words, space, question, author, date."""

from __future__ import annotations

from sqlmodel import col, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record import reading
from archive.record.models import Post, Space
from archive.record.search import SearchFilters, search, searched_words
from archive.record.visibility import readable_spaces
from archive.web.context import archive_of
from archive.web.snippets import snippet
from config.database import session_scope

SEARCH_PAGE, SEARCH_PAGES = 20, 50  # results a page; pages (deeper, people refine the query)


def search_page(request: Request) -> Response:
    archive, params = archive_of(request), request.query_params
    with session_scope(archive.engine) as session:
        spaces = readable_spaces(session, archive.viewer(request, session))
        query, page = params.get("q", "")[:200], min(_int(params.get("page")) or 1, SEARCH_PAGES)
        ids = search(
            session, query, _filters(session, spaces, params), SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE
        )
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


def _filters(session, spaces: list[Space], params) -> SearchFilters:
    """What the query string narrows the search to, among the spaces the visitor may read."""
    chosen = [s for s in spaces if s.slug == params.get("space")] or spaces
    number = _int(params.get("question"))
    questions = reading.questions(session, chosen[0].id) if len(chosen) == 1 and number else []
    question_id = next((q.id for q in questions if q.number == number), None)
    return SearchFilters(
        tuple(s.id for s in chosen),
        len(chosen) == _count_spaces(session),
        question_id,
        params.get("author", "")[:100],
        params.get("since", "")[:10],
        params.get("until", "")[:10],
        params.get("written_in", "")[:16],
    )


def _count_spaces(session) -> int:
    return session.exec(select(func.count()).select_from(Space)).one()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


ROUTES = [Route("/search", search_page)]
