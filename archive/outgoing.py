"""Outgoing mail: composed from plain, validated strings, queued in the database outbox."""

from __future__ import annotations

import datetime as dt
import email.message
import email.policy
import email.utils
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from archive.headers import clean_text
from archive.models import OutgoingMail
from config.database import utcnow


@dataclass(frozen=True)
class Letter:
    """A message to write; every field is plain text, never a parsed header object."""

    to: str
    subject: str
    text: str
    sender: str
    sender_name: str = ""
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str = "auto-replied"
    extra: dict[str, str] = field(default_factory=dict)


def compose(letter: Letter, domain: str) -> tuple[str, bytes]:
    """(Message-ID, bytes). CR/LF never survives into a header (CVE-2024-6923)."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    message_id = email.utils.make_msgid(domain=domain)
    msg["From"] = email.utils.formataddr((clean_text(letter.sender_name, 200), clean_text(letter.sender)))
    msg["To"] = clean_text(letter.to)
    msg["Subject"] = clean_text(letter.subject, 400)
    msg["Date"] = email.utils.format_datetime(utcnow())
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = letter.auto_submitted
    if letter.in_reply_to:
        msg["In-Reply-To"] = f"<{clean_text(letter.in_reply_to, 900)}>"
        chain = [*letter.references, letter.in_reply_to][-20:]
        msg["References"] = " ".join(f"<{clean_text(i, 900)}>" for i in chain)
    for name, value in letter.extra.items():
        msg[clean_text(name, 80)] = clean_text(value, 2000)
    msg.set_content(letter.text)
    if letter.html is not None:
        msg.add_alternative(letter.html, subtype="html")
    return message_id.strip("<>"), msg.as_bytes()


def queue(session: Session, kind: str, letter: Letter, domain: str, envelope_from: str = "") -> OutgoingMail:
    """Add to the outbox inside the caller's transaction: sent once the cause is committed."""
    message_id, raw = compose(letter, domain)
    row = OutgoingMail(
        kind=kind,
        envelope_from=envelope_from,
        recipient=clean_text(letter.to),
        message_id=message_id,
        raw=raw,
    )
    session.add(row)
    return row


def replied_recently(session: Session, kind: str, recipient: str, within: dt.timedelta, limit: int) -> bool:
    """True when `recipient` already had `limit` answers of this kind lately (RFC 3834 rate limit)."""
    since = utcnow() - within
    query = (
        select(func.count())
        .select_from(OutgoingMail)
        .where(
            OutgoingMail.kind == kind, OutgoingMail.recipient == recipient, OutgoingMail.created_at >= since
        )
    )
    return session.exec(query).one() >= limit
