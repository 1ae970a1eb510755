"""The whole web app, composed here where every layer is in reach, and the uvicorn server that runs it."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from archive.web.app import ARCHIVE_ROUTES, make_app
from archive.web.context import Archive
from digest import pages as subscription_pages
from gateway import observe
from gateway.hub import Hub
from gateway.webpost_pages import Writing
from gateway.webproc import QUEUED, SPOOLED
from moderation import pages as moderation_pages


def web_app(hub: Hub, tell: Callable[[bytes], None] = lambda what: None) -> Starlette:
    """Every page the web process serves, its routes tried in this order. Each route's path is
    specific (literal paths, or a space's ending in a literal name or a slash), so the order shows
    the site's layout rather than deciding which page answers; a URL that differs from a page's
    only by its trailing slash is redirected to it (archive.web.app.TrailingSlash).

    `tell` says to serve that the web spooled a post (SPOOLED: the worker takes it at once) or
    queued mail (QUEUED: the outbox sends it at once)."""
    routes = [
        # What operators watch: /healthz, /metrics (literal paths; no templates, no session).
        *observe.routes(hub),
        # The archive's pages: the site's paths, then a space's (archive/web/app.py lists them).
        *ARCHIVE_ROUTES,
        # The subscribers': /{slug}/subscribe, /{slug}/confirm/{token}, /{slug}/unsubscribe/{token}.
        *subscription_pages.ROUTES,
        # Writing on the web: /{slug}/q/{number}/write/, /{slug}/message/{digest}/reply/, /{slug}/received/.
        *Writing(hub.spool, lambda: tell(SPOOLED)).routes(),
        # The moderators': /{slug}/moderation/.
        *moderation_pages.routes(lambda: tell(QUEUED)),
    ]
    return make_app(Archive(hub.settings, hub.engine), routes)


def web_server(
    hub: Hub, grace_seconds: int, tell: Callable[[bytes], None] = lambda what: None
) -> uvicorn.Server:
    """The web process's server (gateway.webproc runs it on the socket serve bound)."""
    config = uvicorn.Config(
        web_app(hub, tell),
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # A reader slowly downloading an mbox must not hold the web process up at SIGTERM for ever.
        timeout_graceful_shutdown=grace_seconds,
    )
    return uvicorn.Server(config)
