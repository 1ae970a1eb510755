"""The web archive served by uvicorn inside `hubmail serve`, on the same asyncio loop as SMTP."""

from __future__ import annotations

import contextlib
import logging

import uvicorn

from archive.pages import make_app
from config.settings import split_listen
from digest.pages import routes as subscription_pages
from gateway.hub import Hub

log = logging.getLogger("hubmail.web")


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: `hubmail serve` stops everything together."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def web_server(hub: Hub) -> EmbeddedServer:
    host, port = split_listen(str(hub.settings.path), "web.listen", hub.settings.web.listen)
    config = uvicorn.Config(
        make_app(hub.settings, hub.engine, subscription_pages),
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # A reader slowly downloading an mbox must not hold `hubmail serve` up at SIGTERM for ever.
        timeout_graceful_shutdown=10,
    )
    return EmbeddedServer(config)
