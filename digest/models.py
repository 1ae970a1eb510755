"""Tables of following a space: subscribers with their delivery cursor, and each digest sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from config.database import UTCDateTime, utcnow

MODES = ("each", "daily", "weekly")


class Subscriber(SQLModel, table=True):
    """One address following one space. The cursor is the last post it was sent, committed with the send."""

    __table_args__ = (UniqueConstraint("space_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", index=True)
    address: str = Field(index=True)
    name: str = ""
    mode: str = Field(default="weekly", max_length=8)
    language: str = Field(default="", max_length=16)
    status: str = Field(default="pending", index=True, max_length=16)  # pending active suspended left
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    bounce_score: float = 0.0
    cursor_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    cursor_id: int = 0


class DigestSent(SQLModel, table=True):
    """A digest (or a single post) queued for a subscriber, in the same transaction as its cursor move."""

    __tablename__ = "digest_sent"

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    mode: str = Field(max_length=8)
    posts: int
    first_post_id: int
    last_post_id: int
    outbox_id: int | None = None
    sent_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AnnouncementSent(SQLModel, table=True):
    """An announcement (a phase opening, a reminder, a summary) given to a subscriber, once: the row
    is written in the transaction that queues its mail or the digest carrying it (README
    "Announcements"); the unique key makes a second writer fail instead of sending it again."""

    __tablename__ = "announcement_sent"
    __table_args__ = (UniqueConstraint("subscriber_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    key: str = Field(max_length=64)  # digest.announcements: phase-2-opens, closing, summary-17, ...
    via: str = Field(default="mail", max_length=8)  # mail | digest
    outbox_id: int | None = None
    sent_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
