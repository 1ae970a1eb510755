"""A post written on the web (issue 15): composed as the mail its signed-in writer would send, met
by the rules mail meets, and put in the same spool as SMTP, so the worker takes it like any mail.

The spool entry's source is SIGNED_IN_ON_THE_WEB and its envelope sender the signed-in address:
nothing a mail's sender writes reaches either, so only this path makes a post "authenticated as
its From address" (moderation.authenticity). Trust then works as for an authenticated mail sender:
the post is held, unless the address was trusted with `approve trust`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP

from sqlmodel import Session, col, select

from archive.record.members import role_of
from archive.record.models import Member, Post, Question, Space
from archive.record.parsing import MessageRefused, ParseLimits, check_acceptable, parse_message
from archive.record.urls import reply_subject
from archive.record.wire import display_name, mailbox, unstructured
from config import Settings
from config.errors import N_, Reason
from gateway.spool import Envelope, Spool
from moderation.authenticity import SIGNED_IN_ON_THE_WEB
from moderation.chain import Action, evaluate
from moderation.rules import Check

MAX_FILES = 10  # attachments on one web post; mail has no such cap, a form needs one
SUBJECT_CHARS = 200
MIME_TYPE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]*)/([a-z0-9][a-z0-9!#$&^_.+-]*)")


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Draft:
    """What the writer typed and attached: kept as it is to show the form again after a refusal."""

    subject: str = ""
    body: str = ""
    files: tuple[Upload, ...] = field(default_factory=tuple)

    @property
    def size(self) -> int:
        return len(self.body.encode("utf-8")) + sum(len(f.data) for f in self.files)


@dataclass(frozen=True)
class Where:
    """Where a web post goes: a question of a space, or under a published post (its thread's question)."""

    space: Space
    question: Question | None
    parent: Post | None = None

    def address(self, domain: str) -> str:
        detail = f"+q{self.question.number}" if self.question is not None else ""
        return f"{self.space.slug}{detail}@{domain}"


@dataclass(frozen=True)
class TooLarge:
    """The message with its files, base64 and all, is more than [smtp] max_message_bytes."""

    size: int
    limit: int


def known_name(session: Session, address: str) -> str:
    """The writer's name as the hub knows it: from the members directory, else their latest post."""
    query = select(Member.name).where(Member.address == address, Member.name != "")
    named = session.exec(query.limit(1)).first()
    if named:
        return named
    query = select(Post.from_name).where(Post.from_addr == address, Post.from_name != "")
    return session.exec(query.order_by(col(Post.id).desc()).limit(1)).first() or ""


def writer_name(typed: str) -> str:
    """The display name to write: one line, and never one that looks like an address (the parser
    would rightly take such a From for an unclear sender, RELIABILITY 2)."""
    name = one_line(typed, 100)
    return "" if "@" in name or "<" in name or ">" in name else name


def one_line(text: str, limit: int = SUBJECT_CHARS) -> str:
    """A header's words on one line: CR, LF and other controls never reach a header (RELIABILITY 1)."""
    return display_name("".join(c if c.isprintable() else " " for c in text))[:limit]


def safe_filename(name: str) -> str:
    """The file's own name, without its folder or controls; the store sanitizes it again."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return one_line(base, 150) or "attachment"


def compose(
    settings: Settings, address: str, name: str, where: Where, draft: Draft, now: dt.datetime
) -> bytes:
    """The RFC 5322 message: the MIME body and files by the email package (policy SMTP: CRLF),
    From and Subject written by archive.record.wire, whose folding CPython's gets wrong (README)."""
    body = EmailMessage(policy=SMTP)
    body.set_content(draft.body.replace("\r\n", "\n"), charset="utf-8")
    if draft.files:
        body.make_mixed()
    for upload in draft.files:
        part = MIMEPart(policy=SMTP)  # a part carries no MIME-Version of its own
        maintype, subtype = _file_type(upload.content_type)
        part.set_content(upload.data, maintype, subtype, disposition="attachment",
                         filename=safe_filename(upload.filename))  # fmt: skip
        body.attach(part)
    headers = [
        ("From", mailbox("From", writer_name(name), address)),
        ("To", where.address(settings.site.domain)),
        ("Subject", unstructured("Subject", one_line(draft.subject))),
        ("Date", email.utils.format_datetime(now)),
        ("Message-ID", f"<web-{uuid.uuid4().hex}@{settings.site.domain}>"),
    ]
    if where.parent is not None:
        parent = f"<{where.parent.message_id}>"
        chain = [f"<{mid}>" for mid in where.parent.references[-20:]] + [parent]
        headers += [("In-Reply-To", parent), ("References", " ".join(chain))]
    head = "".join(f"{name_}: {value}\r\n" for name_, value in headers if value)
    return head.encode("ascii") + body.as_bytes(policy=SMTP)


def _file_type(claimed: str) -> tuple[str, str]:
    """The browser's type for a file when it is a plain type/subtype; never a multipart or a message
    (those would be read as structure, not kept as a file)."""
    found = MIME_TYPE.fullmatch((claimed or "").strip().lower())
    if found is None or found.group(1) in ("multipart", "message"):
        return "application", "octet-stream"
    return found.group(1), found.group(2)


def reply_draft(parent: Post) -> Draft:
    """A reply's form, as a mail client would start it: one Re: before the parent's subject."""
    return Draft(subject=reply_subject(parent.subject))


def refusal(
    settings: Settings, session: Session, address: str, where: Where, raw: bytes, now: dt.datetime
) -> str | TooLarge | None:
    """Why the worker would refuse this post, or None: the size SMTP allows, the parser's limits,
    and the policy chain as the worker runs it (calendar, posting rule, loops)."""
    if len(raw) > settings.smtp.max_message_bytes:
        return TooLarge(len(raw), settings.smtp.max_message_bytes)
    limits = ParseLimits(**vars(settings.limits))
    try:
        check_acceptable(raw, limits)
    except MessageRefused as exc:
        return Reason(N_("This message cannot be taken: %(problem)s"), problem=str(exc))
    message = parse_message(raw, limits)
    config = settings.space(where.space.slug)
    if config is None:
        return Reason(N_("This discussion takes no contributions any more."))
    number = where.question.number if where.question is not None else None
    role = role_of(session, settings, where.space, address)
    check = Check(message, raw, address, config, settings.site.domain, now,
                  question=number, is_reply=where.parent is not None, role=role)  # fmt: skip
    verdict = evaluate(check)
    return verdict.reason if verdict.action in (Action.REJECT, Action.DISCARD) else None


def spool_post(spool: Spool, address: str, where: Where, domain: str, raw: bytes, peer: str) -> str:
    """On disk (fsync, rename, fsync the folder) when this returns, as an SMTP 250 promises."""
    envelope = Envelope(mail_from=address, recipients=[where.address(domain)], source=SIGNED_IN_ON_THE_WEB,
                        peer=peer)  # fmt: skip
    return spool.put(envelope, raw)
