"""Trusted senders of a space: their posts are published without being held (Mailman's accept action)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from moderation.models import TrustedSender

TRUSTED = select(TrustedSender.id).where(
    TrustedSender.space_id == bindparam("space"), TrustedSender.address == bindparam("address")
)  # asked of every new post: written once


def is_trusted(session: Session, space_id: int, address: str) -> bool:
    found = session.connection().execute(TRUSTED, {"space": space_id, "address": address}).first()
    return bool(address) and found is not None


def trust(session: Session, space_id: int, address: str, by: str, now: dt.datetime) -> bool:
    """Trust an address in a space; False if it already was."""
    if is_trusted(session, space_id, address):
        return False
    session.add(TrustedSender(space_id=space_id, address=address, granted_by=by, granted_at=now))
    return True


def untrust(session: Session, space_id: int, address: str) -> bool:
    """Hold an address's posts again; False if it was not trusted."""
    query = select(TrustedSender).where(TrustedSender.space_id == space_id, TrustedSender.address == address)
    row = session.exec(query).first()
    if row is not None:
        session.delete(row)
    return row is not None


def trusted(session: Session, space_id: int) -> list[TrustedSender]:
    query = select(TrustedSender).where(TrustedSender.space_id == space_id)
    return list(session.exec(query.order_by(col(TrustedSender.address))))
