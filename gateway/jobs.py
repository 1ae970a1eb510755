"""Scheduled work inside `hubmail serve` (APScheduler on the same asyncio loop)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from archive.record.mailing import Mailing
from archive.record.spaces import space_row
from config.database import one_at_a_time, session_scope, utcnow
from config.planner import refresh_statistics
from digest.announcing import send_announcements
from digest.delivery import last_sent, send_digests, send_each
from gateway.hub import Hub
from moderation.context import Moderation
from moderation.summary import send_summaries

log = logging.getLogger("hubmail.jobs")
EACH_SECONDS = 5  # how soon an "each" subscriber gets a post published outside the worker (the CLI)
EACH_ROWS = 1000  # messages queued per transaction by deliver_each
ANNOUNCE_MINUTES = 10  # how soon after a phase opens (or a reminder is due) its announcement goes
DIGEST_LOCK = "hubmail digests"  # digests and announcements: a digest may carry an announcement


def summaries(hub: Hub, now: dt.datetime | None = None) -> int:
    """The daily summaries to moderators; safe to run again (one per moderator, space and day)."""
    now = now or utcnow()
    with session_scope(hub.engine) as session:
        one_at_a_time(session, "hubmail summaries")
        count = send_summaries(Moderation.at(hub.settings, now), session)
    if count:
        log.info("queued %d moderation summaries", count)
    return count


def start_scheduler(hub: Hub) -> AsyncIOScheduler:
    hour, minute = (int(part) for part in hub.settings.moderation.summary_time.split(":"))
    # Jobs in threads of their own: at shutdown the asyncio executor cancels a running job's future,
    # which apscheduler logs as an error with a traceback; a job in a thread finishes its transaction.
    scheduler = AsyncIOScheduler(timezone=dt.UTC, executors={"default": ThreadPoolExecutor(2)})
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
    add_digest_jobs(scheduler, hub)
    # At start (what came due while the process was down) and every few minutes; once each anyway.
    scheduler.add_job(announce, args=[hub], id="announcements-at-start")
    scheduler.add_job(
        announce, "interval", minutes=ANNOUNCE_MINUTES, args=[hub], id="announcements", coalesce=True,
        max_instances=1,
    )  # fmt: skip
    scheduler.add_job(
        deliver_each, "interval", seconds=EACH_SECONDS, args=[hub], id="each", coalesce=True, max_instances=1
    )
    # Now (the archive may have grown while the process was down) and every hour as it grows.
    scheduler.add_job(refresh_statistics, args=[hub.engine], id="statistics-at-start")
    scheduler.add_job(
        refresh_statistics, "interval", hours=1, args=[hub.engine], id="statistics", coalesce=True
    )
    scheduler.start()
    return scheduler


def deliver_each(
    hub: Hub,
    now: dt.datetime | None = None,
    on_queued: Callable[[], None] = lambda: None,
    rows: int = EACH_ROWS,
) -> int:
    """Newly published posts to 'each' subscribers (cheap when nothing was published), committed
    about `rows` messages at a time, `on_queued` told after each, so the outbox sends the first
    posts' copies while the next are queued."""
    total = 0
    while True:
        with session_scope(hub.engine) as session:
            one_at_a_time(session, "hubmail each")
            queued = send_each(Mailing.at(hub.settings, now or utcnow()), session, rows)
        if queued:
            on_queued()
        total += queued
        if queued < rows:
            return total


def digests(
    hub: Hub, mode: str, slug: str | None = None, now: dt.datetime | None = None, dry_run: bool = False
) -> int:
    """The scheduler, `hubmail digest send` and the catch-up at start all come through here."""
    with session_scope(hub.engine) as session:
        one_at_a_time(session, DIGEST_LOCK)
        space_id = space_row(session, slug).id if slug else None
        count = send_digests(Mailing.at(hub.settings, now or utcnow()), session, mode, space_id, dry_run)
    if count:
        log.info(
            "%s %d %s digest(s)%s",
            "would send" if dry_run else "queued",
            count,
            mode,
            f" for {slug}" if slug else "",
        )
    return count


def announce(hub: Hub, slug: str | None = None, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Due announcements (phase openings, reminders, summaries): the scheduler and `hubmail
    announcements send` come through here. The digests' lock: a digest run may give the same ones."""
    with session_scope(hub.engine) as session:
        one_at_a_time(session, DIGEST_LOCK)
        count = send_announcements(Mailing.at(hub.settings, now or utcnow()), session, slug, dry_run)
    if count:
        log.info("%s %d announcement(s)%s", "would send" if dry_run else "queued", count,
                 f" for {slug}" if slug else "")  # fmt: skip
    return count


def add_digest_jobs(scheduler: AsyncIOScheduler, hub: Hub) -> None:
    """Per space, in its time zone; a missed run (the process was down) is caught up at start, once."""
    settings = hub.settings.digest
    for space in hub.settings.spaces:
        weekly = (
            "weekly",
            space.digest_day or settings.weekly_day,
            space.digest_time or settings.weekly_time,
        )
        for mode, day, clock in (weekly, ("daily", "*", settings.daily_time)):
            hour, minute = (int(part) for part in clock.split(":"))
            trigger = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=space.timezone)
            scheduler.add_job(
                digests,
                trigger,
                args=[hub, mode, space.slug],
                id=f"{mode}-{space.slug}",
                coalesce=True,
                misfire_grace_time=6 * 24 * 3600,
            )
            if _missed(hub, space.slug, mode, trigger):
                scheduler.add_job(digests, args=[hub, mode, space.slug], id=f"{mode}-{space.slug}-catch-up")


def _missed(hub: Hub, slug: str, mode: str, trigger: CronTrigger) -> bool:
    """Was a run due since the last digest of this mode in this space (or ever, for a new hub)?"""
    now = utcnow()
    last_due = None
    fire = trigger.get_next_fire_time(None, now - dt.timedelta(days=8))
    while fire is not None and fire <= now:
        last_due, fire = fire, trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    if last_due is None:
        return False
    with session_scope(hub.engine) as session:
        return last_sent(session, slug, mode) < last_due
