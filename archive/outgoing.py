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
    reply_to: str = ""
    original: bytes | None = None  # attached, byte for byte, as message/rfc822
    message_id: str | None = None  # keep a post's own id, so subscribers' replies thread
    extra: dict[str, str] = field(default_factory=dict)


def compose(letter: Letter, domain: str) -> tuple[str, bytes]:
    """(Message-ID, bytes). CR/LF never survives into a header (CVE-2024-6923)."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    message_id = (
        f"<{clean_text(letter.message_id, 900)}>"
        if letter.message_id
        else email.utils.make_msgid(domain=domain)
    )
    msg["From"] = email.utils.formataddr((clean_text(letter.sender_name, 200), clean_text(letter.sender)))
    msg["To"] = clean_text(letter.to)
    msg["Subject"] = clean_text(letter.subject, 400)
    msg["Date"] = email.utils.format_datetime(utcnow())
    msg["Message-ID"] = message_id
    if letter.auto_submitted:  # list mail is a person's words passed on, not an automatic answer
        msg["Auto-Submitted"] = letter.auto_submitted
    msg["X-Hubmail-Loop"] = domain  # our own mail coming back is discarded (moderation.rules.loop)
    if letter.reply_to:
        msg["Reply-To"] = clean_text(letter.reply_to)
    if letter.in_reply_to:
        msg["In-Reply-To"] = f"<{clean_text(letter.in_reply_to, 900)}>"
        chain = [*letter.references, letter.in_reply_to][-20:]
        msg["References"] = " ".join(f"<{clean_text(i, 900)}>" for i in chain)
    for name, value in letter.extra.items():
        msg[clean_text(name, 80)] = clean_text(value, 2000)
    msg.set_content(letter.text)
    if letter.html is not None:
        msg.add_alternative(letter.html, subtype="html")
    if letter.original is None:
        return message_id.strip("<>"), msg.as_bytes()
    msg.make_mixed()
    return message_id.strip("<>"), _attach_original(msg.as_bytes(), msg.get_boundary(), letter.original)


def _attach_original(outer: bytes, boundary: str, original: bytes) -> bytes:
    """Splice the original in byte for byte: re-serialising a broken message could fail or alter it."""
    closing = f"--{boundary}--".encode()
    body = original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    part = (
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n"
        'Content-Disposition: attachment; filename="original.eml"\r\n\r\n'
    ).encode()
    head, _, tail = outer.rpartition(closing)
    return head + part + body + (b"" if body.endswith(b"\r\n") else b"\r\n") + closing + tail


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
