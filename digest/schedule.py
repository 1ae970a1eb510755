"""When a space's digests are due: the times the scheduler fires them, in the space's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from config import Settings
from config.spaces import SpaceConfig

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_and_time(settings: Settings, space: SpaceConfig, mode: str) -> tuple[str, str]:
    """("*" or a weekday, "HH:MM"): what gateway.jobs gives the digest job of this space and mode."""
    if mode == "weekly":
        return (
            space.digest_day or settings.digest.weekly_day,
            space.digest_time or settings.digest.weekly_time,
        )
    return "*", settings.digest.daily_time


def digest_times(
    settings: Settings, space: SpaceConfig, mode: str, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    """The scheduled digest runs of `mode` in [start, end] (UTC), at most a few days apart."""
    if mode not in ("daily", "weekly"):
        return []
    day, clock = day_and_time(settings, space, mode)
    hour, minute = (int(part) for part in clock.split(":"))
    zone = ZoneInfo(space.timezone)
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    found = []
    for offset in range((end - start).days + 3):
        date = first + dt.timedelta(days=offset)
        if day != "*" and WEEKDAYS[date.weekday()] != day:
            continue
        fire = dt.datetime.combine(date, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)
        if start <= fire <= end:
            found.append(fire)
    return found
