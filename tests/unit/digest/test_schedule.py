"""Digest jobs: one per space and mode, in the space's time zone and on its own day when it has one."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler

from gateway.hub import open_hub
from gateway.jobs import add_digest_jobs
from tests.configs import make_settings


def test_jobs_per_space_in_its_time_zone(tmp_path):
    settings = make_settings(
        tmp_path, dates='timezone = "Europe/Zurich"\ndigest_day = "fri"\ndigest_time = "17:30"'
    )
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    add_digest_jobs(scheduler, open_hub(settings))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"weekly-unece-review", "daily-unece-review", "weekly-closed-space", "daily-closed-space"} <= set(
        jobs
    )
    weekly = jobs["weekly-unece-review"].trigger
    monday = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
    fire = weekly.get_next_fire_time(None, monday)
    assert (fire.weekday(), fire.hour, fire.minute, str(fire.tzinfo)) == (4, 17, 30, "Europe/Zurich")
    other = jobs["weekly-closed-space"].trigger.get_next_fire_time(None, monday)
    assert (other.weekday(), other.hour, str(other.tzinfo)) == (0, 8, "UTC")
