"""The worker in a process of its own, beside `hubmail serve`: storing runs on one core while ingress,
the outbox and the web share the other, and a slow store never delays an SMTP answer.

The spool is all the two share: serve writes a byte on `wake` when it spooled something; the
worker writes one on `queued` when it queued mail, so the outbox goes at once. The worker ends on
SIGTERM after the batch in hand, or when serve is gone (its end of `wake` closes), so a kill -9
of serve leaves no orphan: the next serve takes up what the spool still holds.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger("hubmail.worker")


class WorkerProcess:
    """serve's handle on the worker process: wake it, hear from it, stop it, start it again."""

    def __init__(self, config: Path, verbose: bool) -> None:
        self.config, self.verbose = config, verbose
        self.process: multiprocessing.process.BaseProcess | None = None
        self.wake_fd = self.queued_fd = -1

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads inherited
        wake_read, wake_write = context.Pipe(duplex=False)
        queued_read, queued_write = context.Pipe(duplex=False)
        self.process = context.Process(
            target=run, args=(str(self.config), self.verbose, wake_read, queued_write), name="hubmail-worker"
        )
        self.process.start()
        wake_read.close()
        queued_write.close()
        self._keep = (wake_write, queued_read)  # their fds live as long as these objects
        self.wake_fd, self.queued_fd = wake_write.fileno(), queued_read.fileno()
        os.set_blocking(self.wake_fd, False)
        os.set_blocking(self.queued_fd, False)

    def wake(self) -> None:
        """Never blocks: a full pipe means the worker has a wake-up waiting already."""
        with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
            os.write(self.wake_fd, b"w")

    def heard(self) -> bool | None:
        """Read what the worker said: True if it queued mail, None if it is gone (end of file)."""
        try:
            return True if os.read(self.queued_fd, 4096) else None
        except BlockingIOError:
            return False
        except OSError:
            return None

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def stop(self, timeout: float = 30) -> None:
        if self.process is None:
            return
        self.process.terminate()  # SIGTERM: the batch in hand is finished, then it ends
        self.wake()  # a wait in poll() is resumed after the signal (PEP 475): this byte ends it
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        for end in self._keep:
            end.close()


def run(config: str, verbose: bool, wake: Connection, queued: Connection) -> None:
    """The worker's loop: process what is spooled, then wait for a wake-up or the poll interval."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches serve, which ends us in order
    end_with_parent()
    from archive.record.language import load_model
    from config import load_settings
    from gateway.cli_options import setup_logging
    from gateway.health import Health, is_infrastructure
    from gateway.hub import attach_hub
    from gateway.jobs import deliver_each
    from gateway.worker import Worker

    setup_logging(verbose)
    settings = load_settings(Path(config))
    health = Health(settings.data_path)
    hub = attach_hub(settings)
    worker = Worker(hub.settings, hub.engine, hub.spool)
    if not hub.spool.pending():
        load_model()  # while nothing waits; with mail waiting, the first post loads it anyway
    signal.signal(signal.SIGTERM, lambda *_: setattr(worker, "stopping", True))
    os.set_blocking(queued.fileno(), False)

    def say_queued() -> None:
        with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
            os.write(queued.fileno(), b"m")  # serve's outbox goes at once

    def send_what_was_stored() -> None:
        say_queued()  # notices and receipts
        deliver_each(hub, on_queued=say_queued)  # what was just published goes out now

    say_queued()  # the first word also says the worker is ready (serve's _worker_ready)
    while not worker.stopping:
        pause, woken_early = hub.settings.worker.poll_seconds, True
        try:
            worker.process_pending(after_batch=send_what_was_stored)
            health.ok()
        except Exception as exc:  # the loop never ends on an error: it waits and tries again
            if not is_infrastructure(exc):
                log.exception("unexpected error in the worker loop")
            pause, woken_early = health.trouble(exc), False  # new mail does not cut a back-off short
        if not _wait(wake, pause, woken_early, lambda: worker.stopping):
            log.info("serve is gone: the worker stops")  # its end of the pipe closed
            break
    hub.engine.dispose()


def _wait(wake: Connection, seconds: float, woken_early: bool, stopping=lambda: False) -> bool:
    """Wait `seconds`, or until serve spools something when woken_early, or stops us (its wake-up
    after SIGTERM); False when serve is gone."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and not stopping() and wake.poll(left):
        if not os.read(wake.fileno(), 65536):
            return False
        if woken_early:
            break
    return True


def end_with_parent(signum: int = signal.SIGTERM) -> None:
    """Linux: `signum` when serve dies, even by kill -9. The worker gets SIGTERM, so it stops after
    the message in hand rather than racing a new serve's worker for the spool (which would be
    safe, only wasteful)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
