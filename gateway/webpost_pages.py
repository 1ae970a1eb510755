"""Writing on the web (issue 15): a contribution to a question, or a reply under a published post,
by a signed-in reader the space's posting rule lets post; spooled like mail (gateway/webpost.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.record.members import role_of
from archive.record.models import Question
from archive.record.visibility import may_post
from archive.web.context import Archive, archive_of, question_of
from archive.web.headers import SAFE_HEADERS
from config.database import session_scope, utcnow
from config.errors import N_, Reason
from gateway.spool import Spool
from gateway.webpost import (
    MAX_FILES,
    Draft,
    TooLarge,
    Upload,
    Where,
    compose,
    known_name,
    refusal,
    reply_draft,
    spool_post,
)
from moderation.trust import is_trusted

NOT_SIGNED_IN = Reason(
    N_("Sign in to write here: your contribution is sent from the address you sign in with.")
)
MAY_NOT_POST = Reason(
    N_(
        "This discussion takes contributions from its members and the organisations it lists only; "
        "%(address)s may read it but not write to it."
    )
)
NOT_STORED = Reason(N_("Your contribution could not be stored just now. Please send it again in a minute."))
EMPTY = Reason(N_("Write a subject and a text."))
FORM_OVERHEAD = 1 << 20  # a form's own bytes beside its files, and base64's growth of files in mail


@dataclass(frozen=True)
class Access:
    """Who writes where: the signed-in address may post to this space's question or thread."""

    where: Where
    address: str
    name: str
    language: str


class Writing:
    """The writing pages, with the spool they write to and the way to wake the worker."""

    def __init__(self, spool: Spool, spooled: Callable[[], None]) -> None:
        self.spool, self.spooled = spool, spooled

    def routes(self) -> list[Route]:
        # Each ends in a literal no other page uses (write/, reply/, received/): no route hides another.
        return [
            Route("/{slug}/q/{number:int}/write/", self.write, methods=["GET", "POST"]),
            Route("/{slug}/message/{digest}/reply/", self.reply, methods=["GET", "POST"]),
            Route("/{slug}/received/", received),
        ]

    async def write(self, request: Request) -> Response:
        return await self._page(request, reply=False)

    async def reply(self, request: Request) -> Response:
        return await self._page(request, reply=True)

    async def _page(self, request: Request, reply: bool) -> Response:
        archive = archive_of(request)
        # The space and the viewer first, the form after: a space the visitor may not read answers
        # as one that does not exist, whatever was posted to it.
        access = await run_in_threadpool(_access, archive, request, reply)
        if isinstance(access, Response):
            return access
        if request.method == "GET":
            draft = reply_draft(access.where.parent) if reply else Draft()
            return await run_in_threadpool(_form, archive, request, access, draft, access.name)
        length = request.headers.get("content-length", "")
        if not length.isdigit():  # every browser says how long a form is; nothing unbounded is read
            return Response(status_code=411, headers=SAFE_HEADERS)
        if int(length) > _largest_form(archive):  # too large to read even to keep what was typed
            too_large = TooLarge(int(length), archive.settings.smtp.max_message_bytes)
            return _form(archive, request, access, Draft(), access.name, too_large=too_large, status=413)
        form = await request.form(max_files=MAX_FILES, max_fields=10, max_part_size=_largest_form(archive))
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        draft = Draft(
            subject=str(form.get("subject", "")),
            body=str(form.get("body", "")),
            files=tuple([Upload(f.filename, f.content_type or "", await f.read()) for f in files]),
        )
        name = str(form.get("name", ""))
        return await run_in_threadpool(self._submit, archive, request, access, draft, name)

    def _submit(
        self, archive: Archive, request: Request, access: Access, draft: Draft, name: str
    ) -> Response:
        if not draft.subject.strip() or not draft.body.strip():
            return _form(archive, request, access, draft, name, error=EMPTY, status=400)
        now, settings, where = utcnow(), archive.settings, access.where
        raw = compose(settings, access.address, name, where, draft, now)
        with session_scope(archive.engine, writes=False) as session:
            why = refusal(settings, session, access.address, where, raw, now)
            trusted = is_trusted(session, where.space.id, access.address)
        if isinstance(why, TooLarge):
            return _form(archive, request, access, draft, name, too_large=why, status=413)
        if why:
            return _form(archive, request, access, draft, name, error=why, status=400)
        try:
            spool_post(self.spool, access.address, where, settings.site.domain, raw, _peer(request))
        except OSError:
            return _form(archive, request, access, draft, name, error=NOT_STORED, status=503)
        self.spooled()  # the worker takes it now, not at its next look at the spool
        question = f"q={where.question.number}&" if where.question is not None else ""
        done = f"/{where.space.slug}/received/?{question}published={int(trusted)}"
        return RedirectResponse(done, status_code=303, headers=SAFE_HEADERS)


def _access(archive: Archive, request: Request, reply: bool) -> Access | Response:
    with session_scope(archive.engine, writes=False) as session:
        if reply:
            space, parent = archive.post_of(session, request)
            question = session.get(Question, parent.question_id) if parent.question_id else None
        else:
            space = archive.space_of(session, request)
            parent, question = None, question_of(session, space, request)
        language = archive.language(request, space.languages)
        viewer = archive.viewer(request, session)
        if viewer.address is None:
            if request.method == "GET":
                return RedirectResponse("/signin", status_code=303, headers=SAFE_HEADERS)
            return _refused(archive, request, language, NOT_SIGNED_IN)
        config = archive.settings.space(space.slug)
        role = role_of(session, archive.settings, space, viewer.address)
        if config is None or not may_post(config, viewer.address, role):
            return _refused(archive, request, language, Reason(MAY_NOT_POST, address=viewer.address))
        name = known_name(session, viewer.address)
    return Access(Where(space, question, parent), viewer.address, name, language)


def _form(archive: Archive, request: Request, access: Access, draft: Draft, name: str, *,
          error: str = "", too_large: TooLarge | None = None, status: int = 200) -> Response:  # fmt: skip
    """The form, with what the writer typed kept (files cannot be put back in a file field: the
    page says to choose them again)."""
    response = archive.render(
        request,
        "write.html",
        access.language,
        space=access.where.space,
        question=access.where.question,
        parent=access.where.parent,
        parents={},
        draft=draft,
        writer_name=name,
        address=access.address,
        error=archive.said(error, access.language) if error else "",
        too_large=too_large,
        files_again=bool(draft.files) and bool(error or too_large),
        max_bytes=archive.settings.smtp.max_message_bytes,
        max_files=MAX_FILES,
    )
    response.status_code = status
    return response


def _refused(archive: Archive, request: Request, language: str, reason: str) -> Response:
    response = archive.render(
        request, "error.html", language, status=403, message=archive.said(reason, language)
    )
    response.status_code = 403
    return response


def received(request: Request) -> Response:
    """After a post: received, and what happens next (held for the moderators, or published)."""
    archive = archive_of(request)
    with session_scope(archive.engine, writes=False) as session:
        space = archive.space_of(session, request)
    number = request.query_params.get("q", "")
    return archive.render(
        request,
        "received.html",
        archive.language(request, space.languages),
        space=space,
        number=int(number) if number.isdigit() else None,
        published=request.query_params.get("published") == "1",
    )


def _largest_form(archive: Archive) -> int:
    """The largest form read: up to twice the largest message, so that a writer whose files are
    somewhat too large gets the form back with their text (files grow by a third in mail)."""
    return 2 * archive.settings.smtp.max_message_bytes + FORM_OVERHEAD


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""
