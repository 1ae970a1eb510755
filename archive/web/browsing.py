"""Page handlers: each reads through archive.record.reading, asks visibility, and renders one template."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archive.record import reading
from archive.record.attachments import blob_path
from archive.record.edits import public_raw
from archive.record.urls import attachment_path
from archive.record.visibility import gives_raw_mail, readable_spaces
from archive.web.app import SAFE_HEADERS, Archive, NotFound
from config.calendar import moment
from config.database import session_scope, utcnow

RASTER = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def routes(archive: Archive) -> list[tuple[str, Callable]]:
    def index(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            spaces = [
                (space, _state(archive, space), sum(reading.counts_by_question(session, space.id).values()))
                for space in readable_spaces(session, archive.viewer(request, session))
            ]
            return archive.render(request, "index.html", archive.language(request), spaces=spaces)

    def space(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row = _space(session, request)
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
        with session_scope(archive.engine) as session:
            row = _space(session, request)
            number = int(request.path_params["number"])
            found = [q for q in reading.questions(session, row.id) if q.number == number]
            if not found:
                raise NotFound
            page = reading.question_threads(
                session,
                row.id,
                found[0].id,
                int(request.path_params.get("page", 1)),
                archive.settings.web.page_size,
            )
            posts = [node.post for node, _ in page.items if node.post]
            return archive.render(
                request,
                "question.html",
                archive.language(request, row.languages),
                space=row,
                question=found[0],
                page=page,
                parents=reading.parents_of(session, posts),
            )

    def thread(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row, post = _post(session, request)
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
        with session_scope(archive.engine) as session:
            row, post = _post(session, request)
            return archive.render(
                request,
                "message.html",
                archive.language(request, row.languages),
                space=row,
                post=post,
                parents=reading.parents_of(session, [post]),
                root=reading.thread_root(session, post),
            )

    def raw(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            row, post = _post(session, request)
            if not gives_raw_mail(row):
                raise NotFound
            return Response(public_raw(post), media_type="text/plain; charset=utf-8", headers=SAFE_HEADERS)

    def attachment(request: Request) -> Response:
        with session_scope(archive.engine) as session:
            meta = _attachment(session, request)
        path = blob_path(archive.settings.data_path / "attachments", meta["sha256"])
        if path is None:
            raise NotFound
        return _download(path.read_bytes(), meta["filename"])

    def attachment_by_name(request: Request) -> Response:
        """The URL digests and post copies linked before issue 14 (under the sender's file name):
        it answers still, by sending the reader to the one URL every attachment has now."""
        with session_scope(archive.engine) as session:
            _attachment(session, request)
        params = request.path_params
        where = attachment_path(params["slug"], params["digest"], params["index"])
        return RedirectResponse(where, status_code=301, headers=SAFE_HEADERS)

    def style(request: Request) -> Response:
        css = archive.templates("en").get_template("web/style.css").render()
        return Response(css, media_type="text/css", headers={**SAFE_HEADERS, "Cache-Control": "max-age=3600"})

    return [
        ("/", index),
        ("/static/style.css", style),
        ("/{slug}/", space),
        ("/{slug}/q/{number:int}/", question),
        ("/{slug}/q/{number:int}/page/{page:int}/", question),
        ("/{slug}/thread/{digest}/", thread),
        ("/{slug}/message/{digest}/", message),
        ("/{slug}/message/{digest}/raw", raw),
        ("/{slug}/message/{digest}/{index:int}.bin", attachment),
        ("/{slug}/message/{digest}/{index:int}/{name}", attachment_by_name),
    ]


def _space(session, request: Request):
    viewer = request.app.state.archive.viewer(request, session)
    row = reading.readable_space(session, request.path_params["slug"], viewer)
    if row is None:
        raise NotFound
    return row


def _post(session, request: Request):
    row = _space(session, request)
    post = reading.post_by_hash(session, row.id, request.path_params["digest"])
    if post is None:
        raise NotFound
    return row, post


def _attachment(session, request: Request) -> dict:
    """The attachment's record (name, sha256) that the URL names, if its post is public."""
    _, post = _post(session, request)
    index = request.path_params["index"]
    if not 0 <= index < len(post.attachments):
        raise NotFound
    return post.attachments[index]


def _download(data: bytes, filename: str) -> Response:
    """Never rendered by the browser: octet-stream, unless a raster image whose magic bytes match."""
    media = next(
        (kind for magic, kind in RASTER.items() if data.startswith(magic)), "application/octet-stream"
    )
    guessed = mimetypes.guess_type(filename)[0]
    if media != "application/octet-stream" and guessed != media:
        media = "application/octet-stream"
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media, headers={**SAFE_HEADERS, "Content-Disposition": disposition})


def _state(archive: Archive, space) -> str:
    return reading.state(archive.settings.space(space.slug), space, utcnow())
