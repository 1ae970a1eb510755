"""What operators watch: GET /healthz (200, or 503 with the reasons) and GET /metrics (Prometheus).

Both are a handful of counting queries and a look at the spool folders, outside the page
machinery (no templates, no sessions), so a scraper every few seconds costs nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record.models import OutgoingMail, Space
from config.database import session_scope, utcnow
from digest.models import DigestSent, Subscriber
from gateway.health import read_health
from gateway.hub import Hub
from gateway.models import ImapState

STUCK = dt.timedelta(minutes=10)  # a spooled message older than this: the worker is not keeping up


def routes(hub: Hub) -> list[Route]:
    def healthz(request: Request) -> Response:
        reasons = unwell(hub)
        body = json.dumps({"status": "unwell" if reasons else "ok", "reasons": reasons})
        return Response(body, 503 if reasons else 200, media_type="application/json")

    def metrics(request: Request) -> Response:
        registry = CollectorRegistry()
        registry.register(Collector(hub))
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]


def unwell(hub: Hub) -> list[str]:
    """Why hubmail is not doing its job right now; [] when it is."""
    reasons = []
    worker = read_health(hub.settings.data_path)
    if worker.get("state") == "waiting":
        reasons.append(f"worker waiting since {worker['since']}: {worker['error']}")
    oldest = hub.spool.oldest_pending_age()
    if oldest is not None and oldest > STUCK.total_seconds():
        reasons.append(f"a spooled message has waited {oldest:.0f} s")
    try:
        with session_scope(hub.engine, writes=False) as session:
            session.exec(select(func.count()).select_from(Space)).one()
    except Exception as exc:  # the page must answer whatever the database does
        reasons.append(f"database: {type(exc).__name__}")
    return reasons


class Collector:
    """Every figure read afresh at each scrape."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self):
        spool, data = self.hub.spool, self.hub.settings.data_path
        yield _gauge("hubmail_spool_pending", "Messages spooled, not yet stored", len(spool.pending()))
        yield _gauge("hubmail_spool_set_aside", "Messages set aside after max_attempts", len(spool.failed()))
        waiting = read_health(data).get("state") == "waiting"
        yield _gauge("hubmail_worker_up", "0 while the worker waits on trouble", 1 - waiting)
        with session_scope(self.hub.engine, writes=False) as session:
            yield from _outbox(session)
            yield from _last_runs(session)


def _outbox(session):
    by_status = session.exec(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status))
    yield _labelled("hubmail_outbox", "Outbox rows by status", ["status"], by_status)
    query = select(func.min(OutgoingMail.created_at)).where(OutgoingMail.status == "pending")
    oldest = session.exec(query).one()
    age = (utcnow() - _utc(oldest)).total_seconds() if oldest else 0
    yield _gauge("hubmail_outbox_oldest_pending_seconds", "Age of the oldest unsent letter", age)


def _last_runs(session):
    digests = session.exec(
        select(Space.slug, DigestSent.mode, func.max(DigestSent.sent_at))
        .join(Subscriber, DigestSent.subscriber_id == Subscriber.id)
        .join(Space, Subscriber.space_id == Space.id)
        .group_by(Space.slug, DigestSent.mode)
    )
    rows = [(slug, mode, _utc(at).timestamp()) for slug, mode, at in digests]
    yield _labelled("hubmail_digest_last_sent_timestamp_seconds", "Last digest or copy queued",
                    ["space", "mode"], rows)  # fmt: skip
    imap = session.exec(select(ImapState.account, ImapState.folder, ImapState.updated_at))
    rows = [(account, folder, _utc(at).timestamp()) for account, folder, at in imap]
    yield _labelled("hubmail_imap_last_read_timestamp_seconds", "When each IMAP folder was last read",
                    ["account", "folder"], rows)  # fmt: skip


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, labels: list[str], rows) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, number in rows:
        family.add_metric([str(v) for v in values], number)
    return family


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
