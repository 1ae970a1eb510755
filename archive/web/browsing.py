"""The pages a reader browses: the site's index, a space, a question's threads, a thread, a message."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record import reading
from archive.record.visibility import readable_spaces
from archive.web.context import Archive, archive_of, question_of
from archive.web.headers import SAFE_HEADERS
from config.calendar import moment
from config.database import session_scope, utcnow


def index(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        spaces = [
            (space, _state(archive, space), sum(reading.counts_by_question(session, space.id).values()))
            for space in readable_spaces(session, archive.viewer(request, session))
        ]
        return archive.render(request, "index.html", archive.language(request), spaces=spaces)


def space(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        config = archive.settings.space(row.slug)
        language = archive.language(request, row.languages)
        written_in = request.query_params.get("written_in", "")
        return archive.render(
            request,
            "space.html",
            language,
            space=row,
            config=config,
            here=moment(config, utcnow()) if config else None,
            state=_state(archive, row),
            questions=reading.questions(session, row.id),
            counts=reading.counts_by_question(session, row.id),
            languages_written=reading.counts_by_language(session, row.id),
            summary=reading.summary(session, row.id),
            written_in=written_in,
            latest=reading.latest(session, row.id, language=written_in),
        )


def question(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        asked = question_of(session, row, request)
        number, size = int(request.path_params.get("page", 1)), archive.settings.web.page_size
        page = reading.question_threads(session, row.id, asked.id, number, size)
        posts = [node.post for node, _ in page.items if node.post]
        return archive.render(
            request,
            "question.html",
            archive.language(request, row.languages),
            space=row,
            question=asked,
            page=page,
            parents=reading.parents_of(session, posts),
        )


def thread(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        nodes = reading.thread_of(session, post)
        posts = [node.post for node, _ in nodes if node.post]
        return archive.render(
            request,
            "thread.html",
            archive.language(request, row.languages),
            space=row,
            root=post,
            nodes=nodes,
            parents=reading.parents_of(session, posts),
        )


def message(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        return archive.render(
            request,
            "message.html",
            archive.language(request, row.languages),
            space=row,
            post=post,
            parents=reading.parents_of(session, [post]),
            root=reading.thread_root(session, post),
        )


def style(request: Request) -> Response:
    css = archive_of(request).templates("en").get_template("web/style.css").render()
    return Response(css, media_type="text/css", headers={**SAFE_HEADERS, "Cache-Control": "max-age=3600"})


def _state(archive: Archive, space) -> str:
    return reading.state(archive.settings.space(space.slug), space, utcnow())


ROUTES = [
    Route("/", index),
    Route("/static/style.css", style),
    Route("/{slug}/", space),
    Route("/{slug}/q/{number:int}/", question),
    Route("/{slug}/q/{number:int}/page/{page:int}/", question),
    Route("/{slug}/thread/{digest}/", thread),
    Route("/{slug}/message/{digest}/", message),
]
