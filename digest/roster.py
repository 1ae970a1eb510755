"""Subscribers managed by an operator: add, remove, list, and a CSV import (address, name, mode, language)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlmodel import Session, col, select

from archive.record.models import Space
from config.database import utcnow
from config.spaces import is_address, is_language
from digest.models import MODES, Subscriber


@dataclass
class RosterChange:
    added: int = 0
    updated: int = 0
    refused: list[str] | None = None


def add(
    session: Session,
    space: Space,
    address: str,
    name: str = "",
    mode: str = "weekly",
    language: str = "",
    change: RosterChange | None = None,
    now: dt.datetime | None = None,
) -> RosterChange:
    """Add or update an active subscriber (an operator's act: no confirmation mail)."""
    change = change or RosterChange(refused=[])
    address = address.strip().lower()
    problem = _problem(space, address, mode, language)
    if problem:
        change.refused.append(f"{address}: {problem}")
        return change
    row = find_subscriber(session, space.id, address)
    if row is None:
        row = Subscriber(space_id=space.id, address=address, cursor_at=now or utcnow())  # nothing older
        change.added += 1
    else:
        change.updated += 1
    row.name, row.mode, row.language, row.status = name or row.name, mode, language, "active"
    row.confirmed_at = row.confirmed_at or now or utcnow()
    session.add(row)
    return change


def _problem(space: Space, address: str, mode: str, language: str) -> str:
    if not is_address(address):
        return "not an email address"
    if mode not in MODES:
        return f"mode {mode!r} is not one of {', '.join(MODES)}"
    if language and (not is_language(language) or language not in space.languages):
        return f"language {language!r} is not one of {', '.join(space.languages)}"
    return ""


def find_subscriber(session: Session, space_id: int, address: str) -> Subscriber | None:
    query = select(Subscriber).where(Subscriber.space_id == space_id, Subscriber.address == address)
    return session.exec(query).first()


def import_csv(session: Session, space: Space, text: str) -> RosterChange:
    change = RosterChange(refused=[])
    for row in csv.reader(io.StringIO(text)):
        if not row or row[0].strip().lower() in ("address", "email", "") or row[0].startswith("#"):
            continue  # a header line, a blank line or a comment
        cells = [cell.strip() for cell in row] + ["", "", ""]
        add(session, space, cells[0], cells[1], cells[2] or "weekly", cells[3], change)
    return change


def remove(session: Session, space: Space, address: str) -> bool:
    row = session.exec(
        select(Subscriber).where(
            Subscriber.space_id == space.id, Subscriber.address == address.strip().lower()
        )
    ).first()
    if row is None or row.status == "left":
        return False
    row.status = "left"
    session.add(row)
    return True


def listing(session: Session, space: Space) -> list[dict]:
    rows = session.exec(
        select(Subscriber).where(Subscriber.space_id == space.id).order_by(col(Subscriber.address))
    )
    return [
        {
            "address": r.address,
            "name": r.name,
            "mode": r.mode,
            "language": r.language,
            "status": r.status,
            "bounce_score": r.bounce_score,
        }
        for r in rows
    ]
