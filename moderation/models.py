"""Tables of moderation: every decision, trusted senders, command mail received, summaries sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from config.database import UTCDateTime, utcnow


def _when() -> dt.datetime:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Decision(SQLModel, table=True):
    """Who did what to which post, when, and from which message (or the CLI)."""

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    moderator: str
    action: str = Field(max_length=16)  # approve, reject, discard, move, edit, trust, untrust
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = ""  # "email <message-id>" or "cli"
    decided_at: dt.datetime = _when()


class TrustedSender(SQLModel, table=True):
    """A sender whose posts in a space are published without being held (`approve trust`)."""

    __tablename__ = "trusted_sender"
    __table_args__ = (UniqueConstraint("space_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", index=True)
    address: str
    granted_by: str
    granted_at: dt.datetime = _when()


class SummarySent(SQLModel, table=True):
    """One pending-holds summary per moderator, space and day, however often the job runs."""

    __tablename__ = "summary_sent"
    __table_args__ = (UniqueConstraint("space_id", "moderator", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id")
    moderator: str
    day: str = Field(max_length=10)
    sent_at: dt.datetime = _when()
