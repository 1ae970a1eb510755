"""Gateway tables: where each IMAP account's folder was read up to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from config.database import UTCDateTime, utcnow


class ImapState(SQLModel, table=True):
    """UIDVALIDITY and the highest UID spooled, per account and folder (RFC 3501 section 2.3.1.1)."""

    __tablename__ = "imap_state"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=300)
    folder: str = Field(max_length=300)
    # Unsigned 32-bit on the wire: above a signed INTEGER's range.
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
