"""`hubmail serve`: SMTP/LMTP and the outbox on one asyncio loop, the worker and the web archive in
processes of their own (gateway.workproc, gateway.webproc), started again should they die."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor

from archive.record.mailing import Mailing
from config.database import Lease, session_scope, utcnow
from digest.bounces import refused_by_relay
from gateway.health import Health
from gateway.hub import Hub
from gateway.imap_watch import start_pollers
from gateway.jobs import start_scheduler
from gateway.mailer import close_all, mailers_for
from gateway.outbox import OUTBOX_WORK, drain_outbox
from gateway.smtp import start_server
from gateway.webproc import QUEUED, SPOOLED, WebProcess, bind
from gateway.workproc import WorkerProcess

log = logging.getLogger("hubmail.serve")
WORKER_READY_SECONDS = 20  # mail is taken after this even if the worker is still starting
SESSIONS_SECONDS = 5  # SMTP sessions still open this long after the end are cut (mail not yet answered 250)
OUTBOX_SECONDS = 2.0  # how often the outbox looks for due retries when nobody says mail is waiting


async def serve(hub: Hub, verbose: bool = False) -> None:
    """Run until SIGTERM/SIGINT; whatever is left in the spool is taken up at the next start."""
    mail_waiting, stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before any child starts: none is left behind
        loop.add_signal_handler(signum, stop.set)
    settings = hub.settings
    hub.spool.clean_tmp()
    listening = bind(settings)  # first: a taken port stops serve before anything has started
    Health(settings.data_path)  # its page is taken now: a disk that fills later cannot silence it
    worker = WorkerProcess(settings.path, verbose)
    worker.start()
    web = WebProcess(settings.path, verbose, listening)
    loop.add_reader(web.heard_end.fileno(), _hear_web, web, worker, mail_waiting)
    web.start()
    await _worker_ready(worker, stop)
    server = await start_server(settings, hub.spool, worker.wake)
    scheduler = start_scheduler(hub)
    pollers = start_pollers(hub, worker.wake)
    address = server.sockets[0].getsockname()
    log.info("%s listening on %s:%s", settings.smtp.protocol.upper(), address[0], address[1])
    log.info("web archive on http://%s", settings.web.listen)
    with ThreadPoolExecutor(1, "outbox") as out:
        tasks = [
            asyncio.create_task(_supervise(worker, mail_waiting)),
            asyncio.create_task(_outbox_loop(hub, out, mail_waiting)),
            asyncio.create_task(_keep_web_running(web)),
        ]
        await stop.wait()
        log.info("stopping: no new connections; the worker finishes the batch in hand")
        server.close()
        scheduler.shutdown(wait=False)
        pollers.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        loop.remove_reader(web.heard_end.fileno())
        await asyncio.gather(loop.run_in_executor(None, worker.stop), loop.run_in_executor(None, web.stop))
        listening.close()
    # Python 3.12 waits here for every session to end, and a client may keep one open; those left
    # are cut when asyncio.run cancels their tasks.
    await _at_most(SESSIONS_SECONDS, server.wait_closed())
    pollers.join()
    log.info("stopped")


async def _worker_ready(worker: WorkerProcess, stop: asyncio.Event) -> None:
    """Wait until the worker has started (imports, database, language model) and said so, so that
    the first mail is stored at once; at most WORKER_READY_SECONDS, and never past a SIGTERM."""
    loop = asyncio.get_running_loop()
    said = asyncio.Event()
    loop.add_reader(worker.queued_fd, said.set)  # not read: _supervise hears that first word
    waits = [asyncio.create_task(said.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=WORKER_READY_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loop.remove_reader(worker.queued_fd)
        for wait in waits:
            wait.cancel()
    if not said.is_set() and not stop.is_set():
        log.warning("the worker is not ready after %d s; taking mail anyway (it waits in the spool)",
                    WORKER_READY_SECONDS)  # fmt: skip


async def _supervise(worker: WorkerProcess, mail_waiting: asyncio.Event) -> None:
    """Hear the worker (mail queued: the outbox goes at once), and start it again should it die."""
    loop = asyncio.get_running_loop()
    delay = 1.0
    while True:
        gone = asyncio.Event()

        def hear(gone: asyncio.Event = gone) -> None:
            said = worker.heard()
            if said:
                mail_waiting.set()
            elif said is None:
                loop.remove_reader(worker.queued_fd)
                gone.set()

        loop.add_reader(worker.queued_fd, hear)
        await gone.wait()
        log.error("the worker process ended (exit code %s); starting it again in %.0f s",
                  worker.process.exitcode, delay)  # fmt: skip
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60)
        await loop.run_in_executor(None, worker.stop, 5)
        worker.start()


def _hear_web(web: WebProcess, worker: WorkerProcess, mail_waiting: asyncio.Event) -> None:
    """A post written on the web is in the spool: the worker takes it now; mail a moderator's
    decision on the web queued (receipts, updates) goes now."""
    said = web.heard()
    if SPOOLED in said:
        worker.wake()
    if QUEUED in said:
        mail_waiting.set()


async def _keep_web_running(web: WebProcess) -> None:
    """Start the web process again should it end (with a growing pause, reset after a good run)."""
    loop = asyncio.get_running_loop()
    delay = 1.0
    while True:
        started, ended = time.monotonic(), asyncio.Event()
        loop.add_reader(web.sentinel, ended.set)
        try:
            await ended.wait()
        finally:
            loop.remove_reader(web.sentinel)
        delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 60)
        log.error("the web process ended (exit code %s); starting it again in %.0f s",
                  web.process.exitcode, delay)  # fmt: skip
        await asyncio.sleep(delay)
        web.start()


def _refused(hub: Hub, envelope_from: str, recipient: str) -> None:
    with session_scope(hub.engine) as session:
        outcome = refused_by_relay(Mailing.at(hub.settings, utcnow()), session, envelope_from, recipient)
    log.info("relay refused mail to %s (%s): %s", recipient, envelope_from, outcome)


async def _outbox_loop(hub: Hub, executor: ThreadPoolExecutor, mail_waiting: asyncio.Event) -> None:
    """Drain the outbox whenever mail is queued (or every few seconds, for retries that fall due):
    each drain streams until nothing is due, and is told to finish what it holds when serve stops."""
    outbound = hub.settings.outbound
    mailers = mailers_for(hub.settings)
    lease = Lease(hub.engine, OUTBOX_WORK)  # used by the outbox thread alone
    stopping = threading.Event()
    drain = functools.partial(
        drain_outbox,
        batch=None,
        retry_seconds=outbound.retry_seconds,
        on_refused=functools.partial(_refused, hub),
        lease=lease,
        keep_open=True,  # closed below when the outbox is idle
        stop=stopping,
    )
    loop = asyncio.get_running_loop()
    try:
        while True:
            mail_waiting.clear()
            try:
                await asyncio.shield(loop.run_in_executor(executor, drain, hub.engine, mailers))
            except asyncio.CancelledError:
                stopping.set()  # the drain records what it sent and returns; the executor waits for it
                raise
            except Exception:  # a database hiccup must not end outbound mail
                log.exception("outbox drain failed; trying again")
            if mail_waiting.is_set():
                continue  # queued while the drain was finishing: no pause
            await loop.run_in_executor(executor, close_all, mailers)  # no idle relay session is kept
            await _at_most(OUTBOX_SECONDS, mail_waiting.wait())
    finally:
        stopping.set()
        executor.submit(lease.release)


async def _at_most(seconds: float, awaitable: Awaitable) -> None:
    """Await `awaitable`, giving up after `seconds`. Not asyncio.wait_for: on Python 3.11 it swallows
    a cancel that comes just as what it waits for ends, and the outbox then outlived a SIGTERM."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await awaitable
