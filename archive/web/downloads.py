"""What a reader downloads as stored: a message's raw bytes, its attachments, and mbox files."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from archive.record import reading
from archive.record.attachments import blob_path
from archive.record.edits import public_raw
from archive.record.mbox import mbox_gz_stream
from archive.record.urls import attachment_path
from archive.record.visibility import gives_raw_mail
from archive.web.context import NotFound, archive_of, question_of
from archive.web.headers import SAFE_HEADERS
from config.database import session_scope

RASTER = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def raw(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        if not gives_raw_mail(row):
            raise NotFound
        return Response(public_raw(post), media_type="text/plain; charset=utf-8", headers=SAFE_HEADERS)


def attachment(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        meta = _attachment(session, request)
    path = blob_path(archive.settings.data_path / "attachments", meta["sha256"])
    if path is None:
        raise NotFound
    return as_download(path.read_bytes(), meta["filename"])


def attachment_by_name(request: Request) -> Response:
    """The URL digests and post copies linked before issue 14 (under the sender's file name):
    it answers still, by sending the reader to the one URL every attachment has now."""
    with session_scope(archive_of(request).engine) as session:
        _attachment(session, request)
    params = request.path_params
    where = attachment_path(params["slug"], params["digest"], params["index"])
    return RedirectResponse(where, status_code=301, headers=SAFE_HEADERS)


def space_mbox(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        return _mbox(row, reading.raw_in_batches(archive.engine, row.id), f"{row.slug}.mbox.gz")


def question_mbox(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        question = question_of(session, row, request)
        batches = reading.raw_in_batches(archive.engine, row.id, question.id)
        return _mbox(row, batches, f"{row.slug}-q{question.number}.mbox.gz")


def thread_mbox(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row, post = archive.post_of(session, request)
        batches = reading.raw_in_batches(archive.engine, row.id, thread_id=post.thread_id)
        return _mbox(row, batches, "thread.mbox.gz")


def _attachment(session, request: Request) -> dict:
    """The attachment's record (name, sha256) that the URL names, if its post is public."""
    _, post = archive_of(request).post_of(session, request)
    index = request.path_params["index"]
    if not 0 <= index < len(post.attachments):
        raise NotFound
    return post.attachments[index]


def as_download(data: bytes, filename: str) -> Response:
    """Never rendered by the browser: octet-stream, unless a raster image whose magic bytes match
    (also for the moderators' page, moderation/pages.py)."""
    media = next(
        (kind for magic, kind in RASTER.items() if data.startswith(magic)), "application/octet-stream"
    )
    guessed = mimetypes.guess_type(filename)[0]
    if media != "application/octet-stream" and guessed != media:
        media = "application/octet-stream"
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media, headers={**SAFE_HEADERS, "Content-Disposition": disposition})


def _mbox(row, batches, filename: str) -> Response:
    """Streamed: read 500 posts at a time and compressed as it goes, never held whole."""
    if not gives_raw_mail(row):
        raise NotFound
    headers = {**SAFE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(mbox_gz_stream(batches), media_type="application/gzip", headers=headers)


ROUTES = [
    Route("/{slug}/message/{digest}/raw", raw),
    Route("/{slug}/message/{digest}/{index:int}.bin", attachment),
    Route("/{slug}/message/{digest}/{index:int}/{name}", attachment_by_name),
    Route("/{slug}/space.mbox.gz", space_mbox),
    Route("/{slug}/q/{number:int}/question.mbox.gz", question_mbox),
    Route("/{slug}/thread/{digest}/thread.mbox.gz", thread_mbox),
]
