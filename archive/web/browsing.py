"""The pages a reader browses: the site's index, a space, a question's threads, a thread, a message."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record import reading, thread_list
from archive.record.models import Question
from archive.record.translations import translations_in
from archive.record.visibility import readable_spaces
from archive.web.context import Archive, archive_of, question_of
from archive.web.headers import SAFE_HEADERS
from archive.web.taking_part import taking_part
from config.calendar import countdown, moment
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
        now = utcnow()
        return archive.render(
            request,
            "space.html",
            language,
            space=row,
            config=config,
            here=moment(config, now) if config else None,
            countdown=countdown(config, now) if config else None,
            state=_state(archive, row),
            questions=reading.questions(session, row.id),
            counts=reading.counts_by_question(session, row.id),
            languages_written=reading.counts_by_language(session, row.id),
            summary=reading.summary(session, row.id),
            written_in=written_in,
            latest=reading.latest(session, row.id, language=written_in),
            taking_part=taking_part(archive.settings, row, None, utcnow()),
        )


def question(request: Request) -> Response:
    """The question's threads as a list (bodies are on the thread pages), newest activity first or,
    at the reader's choice, most replies first."""
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        asked = question_of(session, row, request)
        order = request.query_params.get("sort", "activity")
        order = order if order in thread_list.ORDERS else "activity"
        number, size = int(request.path_params.get("page", 1)), archive.settings.web.page_size
        part = taking_part(archive.settings, row, asked, utcnow())
        return archive.render(
            request,
            "question.html",
            archive.language(request, row.languages),
            space=row,
            question=asked,
            order=order,
            page=thread_list.thread_rows(session, row.id, asked.id, number, size, order),
            taking_part=part,
            web_write=_takes_new_threads(part) and archive.may_write(session, request, row),
        )


def thread(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        nodes = reading.thread_of(session, post)
        posts = [node.post for node, _ in nodes if node.post]
        before, after = thread_list.neighbours(session, row.id, post.question_id, post.thread_id or post.id)
        language = archive.language(request, row.languages)
        shown = _around_posts(archive, session, request, row, post, posts, language)
        return archive.render(
            request, "thread.html", language, root=post, nodes=nodes, before=before, after=after, **shown
        )


def message(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        language = archive.language(request, row.languages)
        shown = _around_posts(archive, session, request, row, post, [post], language)
        root = reading.thread_root(session, post)
        return archive.render(request, "message.html", language, post=post, root=root, **shown)


def _around_posts(archive: Archive, session, request: Request, row, post, posts: list, language: str) -> dict:
    """What a thread or message page shows around its posts: their parents, organisations and
    translations, the question, where a reply by mail goes and whether one may reply on the web."""
    asked = session.get(Question, post.question_id) if post.question_id else None
    return {
        "space": row,
        "question": asked,
        "parents": reading.parents_of(session, posts),
        "organisations": thread_list.organisations_shown(session, row.id, posts),
        "translations": translations_in(session, [p.id for p in posts], language),
        "reply_address": archive.reply_address(row, asked),
        "web_reply": _web_reply(archive, session, request, row),
    }


def _takes_new_threads(part) -> bool:
    """A question takes a new thread while its phase is open, and late (noted) in the grace period."""
    return part.moment.state == "grace" or (part.moment.state == "open" and part.question_open)


def _web_reply(archive: Archive, session, request: Request, row) -> bool:
    """Replies are taken while the space is open, between phases and in the grace period."""
    open_for_replies = _state(archive, row) in ("open", "between", "grace")
    return open_for_replies and archive.may_write(session, request, row)


def style(request: Request) -> Response:
    archive = archive_of(request)
    css = archive.templates("en").get_template("web/style.css").render()
    versioned = request.query_params.get("v") == archive.globals["style_version"]
    kept = "max-age=31536000, immutable" if versioned else "max-age=3600"  # a new look has a new URL
    return Response(css, media_type="text/css", headers={**SAFE_HEADERS, "Cache-Control": kept})


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
