"""Outgoing mail: composed from plain, validated strings, queued in the database outbox."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from archive.record import mime, wire
from archive.record.carry import carry_original
from archive.record.headers import clean_text
from archive.record.models import OutgoingMail
from config.database import utcnow


@dataclass(frozen=True)
class Part:
    """A file carried with a letter."""

    filename: str
    content_type: str
    data: bytes


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
    original: bytes | None = None  # attached as message/rfc822 where that is safe (archive.record.carry)
    attachments: tuple[Part, ...] = ()
    message_id: str | None = None  # keep a post's own id, so subscribers' replies thread
    list_id: tuple[str, str] | None = None  # (the list's name, its id): RFC 2919
    extra: dict[str, str] = field(default_factory=dict)  # ASCII structured values (List-*, ...)


def compose(letter: Letter, domain: str) -> tuple[str, bytes]:
    """(Message-ID, bytes). CR/LF never survives into a header (CVE-2024-6923), NUL and bare CR
    never reach the body, and every header reads back exactly under a strict parser."""
    message_id = clean_text(letter.message_id, 900) if letter.message_id else ""
    message_id = message_id or email.utils.make_msgid(domain=domain).strip("<>")
    content = mime.text_part(body_text(letter.text), "plain")
    if letter.html is not None:
        html = mime.text_part(mime.packed_html(body_text(letter.html)), "html")
        content = mime.multipart("alternative", [content, html])
    files = [mime.file_part(p.data, p.content_type, p.filename) for p in letter.attachments]
    if letter.original is not None:
        carried = carry_original(letter.original)
        # Unsafe to show as a message: a file the moderator may still open.
        files.append(
            mime.message_part(carried)
            if carried is not None
            else mime.file_part(letter.original, "application/octet-stream", "original.eml")
        )
    if files:
        content = mime.multipart("mixed", [content, *files])
    return message_id, mime.message(_headers(letter, domain, message_id), content)


def _headers(letter: Letter, domain: str, message_id: str) -> list[tuple[str, str]]:
    name = wire.display_name(clean_text(letter.sender_name, 200))
    headers = [
        ("From", wire.mailbox("From", name, clean_text(letter.sender))),
        ("To", clean_text(letter.to)),
        ("Subject", wire.unstructured("Subject", clean_text(letter.subject, 400))),
        ("Date", email.utils.format_datetime(utcnow())),
        ("Message-ID", f"<{message_id}>"),
    ]
    if letter.auto_submitted:  # list mail is a person's words passed on, not an automatic answer
        headers.append(("Auto-Submitted", letter.auto_submitted))
    headers.append(("X-Hubmail-Loop", domain))  # our own mail coming back is discarded (rules.loop)
    if letter.reply_to:
        headers.append(("Reply-To", clean_text(letter.reply_to)))
    if letter.in_reply_to:
        headers.append(("In-Reply-To", f"<{clean_text(letter.in_reply_to, 900)}>"))
        chain = [f"<{clean_text(i, 900)}>" for i in [*letter.references, letter.in_reply_to][-20:]]
        headers.append(("References", wire.fold("References", chain)))
    if letter.list_id:
        title, list_id = letter.list_id
        list_name = wire.display_name(clean_text(title, 200))
        headers.append(("List-Id", wire.phrase("List-Id", list_name, f"<{clean_text(list_id, 200)}>")))
    for header, value in letter.extra.items():
        words = clean_text(value, 2000).encode("ascii", "replace").decode().split()
        headers.append((clean_text(header, 80), wire.fold(header, words)))
    return headers


def body_text(text: str) -> str:
    """Line ends as LF (the generator writes CRLF) and no NUL: relays refuse bare CR and NUL."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


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


# Asked of nearly every message: written once, run with values (a sixth of building it each time).
ANSWERS_SINCE = (
    select(func.count())
    .select_from(OutgoingMail)
    .where(
        OutgoingMail.kind == bindparam("kind"),
        OutgoingMail.recipient == bindparam("recipient"),
        OutgoingMail.created_at >= bindparam("since"),
    )
)


# Addresses that belong to machines (RFC 3834 §2, and what MTAs and services really use): a receipt,
# refusal or calendar reply to one is at best lost, at worst the start of a mail loop.
MACHINE_LOCAL_PART = re.compile(
    r"(mailer[-_.]?daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|"
    r"auto[-_.]?(reply|responder|response)|mail[-_.]?delivery)([-+._=].*)?",
    re.IGNORECASE,
)
MACHINE_NAME = re.compile(r"mail delivery (system|subsystem)|mailer[- ]daemon|no[- ]?reply", re.IGNORECASE)


def is_machine(address: str, display_name: str = "") -> bool:
    """An address (or a display name) that no person reads: mailer-daemon, no-reply, bounces..."""
    local = address.strip().strip("<>").rpartition("@")[0] or address.strip().strip("<>")
    return bool(MACHINE_LOCAL_PART.fullmatch(local) or (display_name and MACHINE_NAME.search(display_name)))


def must_not_answer(session: Session, kind: str, recipient: str, within: dt.timedelta, limit: int) -> bool:
    """True when `recipient` is a machine, or already had `limit` answers of this kind lately
    (RFC 3834 rate limit): no answer is sent."""
    if is_machine(recipient):
        return True
    values = {"kind": kind, "recipient": recipient, "since": utcnow() - within}
    return session.connection().execute(ANSWERS_SINCE, values).scalar_one() >= limit
