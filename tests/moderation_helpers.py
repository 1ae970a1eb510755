"""Reading what hubmail sent (from the outbox or a sink) and writing moderators' replies."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlmodel import select

from archive.record.bodies import letter_bytes
from archive.record.models import OutgoingMail
from config.database import session_scope


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def body(raw: bytes) -> str:
    return parse(raw).get_body(("plain",)).get_content()


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces: paragraphs are wrapped at
    72 columns, so a sentence may span lines."""
    return " ".join(text.split())


def outbox(hub, kind: str | None = None) -> list[OutgoingMail]:
    """The outbox rows, each with `raw` the message as the relay gets it (shared bodies put together)."""
    with session_scope(hub.engine) as session:
        query = select(OutgoingMail).order_by(OutgoingMail.id)
        if kind:
            query = query.where(OutgoingMail.kind == kind)
        rows = list(session.exec(query))
        for row in rows:
            row.raw = letter_bytes(session, row)
            session.expunge(row)  # read only: the filled-in bytes are never written back
        return rows


def reply(
    notice_raw: bytes, sender: str, text: str, message_id: str, subject: str | None = None, extra: str = ""
) -> tuple[str, bytes]:
    """(the reply address, the reply) as a mail client would write it, quoting the notice."""
    notice = parse(notice_raw)
    address = str(notice["Reply-To"])
    quoted = "\n".join("> " + line for line in body(notice_raw).splitlines())
    raw = (
        f"From: {sender}\r\nTo: {address}\r\nSubject: {subject or 'Re: ' + str(notice['Subject'])}\r\n"
        f"Message-ID: <{message_id}>\r\nIn-Reply-To: {notice['Message-ID']}\r\n{extra}"
        f"Date: Sat, 20 Jan 2024 11:00:00 +0000\r\n\r\n{text}\r\n\r\nOn Sat, 20 Jan 2024, hub wrote:\r\n"
        f"{quoted}\r\n"
    ).encode()
    return address, raw


def decide(session, settings, post, now, verb: str = "approve", moderator: str = "mia@un.example") -> str:
    """A moderator's decision on a post at a chosen time, through the same path as mail."""
    from moderation.commands import Command
    from moderation.context import Moderation
    from moderation.decisions import Actor, apply

    return apply(Moderation.at(settings, now), session, post, Command(verb), Actor(moderator, "test"))
