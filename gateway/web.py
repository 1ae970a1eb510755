"""The web archive's uvicorn server, run in the web process (gateway.webproc) on serve's socket."""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from archive.web.app import make_app
from digest.pages import routes as subscription_pages
from gateway import observe
from gateway.hub import Hub


def web_app(hub: Hub) -> Starlette:
    """Every page the web process serves: the archive's, the subscribers', health and metrics."""

    def more(archive) -> list:
        return [*observe.routes(hub), *subscription_pages(archive)]

    return make_app(hub.settings, hub.engine, more)


def web_server(hub: Hub, grace_seconds: int) -> uvicorn.Server:
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
