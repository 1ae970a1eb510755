"""The web archive in a process of its own: a reader never delays an SMTP answer, nor a SIGTERM.

With pages on serve's loop, one `space.mbox.gz` download froze SMTP for seconds and kept a
SIGTERM waiting; in threads they would still share one interpreter lock with it. serve binds
the listening socket itself (so a taken port is an error at start, and a restarted web process
loses no connection: they wait in the socket's backlog) and hands it to the child, which runs
uvicorn on it with uvicorn's own graceful shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger("hubmail.web")
GRACE_SECONDS = 10
PAGE_THREADS = 8  # a slow download may finish this long after SIGTERM; then it is cut
# What the web process tells serve on its pipe: a post was spooled (wake the worker), mail was
# queued (send it now). Without them the worker would look at [worker] poll_seconds, the outbox
# within a few seconds.
SPOOLED, QUEUED = b"s", b"m"


class WebProcess:
    """serve's handle on the web process: start it on the bound socket, stop it, start it again."""

    def __init__(self, config: Path, verbose: bool, listening: socket.socket) -> None:
        self.config, self.verbose, self.listening = config, verbose, listening
        self.process: multiprocessing.process.BaseProcess | None = None
        # serve keeps both ends, so a web process started again writes to the same pipe.
        self.heard_end, self.told_end = multiprocessing.get_context("spawn").Pipe(duplex=False)
        os.set_blocking(self.heard_end.fileno(), False)

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        args = (str(self.config), self.verbose, self.listening, os.getpid(), self.told_end)
        self.process = context.Process(target=run, args=args, name="hubmail-web")
        self.process.start()

    def heard(self) -> bytes:
        """What the web process said since last asked (SPOOLED, QUEUED), never blocking."""
        try:
            return os.read(self.heard_end.fileno(), 4096)
        except (BlockingIOError, OSError):
            return b""

    @property
    def sentinel(self) -> int:
        """Readable once the process has ended (for the event loop's reader)."""
        return self.process.sentinel

    def stop(self, timeout: float = GRACE_SECONDS + 5) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def bind(settings, patience: float = 15) -> socket.socket:
    """The web listening socket, bound in serve: a clear error at start when the port is taken.
    A killed serve's web process may hold it a moment longer (until its PDEATHSIG lands)."""
    from config.errors import ConfigError
    from config.settings import split_listen

    host, port = split_listen(str(settings.path), "web.listen", settings.web.listen)
    deadline = time.monotonic() + patience
    while True:
        try:
            return socket.create_server((host, port), backlog=1024)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                problem = f"{settings.web.listen}: {exc.strerror}"
                raise ConfigError(str(settings.path), "web.listen", problem) from exc
            time.sleep(0.2)


def run(config: str, verbose: bool, listening: socket.socket, parent: int, told: Connection) -> None:
    """The child: uvicorn on serve's socket until SIGTERM, or until serve dies (PDEATHSIG)."""
    from gateway.workproc import end_with_parent

    end_with_parent(signal.SIGKILL)  # at once: a new serve must be able to bind the port again
    if os.getppid() != parent:
        os._exit(0)  # serve died before the line above: nobody would end us
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches serve, which ends us in order
    from config import load_settings
    from gateway.cli_options import setup_logging
    from gateway.hub import attach_hub
    from gateway.web import web_server

    setup_logging(verbose)
    settings = load_settings(Path(config))
    hub = attach_hub(settings, writes_first=False)
    os.set_blocking(told.fileno(), False)

    def tell(what: bytes) -> None:
        with contextlib.suppress(OSError):  # a full pipe: serve has a word waiting already
            os.write(told.fileno(), what)

    asyncio.run(_serve(web_server(hub, GRACE_SECONDS, tell), listening))


async def _serve(server, listening: socket.socket) -> None:
    import anyio.to_thread

    # Pages run in threads (Starlette's pool): a slow one delays no other reader, and a few at once
    # is all two cores can render; more would only queue inside the interpreter lock.
    anyio.to_thread.current_default_thread_limiter().total_tokens = PAGE_THREADS
    await server.serve(sockets=[listening])
