"""Database tables of the record: spaces, questions, posts, their translations and the outgoing-mail queue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel

from config.database import UTCDateTime, utcnow


def _optional_when() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Space(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    title: str
    visibility: str = "public"
    posting: str = "anyone"
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opens: dt.datetime | None = _optional_when()
    closes: dt.datetime | None = _optional_when()
    retired: bool = False


class Question(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("space_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", index=True)
    number: int
    text: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    retired: bool = False


class PostStatus(StrEnum):
    """Where a post stands; stored as its value."""

    HELD = "held"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DISCARDED = "discarded"


class Post(SQLModel, table=True):
    """One message in one space: held, published, rejected or discarded; raw bytes kept."""

    __table_args__ = (
        UniqueConstraint("space_id", "message_id"),
        # What archive pages ask: a space's published posts, newest first or by question.
        Index("ix_post_space_status_published", "space_id", "status", "published_at"),
        # A question's threads, listed from the index alone (archive.record.thread_list.thread_order).
        Index(
            "ix_post_space_status_question",
            *("space_id", "status", "question_id", "thread_id", "received_at", "published_at"),
        ),
        Index("ix_post_space_summary", "space_id", "is_summary", "status", "published_at"),
        Index("ix_post_space_status_language", "space_id", "status", "language"),
        Index("ix_post_space_parent_message", "space_id", "parent_message_id"),  # replies before parents
        Index("ix_post_space_from", "space_id", "from_addr"),  # "first post from this sender"
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id", index=True)
    status: str = Field(index=True, max_length=16)
    message_id: str = Field(max_length=998)
    message_hash: str = Field(default="", max_length=32, index=True)  # archive.record.urls.message_hash
    from_addr: str = ""
    from_name: str = ""
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    sent_at: dt.datetime | None = _optional_when()
    received_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    parent_message_id: str | None = Field(default=None, max_length=998)
    parent_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    thread_id: int | None = Field(default=None, index=True)
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False))
    attachments: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    defects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str = ""
    envelope_from: str = ""
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    raw_sha256: str = Field(max_length=64)
    decided_by: str = ""
    decided_at: dt.datetime | None = _optional_when()
    published_at: dt.datetime | None = _optional_when()
    display_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Detected when stored (archive.record.language): "" when the text says too little to tell.
    is_summary: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    language: str = Field(
        default="", sa_column=Column(String(16), nullable=False, server_default="", index=True)
    )
    # After a moderators' edit: the message as published (archive.record.edits), and when; raw stays
    # as it came.
    edited_raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    edited_at: dt.datetime | None = _optional_when()


class Review(SQLModel, table=True):
    """One moderator's verdict on one held post (issue 16): a space may need several approvals, from
    named groups, before a post is published. One row per moderator and post: nobody counts twice,
    and two replies at once cannot both record the same moderator. Here, not in moderation, so that
    the report counts them."""

    __table_args__ = (UniqueConstraint("post_id", "moderator"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    moderator: str = Field(max_length=320)
    verdict: str = Field(max_length=16)  # approve, reject
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Translation(SQLModel, table=True):
    """A post's text in another language, shown beside the original (issue 16): one per post and
    language, a moderator's replacing any earlier one; a machine's never replaces a moderator's."""

    __table_args__ = (UniqueConstraint("post_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    language: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=320)  # the moderator's address, the operator, or the provider's name
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    machine: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class Member(SQLModel, table=True):
    """Someone with a role in a space: moderator, member (reads and posts) or reader (reads only)."""

    __table_args__ = (UniqueConstraint("space_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", index=True)
    address: str = Field(index=True, max_length=320)
    role: str = Field(max_length=16)
    name: str = ""
    organisation: str = ""
    added_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    added_by: str = ""


class SignIn(SQLModel, table=True):
    """One emailed sign-in link; used once, it becomes the session its cookie names."""

    __tablename__ = "sign_in"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True, max_length=320)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    used_at: dt.datetime | None = _optional_when()
    ended_at: dt.datetime | None = _optional_when()


class OutgoingBody(SQLModel, table=True):
    """A letter composed once for many recipients (a notice, a post's copies, a digest); what differs
    per recipient is a marker in it, replaced when each row is sent (archive.record.marks.fill)."""

    __tablename__ = "outgoing_body"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OutgoingMail(SQLModel, table=True):
    """A message waiting for (or handed to) the relay; queued in the same transaction as its cause.

    Either `raw` is the whole message, or `body_id` names a shared body and `personal` holds this
    recipient's values for its markers (`raw` is then empty)."""

    __tablename__ = "outbox"
    # must_not_answer: has this recipient had an answer of this kind lately (asked of every post)
    __table_args__ = (Index("ix_outbox_kind_recipient_created", "kind", "recipient", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=32)
    envelope_from: str
    recipient: str = Field(index=True)
    message_id: str = Field(max_length=998)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    body_id: int | None = Field(default=None, foreign_key="outgoing_body.id", index=True)
    personal: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set when queued, so the body and its rows are written together at the next flush.
    body: OutgoingBody | None = Relationship(sa_relationship=relationship(OutgoingBody))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    next_attempt_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    attempts: int = 0
    status: str = Field(default="pending", index=True, max_length=16)
    last_error: str = ""
    sent_at: dt.datetime | None = _optional_when()


class CommandMail(SQLModel, table=True):
    """A command message (moderation reply, later list requests): kept, answered once."""

    __tablename__ = "command_mail"
    __table_args__ = (UniqueConstraint("kind", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    message_id: str = Field(max_length=998)
    from_addr: str = ""
    outcome: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
