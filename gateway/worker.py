"""The worker: spooled message -> parse -> route -> policy -> store, once, in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from archive.record.parsing import ParsedMessage, ParseLimits, message_id_of, parse_message
from config import Settings
from config.database import session_scope, utcnow
from digest.bounces import handle_bounce
from digest.requests import handle_request
from gateway.health import Infrastructure, is_disk_full, is_infrastructure, is_lock
from gateway.routing import Kind, Route, Unroutable, route
from gateway.spool import Envelope, Spool
from moderation.chain import automatic_reason
from moderation.context import Moderation
from moderation.intake import already_stored, take_post
from moderation.owner import forward_to_moderators, report_set_aside
from moderation.replies import handle_reply
from moderation.rules import Check

log = logging.getLogger("hubmail.worker")
MAX_BATCH = 200  # spool entries stored in one transaction at most
BATCH_SECONDS = 0.5  # and for no longer than this: a burst is committed in steps, never held back


@dataclass
class Outcome:
    """What became of one spooled message, per space: stored status, or duplicate."""

    name: str
    results: list[tuple[str, str]]
    message_id: str = ""


class Worker:
    def __init__(
        self, settings: Settings, engine: Engine, spool: Spool, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.settings, self.engine, self.spool, self.clock = settings, engine, spool, clock
        spool.recover_interrupted()  # a worker that died mid-batch: those entries had a try
        self.limits = ParseLimits(**vars(settings.limits))
        self.stopping = False

    def process_pending(self, after_batch: Callable[[], None] = lambda: None) -> list[Outcome]:
        """Everything spooled, in batches of one transaction each (group commit); `after_batch` is
        called once each batch that stored something is committed (serve's worker process sends
        what it queued then, not after a burst of thousands)."""
        outcomes: list[Outcome] = []
        names = self.spool.pending()
        while names and not self.stopping:
            taken, found = self.process_batch(names[:MAX_BATCH])
            if found:
                after_batch()
            outcomes += found
            names = names[taken:]
        return outcomes

    def process(self, name: str) -> Outcome | None:
        """Process one entry alone (`hubmail summary publish` takes only its own)."""
        found = self.process_batch([name])[1]
        return found[0] if found else None

    def process_batch(self, names: list[str]) -> tuple[int, list[Outcome]]:
        """Store up to len(names) entries in one transaction, for at most BATCH_SECONDS; each in a
        savepoint, so one that fails is rolled back alone. Only after the commit are their spool
        files removed, with one folder fsync: stored before the spool file goes, as for one.
        Returns (entries taken, outcomes)."""
        try:
            taken, stored, failures = self._store_batch(names)
        except Exception as exc:
            if not is_infrastructure(exc):
                raise
            self.spool.batch_ended()  # a full disk or a lost database is not these messages' fault
            raise Infrastructure(str(exc)) from exc
        self.spool.done_many([outcome.name for outcome in stored])
        self.spool.batch_ended()
        for name, attempt, exc in failures:
            self._failed(name, attempt, exc)
        for outcome in stored:
            for space, result in outcome.results:
                log.info("<%s> %s: %s", outcome.message_id, space, result)
        return taken, stored

    def _store_batch(self, names: list[str]):
        started, taken = time.monotonic(), 0
        stored: list[Outcome] = []
        failures: list[tuple[str, int, BaseException]] = []
        with session_scope(self.engine) as session:
            self.context = Moderation(self.settings, self.clock())  # one for the batch: its memo too
            for name in names:
                if taken and (self.stopping or time.monotonic() - started > BATCH_SECONDS):
                    break
                taken += 1
                attempt = self.spool.attempt(name)
                try:
                    envelope, raw = self.spool.read(name)
                except FileNotFoundError:
                    continue  # stored and removed by another worker meanwhile
                try:
                    with session.begin_nested():
                        stored.append(self._store_all(session, name, envelope, raw))
                except Exception as exc:  # a poison message must not cost the others
                    if is_disk_full(exc) or (is_infrastructure(exc) and not self._database_answers(exc)):
                        raise  # nor the whole batch the messages' tries: it is retried as a whole
                    failures.append((name, attempt, exc))
        return taken, stored, failures

    def _database_answers(self, exc: BaseException) -> bool:
        """For a database error: does a fresh connection answer? Then the message caused it (and
        it counts against the message), else waiting is right. A disk error is never the message's."""
        if isinstance(exc, OSError) or is_lock(exc):
            return False
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def _failed(self, name: str, attempt: int, exc: BaseException) -> None:
        if isinstance(exc, IntegrityError):
            # Another instance stored the same Message-ID at the same moment: the next pass finds
            # the post and does nothing twice.
            log.warning("%s: database conflict, will retry: %s", name, exc.__class__.__name__)
        else:
            log.error("%s: processing failed (attempt %d)", name, attempt, exc_info=exc)
        self.spool.failed_try(name, attempt)
        if attempt >= self.settings.worker.max_attempts:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._tell_moderators(name, detail)
            self.spool.set_aside(name, f"{attempt} attempts; last error: {detail}")
            log.error("%s: set aside after %d attempts; `hubmail retry` re-queues it", name, attempt)

    def _tell_moderators(self, name: str, detail: str) -> None:
        """Before the entry leaves new/: its moderators hear of it once, the original attached.
        Failing to tell them must not keep the message from being set aside."""
        try:
            envelope, raw = self.spool.read(name)
            slugs = sorted({where.space for where in self._routes(envelope) if where.space})
            with session_scope(self.engine) as session:
                report_set_aside(Moderation(self.settings, self.clock()), session, slugs, name,
                                 envelope.mail_from, detail, raw)  # fmt: skip
        except Exception:
            log.exception("%s: could not tell the moderators it is set aside", name)

    def _store_all(self, session: Session, name: str, envelope: Envelope, raw: bytes) -> Outcome:
        routes = self._routes(envelope)
        if not routes:
            raise Unroutable(f"no recipient of {envelope.recipients} is served any more")
        if all(where.kind in (Kind.POST, Kind.SUMMARY) for where in routes):
            message_id = message_id_of(raw)  # a redelivery is known before its body is parsed
            if all(already_stored(self.context, session, where.space, message_id) for where in routes):
                return Outcome(name, [(where.space, "duplicate") for where in routes], message_id)
        message = parse_message(raw, self.limits)
        results = [
            (where.space or "", self._store_one(session, where, envelope, message, raw)) for where in routes
        ]
        return Outcome(name, results, message.message_id)

    def _routes(self, envelope: Envelope) -> list[Route]:
        found: dict[tuple, Route] = {}
        for recipient in envelope.recipients:
            try:
                where = route(recipient, self.settings)
            except Unroutable as exc:
                log.warning("recipient %s no longer routes: %s", recipient, exc)
                continue
            found.setdefault((where.kind, where.space or where.detail), where)  # one post per space
        return list(found.values())

    def _store_one(
        self, session: Session, where: Route, envelope: Envelope, message: ParsedMessage, raw: bytes
    ) -> str:
        mod = self.context
        if where.kind == Kind.MODERATE:
            return handle_reply(mod, session, where.detail, envelope.mail_from, message, raw, envelope.source)
        if where.kind == Kind.BOUNCE:
            return handle_bounce(mod, session, where.detail, raw)
        if where.kind in (Kind.REQUEST, Kind.OWNER):
            check = Check(message, raw, envelope.mail_from, None, self.settings.site.domain, mod.now)
            if automatic := automatic_reason(check):
                return f"ignored: automatic mail ({automatic})"  # never answered: no mail loops
            if where.kind == Kind.OWNER:
                return forward_to_moderators(mod, session, where.space, message, raw)
            return handle_request(mod, session, where.space, where.detail, message, raw)
        return take_post(
            mod,
            session,
            summary=where.kind == Kind.SUMMARY,
            slug=where.space,
            question=where.question,
            envelope_from=envelope.mail_from,
            source=envelope.source,
            received_at=dt.datetime.fromisoformat(envelope.received_at),
            message=message,
            raw=raw,
            attachment_root=self.settings.data_path / "attachments",
        )
