"""Letters composed once for many recipients: one stored body, a row per recipient with its own values.

A hold notice to each moderator, a post to each subscriber, a digest to everyone of a space,
language and period: what differs per recipient (To, a reply token, an unsubscribe link) is
written into the body as a marker (archive.record.marks) and put in when the row is sent. Should a
marker not come through composition whole, every recipient gets a letter of its own instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlmodel import Session

from archive.record.headers import clean_text
from archive.record.marks import count, fill, mark
from archive.record.models import OutgoingBody, OutgoingMail
from archive.record.outgoing import Letter, compose, queue
from config.database import utcnow

TO = "to"


@dataclass(frozen=True)
class Recipient:
    to: str
    envelope_from: str = ""
    values: dict[str, str] = field(default_factory=dict)  # marker name -> this recipient's value

    def personal(self) -> dict[str, str]:
        return {TO: clean_text(self.to), **{k: clean_text(v, 2000) for k, v in self.values.items()}}


class Shared:
    """A letter composed once (on the first recipient) for every recipient added to it.

    personalize=False: the letter is the same for everyone (its `to` is the list's address), so
    the outbox may hand it to the relay once for many recipients."""

    def __init__(self, session: Session, kind: str, letter: Letter, domain: str, personalize: bool = True):
        self.session, self.kind, self.domain, self.personalize = session, kind, domain, personalize
        self.letter = dataclasses.replace(letter, to=mark(TO)) if personalize else letter
        self.body: OutgoingBody | None = None
        self.message_id = ""
        self.alone = False  # each recipient gets a letter of its own

    def add(self, recipient: Recipient) -> OutgoingMail:
        if self.body is None and not self.alone:
            self._compose(recipient)
        if self.alone:
            own = personalized(self.letter, recipient.personal())
            return queue(self.session, self.kind, own, self.domain, recipient.envelope_from)
        row = OutgoingMail(
            kind=self.kind,
            envelope_from=recipient.envelope_from,
            recipient=clean_text(recipient.to),
            message_id=self.message_id,
            raw=b"",
            body=self.body,
            personal=recipient.personal() if self.personalize else None,
        )
        self.session.add(row)
        return row

    def add_all(self, recipients: list[Recipient]) -> list[int]:
        """Rows for many recipients at once (a post's subscribers): one INSERT, their ids in order."""
        if not recipients:
            return []
        if self.body is None and not self.alone:
            self._compose(recipients[0])
        if self.alone:
            rows = [self.add(recipient) for recipient in recipients]
            self.session.flush()
            return [row.id for row in rows]
        if self.body.id is None:
            self.session.flush()
        now = utcnow()
        values = [
            {"kind": self.kind, "envelope_from": r.envelope_from, "recipient": clean_text(r.to),
             "message_id": self.message_id, "raw": b"", "body_id": self.body.id, "created_at": now,
             "next_attempt_at": now, "attempts": 0, "status": "pending", "last_error": "",
             "personal": r.personal() if self.personalize else None}
            for r in recipients
        ]  # fmt: skip
        # One executemany, then the ids in insertion order: the body is this transaction's own, so
        # every row naming it is one of these (RETURNING in parameter order costs a statement a row
        # on SQLite).
        table = OutgoingMail.__table__
        self.session.execute(insert(table), values)
        ids = select(table.c.id).where(table.c.body_id == self.body.id).order_by(table.c.id)
        return list(self.session.execute(ids).scalars())[-len(values) :]

    def _compose(self, first: Recipient) -> None:
        self.message_id, raw = compose(self.letter, self.domain)
        names = set(first.personal()) if self.personalize else set()
        if any(count(raw, name) != _written(self.letter, name) for name in names):
            self.alone = True  # a marker did not come through whole: each recipient gets its own letter
            return
        self.body = OutgoingBody(kind=self.kind, raw=raw)
        self.session.add(self.body)


def queue_shared(
    session: Session,
    kind: str,
    letter: Letter,
    domain: str,
    recipients: list[Recipient],
    personalize: bool = True,
) -> list[OutgoingMail]:
    """One body for all the recipients (the letter's fields may hold mark(name) for their values)."""
    shared = Shared(session, kind, letter, domain, personalize)
    return [shared.add(recipient) for recipient in recipients]


def letter_bytes(session: Session, row: OutgoingMail) -> bytes:
    """The message a row stands for, as the relay is handed it."""
    if row.body_id is None:
        return row.raw
    return fill(session.get(OutgoingBody, row.body_id).raw, row.personal or {})


def personalized(letter: Letter, personal: dict[str, str]) -> Letter:
    """The letter as one recipient's own, every marker replaced (when a shared body cannot be had)."""

    def fill(text: str | None) -> str | None:
        if text is None:
            return None
        for name, value in personal.items():
            text = text.replace(mark(name), value)
        return text

    return dataclasses.replace(
        letter,
        to=fill(letter.to),
        text=fill(letter.text),
        html=fill(letter.html),
        reply_to=fill(letter.reply_to),
        extra={key: fill(value) for key, value in letter.extra.items()},
    )


def _written(letter: Letter, name: str) -> int:
    """How often the marker was written in the letter's fields (so should be in its bytes)."""
    fields = [
        letter.to,
        letter.subject,
        letter.text,
        letter.html or "",
        letter.reply_to,
        *letter.extra.values(),
    ]
    return sum(text.count(mark(name)) for text in fields)
