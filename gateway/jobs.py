"""Scheduled work inside `hubmail serve` (APScheduler on the same asyncio loop)."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from config.database import session_scope, utcnow
from gateway.hub import Hub
from moderation.context import Moderation
from moderation.summary import send_summaries

log = logging.getLogger("hubmail.jobs")


def summaries(hub: Hub, now: dt.datetime | None = None) -> int:
    """The daily summaries to moderators; safe to run again (one per moderator, space and day)."""
    now = now or utcnow()
    with session_scope(hub.engine) as session:
        count = send_summaries(Moderation.at(hub.settings, now), session)
    if count:
        log.info("queued %d moderation summaries", count)
    return count


def start_scheduler(hub: Hub) -> AsyncIOScheduler:
    hour, minute = (int(part) for part in hub.settings.moderation.summary_time.split(":"))
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        summaries,
        CronTrigger(hour=hour, minute=minute, timezone=dt.UTC),
        args=[hub],
        id="moderation-summaries",
        coalesce=True,
        misfire_grace_time=12 * 3600,
    )
    now = utcnow()
    if (now.hour, now.minute) >= (hour, minute):
        # The process may have been down at the hour: today's run happens now, and only once.
        scheduler.add_job(summaries, args=[hub], id="moderation-summaries-catch-up")
    scheduler.start()
    return scheduler
