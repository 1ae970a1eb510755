"""`hubmail serve`: the SMTP/LMTP server, the worker and the outbox on one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from archive.mailing import Mailing
from config.database import session_scope, utcnow
from digest.bounces import refused_by_relay
from gateway.hub import Hub
from gateway.imap_watch import start_pollers
from gateway.jobs import start_scheduler
from gateway.mailer import drain_outbox, mailers_for
from gateway.smtp import start_server
from gateway.web import web_server
from gateway.worker import Worker

log = logging.getLogger("hubmail.serve")
OUTBOX_SECONDS = 2.0
BATCH = 500  # outbox rows taken per round, shared by [outbound] connections relay sessions


async def serve(hub: Hub) -> None:
    """Run until SIGTERM/SIGINT; whatever is left in the spool is taken up at the next start."""
    settings = hub.settings
    hub.spool.clean_tmp()
    worker = Worker(settings, hub.engine, hub.spool)
    wake, mail_waiting, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await start_server(settings, hub.spool, wake.set)
    scheduler = start_scheduler(hub)
    web = web_server(hub)
    web_task = asyncio.create_task(web.serve())
    pollers = start_pollers(hub, lambda: loop.call_soon_threadsafe(wake.set))
    address = server.sockets[0].getsockname()
    log.info("%s listening on %s:%s", settings.smtp.protocol.upper(), address[0], address[1])
    log.info("web archive on http://%s", settings.web.listen)
    with ThreadPoolExecutor(1, "worker") as work, ThreadPoolExecutor(1, "outbox") as out:
        tasks = [
            asyncio.create_task(_work_loop(worker, work, wake, mail_waiting, settings.worker.poll_seconds)),
            asyncio.create_task(_outbox_loop(hub, out, mail_waiting)),
        ]
        await stop.wait()
        log.info("stopping: no new connections; finishing the message in hand")
        server.close()
        web.should_exit = True
        scheduler.shutdown(wait=False)
        worker.stopping = True
        pollers.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, web_task, return_exceptions=True)
    await server.wait_closed()
    pollers.join()
    log.info("stopped")


async def _work_loop(
    worker: Worker,
    executor: ThreadPoolExecutor,
    wake: asyncio.Event,
    mail_waiting: asyncio.Event,
    poll_seconds: float,
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        wake.clear()
        if await loop.run_in_executor(executor, worker.process_pending):
            mail_waiting.set()  # notices and receipts were queued: no need to wait for the next round
        # Woken at once by SMTP ingress; the timeout finds what `hubmail deliver` spooled.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll_seconds)


def _refused(hub: Hub, envelope_from: str, recipient: str) -> None:
    with session_scope(hub.engine) as session:
        outcome = refused_by_relay(Mailing.at(hub.settings, utcnow()), session, envelope_from, recipient)
    log.info("relay refused mail to %s (%s): %s", recipient, envelope_from, outcome)


async def _outbox_loop(hub: Hub, executor: ThreadPoolExecutor, mail_waiting: asyncio.Event) -> None:
    outbound = hub.settings.outbound
    mailers = mailers_for(hub.settings)
    drain = functools.partial(
        drain_outbox,
        batch=BATCH,
        retry_seconds=outbound.retry_seconds,
        on_refused=functools.partial(_refused, hub),
    )
    loop = asyncio.get_running_loop()
    while True:
        mail_waiting.clear()
        try:
            if await loop.run_in_executor(executor, drain, hub.engine, mailers) == BATCH:
                continue  # more is waiting (a digest run): no pause
        except Exception:  # a database hiccup must not end outbound mail
            log.exception("outbox round failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(mail_waiting.wait(), OUTBOX_SECONDS)
