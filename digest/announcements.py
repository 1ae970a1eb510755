"""Announcements to a space's subscribers: a phase opening, a reminder before a phase or the space
closes, the moderators' summary; which are due at a moment, to whom, and whether already given.

Each is given once per subscriber: a row of announcement_sent, unique per (subscriber, key), is
written in the transaction that queues its mail (digest.announcing) or the digest carrying it
(digest.delivery), under the digests' lock, so two runs or two instances never both give it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from archive.record.models import Post, PostStatus
from config.calendar import PhaseConfig
from config.spaces import SpaceConfig
from digest.models import AnnouncementSent, DigestSent, Subscriber
from digest.schedule import digest_times

KINDS = ("opens", "reminder", "summary")
SUMMARY_DAYS = 7  # a summary published longer ago than this is no news: it is on the space page
DIGEST_HOUR = dt.timedelta(hours=1)  # an announcement never goes out within this of a digest


@dataclass(frozen=True)
class Announcement:
    """What to announce (kind), from when (at) and until when it is still worth sending (until)."""

    key: str  # unique within a space: opens, phase-2-opens, phase-1-closing, closing, summary-17
    kind: str  # opens | reminder | summary
    at: dt.datetime
    until: dt.datetime | None
    phase: PhaseConfig | None = None  # the phase that opens or closes; None: the space itself
    post_id: int | None = None  # a summary

    def due(self, now: dt.datetime) -> bool:
        return self.at <= now and (self.until is None or now < self.until)


def planned(space: SpaceConfig) -> list[Announcement]:
    """The calendar's announcements: each phase's opening (or the space's, without phases), a
    reminder `reminder_days` before each phase closes and before the space closes. A phase ending
    with the space gets the space's reminder only; a reminder that would come before its phase
    opens is left out (the opening says it all)."""
    found = []
    if not space.phases and space.opens:
        found.append(Announcement("opens", "opens", space.opens, space.closes))
    for phase in space.phases:
        found.append(Announcement(f"phase-{phase.number}-opens", "opens", phase.opens, phase.closes, phase))
    if space.reminder_days:
        before = dt.timedelta(days=space.reminder_days)
        for phase in space.phases:
            if phase.closes - before > phase.opens and phase.closes != space.closes:
                key = f"phase-{phase.number}-closing"
                found.append(Announcement(key, "reminder", phase.closes - before, phase.closes, phase))
        if space.closes and (not space.opens or space.closes - before > space.opens):
            found.append(Announcement("closing", "reminder", space.closes - before, space.closes))
    return sorted(found, key=lambda a: a.at)


def summaries(session: Session, space_id: int) -> list[Announcement]:
    """The space's published summaries, each announced once when published."""
    query = select(Post.id, Post.published_at).where(
        Post.space_id == space_id, Post.status == PostStatus.PUBLISHED, col(Post.is_summary).is_(True)
    )
    return [
        Announcement(f"summary-{post_id}", "summary", _utc(at), _utc(at) + dt.timedelta(days=SUMMARY_DAYS),
                     post_id=post_id)
        for post_id, at in session.exec(query) if at is not None
    ]  # fmt: skip


def schedule(session: Session, space: SpaceConfig, space_id: int) -> list[Announcement]:
    """Everything this space announces, past and future, in time order."""
    return sorted(planned(space) + summaries(session, space_id), key=lambda a: (a.at, a.key))


def given(session: Session, subscriber_ids: list[int], keys: list[str]) -> set[tuple[int, str]]:
    """(subscriber, key) pairs already announced, from the ledger."""
    if not subscriber_ids or not keys:
        return set()
    query = select(AnnouncementSent.subscriber_id, AnnouncementSent.key).where(
        col(AnnouncementSent.subscriber_id).in_(subscriber_ids), col(AnnouncementSent.key).in_(keys)
    )
    return {(sid, key) for sid, key in session.exec(query)}


def owed(
    session: Session, due: list[Announcement], subscribers: list[Subscriber]
) -> dict[int, list[Announcement]]:
    """subscriber id -> the due announcements it has not had; only news since it joined (a reader
    who subscribes in the middle of a phase is not told that the phase has opened)."""
    done = given(session, [s.id for s in subscribers], [a.key for a in due])
    found: dict[int, list[Announcement]] = {}
    for subscriber in subscribers:
        joined = _utc(subscriber.confirmed_at or subscriber.created_at)
        mine = [a for a in due if joined <= a.at and (subscriber.id, a.key) not in done]
        if mine:
            found[subscriber.id] = mine
    return found


def near_digest(
    session: Session, settings, space: SpaceConfig, subscriber: Subscriber, now: dt.datetime
) -> bool:
    """Is this subscriber's digest due within the hour, or was one sent to it within the hour?
    Then its announcements wait: the digest carries them, or they go alone once the hour is past."""
    if subscriber.mode not in ("daily", "weekly"):
        return False
    if digest_times(settings, space, subscriber.mode, now - DIGEST_HOUR, now + DIGEST_HOUR):
        return True
    query = select(DigestSent.id).where(
        DigestSent.subscriber_id == subscriber.id, col(DigestSent.sent_at) > now - DIGEST_HOUR
    )
    return session.exec(query.limit(1)).first() is not None


def record(session: Session, rows: list[tuple[int, str, str, int | None]], now: dt.datetime) -> None:
    """Ledger rows (subscriber, key, via, outbox row), in the caller's transaction."""
    if rows:
        session.add_all(
            AnnouncementSent(subscriber_id=sid, key=key, via=via, outbox_id=outbox_id, sent_at=now)
            for sid, key, via, outbox_id in rows
        )
        session.flush()


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
