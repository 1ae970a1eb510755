"""The whole web app, composed here where every layer is in reach, and the uvicorn server that runs it."""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from archive.web.app import ARCHIVE_ROUTES, make_app
from archive.web.context import Archive
from digest import pages as subscription_pages
from gateway import observe
from gateway.hub import Hub


def web_app(hub: Hub) -> Starlette:
    """Every page the web process serves, its routes tried in this order. Each route's path is
    specific (literal paths, or a space's ending in a literal name or a slash), so the order shows
    the site's layout rather than deciding which page answers; a URL that differs from a page's
    only by its trailing slash is redirected to it (archive.web.app.TrailingSlash)."""
    routes = [
        # What operators watch: /healthz, /metrics (literal paths; no templates, no session).
        *observe.routes(hub),
        # The archive's pages: the site's paths, then a space's (archive/web/app.py lists them).
        *ARCHIVE_ROUTES,
        # The subscribers': /{slug}/subscribe, /{slug}/confirm/{token}, /{slug}/unsubscribe/{token}.
        *subscription_pages.ROUTES,
    ]
    return make_app(Archive(hub.settings, hub.engine), routes)


def web_server(hub: Hub, grace_seconds: int) -> uvicorn.Server:
    """The web process's server (gateway.webproc runs it on the socket serve bound)."""
    config = uvicorn.Config(
        web_app(hub),
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # A reader slowly downloading an mbox must not hold the web process up at SIGTERM for ever.
        timeout_graceful_shutdown=grace_seconds,
    )
    return uvicorn.Server(config)
