"""The archive's web app (Starlette): its pages in the order they are matched, error pages, middleware."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.datastructures import URL, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.web import browsing, downloads, feeds, search_page, signin_pages, stats_page
from archive.web.context import Archive, NotFound
from archive.web.headers import SAFE_HEADERS
from archive.web.origin import SameOrigin
from archive.web.signin import COOKIE
from config import Settings
from config.errors import N_, Reason

# The site's own paths first, then a space's (/{slug}/...). No two of these match one URL: the site's
# paths are literal, a space's end in a literal name or a trailing slash, so the order shows how
# the site is laid out rather than deciding anything. A space slugged "signin" would lose
# /signin/feed.atom to the sign-in link's page: slugs are best kept off the site's own names.
ARCHIVE_ROUTES: list[BaseRoute] = [
    *signin_pages.ROUTES,  # /signin, /signin/{token}, /signout
    *search_page.ROUTES,  # /search
    *browsing.ROUTES,  # /, /static/style.css, then a space, its questions, threads and messages
    *feeds.ROUTES,  # /{slug}/feed.atom, /{slug}/q/{number}/feed.atom
    *downloads.ROUTES,  # /{slug}/message/{digest}/raw, attachments, the three mbox files
    *stats_page.ROUTES,  # /{slug}/stats/ and /{slug}/stats/{chart}.svg
]


def make_app(archive: Archive, routes: list[BaseRoute]) -> Starlette:
    """An app answering `routes`, tried in the order given, with the archive's error pages; every
    POST is checked for the page it came from, and a signed-in reader's pages stay out of caches."""
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found(archive), NotFound: _not_found(archive)},
        middleware=[
            Middleware(PrivateWhenSignedIn),
            Middleware(SameOrigin, base_url=archive.settings.site.base_url, refuse=_cross_site(archive)),
        ],
    )
    # A URL that no route answers, but one would with its trailing slash added (or taken off),
    # is sent there with a permanent redirect instead of Starlette's temporary one.
    app.router.redirect_slashes = False
    app.router.default = TrailingSlash(app.router)
    app.state.archive = archive  # what each page handler reads (archive.web.context.archive_of)
    return app


def archive_app(settings: Settings, engine: Engine) -> Starlette:
    """The archive's pages alone: what the static export renders. `hubmail serve` answers these
    and more (the subscribers' pages, health and metrics), composed in gateway/web.py."""
    archive = Archive(settings, engine)
    return make_app(archive, ARCHIVE_ROUTES)


class TrailingSlash:
    """The router's answer when no route matches: 308 to the same URL with its trailing slash added
    or taken off where a route answers that one (/{slug}/q/1 is /{slug}/q/1/), else not found. The
    path alone decides, so a space the visitor may not read answers as one that does not exist."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] == "http" and path != "/":
            other = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
            if any(route.matches(other)[0] is not Match.NONE for route in self.router.routes):
                response = RedirectResponse(str(URL(scope=other)), status_code=308, headers=SAFE_HEADERS)
                return await response(scope, receive, send)
        await self.router.not_found(scope, receive, send)


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
                headers.append("Vary", "Accept-Language, Cookie")  # pages speak the reader's language
                if signed_in:
                    headers["Cache-Control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_marked)


def _not_found(archive: Archive):
    async def handler(request: Request, exc: Exception) -> Response:
        return archive.error(request, 404, NOT_FOUND)

    return handler


NOT_FOUND = N_("This page does not exist, or is not public.")
CROSS_SITE = Reason(
    N_(
        "This form was sent from another site, so nothing was done. If you meant to send it, "
        "go back to this site's page, reload it and send it again."
    )
)


def _cross_site(archive: Archive):
    def refuse(request: Request) -> Response:
        return archive.error(request, 403, CROSS_SITE)

    return refuse
