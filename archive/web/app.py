"""The web archive (Starlette): pages keyed by space and Message-ID, safe headers on every response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.record.spaces import title_in
from archive.record.urls import attachment_path, message_hash
from archive.record.visibility import ANONYMOUS, Viewer, gives_raw_mail
from archive.web.headers import SAFE_HEADERS
from archive.web.origin import SameOrigin
from archive.web.reader_language import choose_language
from archive.web.signin import COOKIE, viewer_of
from config import Settings
from config.database import utcnow
from config.errors import N_, Reason, said
from templates import environment, languages, translations


class NotFound(Exception):
    """Nothing here for this visitor (missing and not allowed look the same)."""


class Archive:
    """Everything a page handler needs, built once per process."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.languages = languages(settings.templates_path)
        self.globals = {
            "message_hash": message_hash,
            "attachment_path": attachment_path,
            "show_addresses": settings.web.show_addresses,
            "base_url": settings.site.base_url.rstrip("/"),
            "title_in": self.title_in,
            "gives_raw_mail": gives_raw_mail,
        }

    def templates(self, language: str) -> jinja2.Environment:
        """The templates speaking `language` (its catalog, its dates), with the archive's helpers."""
        env = environment(self.settings.templates_path, language)
        env.globals.update(self.globals)
        return env

    def said(self, reason: str, language: str) -> str:
        """A Reason (or any text) in the reader's language."""
        return said(reason, translations(language, self.settings.templates_path).gettext)

    def render(self, request: Request, name: str, language: str, **values: Any) -> HTMLResponse:
        text = (
            self.templates(language)
            .get_template(f"web/{name}")
            .render(
                languages=self.languages,
                request_path=request.url.path,
                now=utcnow(),
                signed_in=COOKIE in request.cookies,  # only which link to show; access is checked per page
                **values,
            )
        )
        return HTMLResponse(text, headers=SAFE_HEADERS)

    def title_in(self, space: Any, language: str) -> str:
        """A space's title in the reader's language where the configuration gives one."""
        return title_in(self.settings, space, language)

    def viewer(self, request: Request, session: Session) -> Viewer:
        """Who is looking: the signed-in address from the session cookie, or anonymous."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return ANONYMOUS
        return viewer_of(self.settings.site.secret_key, session, self.settings, cookie, utcnow())

    def language(self, request: Request, offered: tuple[str, ...] | list[str] = ()) -> str:
        return choose_language(
            request.query_params.get("lang"),
            request.headers.get("accept-language", ""),
            tuple(offered) or self.languages,
        )


def make_app(settings: Settings, engine: Engine, more: Callable | None = None) -> Starlette:
    """The archive's routes, plus `more(archive)` -> [(path, endpoint, methods)] from higher layers."""
    from archive.web import browsing, search_page, signin_pages  # all import this module's helpers

    archive = Archive(settings, engine)
    pairs = [*search_page.routes(archive), *browsing.routes(archive)]
    with_methods = [*signin_pages.routes(archive), *(more(archive) if more else [])]
    extra = [Route(path, endpoint, methods=methods) for path, endpoint, methods in with_methods]
    app = Starlette(
        routes=[*extra, *(Route(path, endpoint) for path, endpoint in pairs)],
        exception_handlers={404: _not_found(archive), NotFound: _not_found(archive)},
        middleware=[
            Middleware(PrivateWhenSignedIn),
            Middleware(SameOrigin, base_url=settings.site.base_url, refuse=_cross_site(archive)),
        ],
    )
    app.state.archive = archive
    return app


class PrivateWhenSignedIn:
    """What a signed-in reader is shown never goes into a shared cache, whatever the page.

    Anonymous visitors only ever see public spaces, so their pages may be cached; a page
    for someone signed in may list a private space's posts, feeds, attachments or results.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        signed_in = COOKIE in Request(scope).cookies

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("Vary", "Cookie")
                if signed_in:
                    headers["Cache-Control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_marked)


def _not_found(archive: Archive):
    async def handler(request: Request, exc: Exception) -> Response:
        response = archive.render(
            request,
            "error.html",
            archive.language(request),
            status=404,
            message="This page does not exist, or is not public.",
        )
        response.status_code = 404
        return response

    return handler


CROSS_SITE = Reason(
    N_(
        "This form was sent from another site, so nothing was done. If you meant to send it, "
        "go back to this site's page, reload it and send it again."
    )
)


def _cross_site(archive: Archive):
    def refuse(request: Request) -> Response:
        language = archive.language(request)
        response = archive.render(
            request, "error.html", language, status=403, message=archive.said(CROSS_SITE, language)
        )
        response.status_code = 403
        return response

    return refuse


def plain(text: str | bytes, status: int = 200, **headers: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers={**SAFE_HEADERS, **headers})
