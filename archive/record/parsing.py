"""Parse once: raw bytes to the fields hubmail stores, with malformed input recorded as defects."""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser

from archive.record.attachments import safe_filename
from archive.record.headers import (
    SURROGATE,
    decode_value,
    first_message_id,
    generated_message_id,
    message_ids,
    single_sender,
    valid_unicode,
)


@dataclass(frozen=True)
class ParseLimits:
    max_header_bytes: int = 102_400
    max_mime_depth: int = 20
    max_mime_parts: int = 1000


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMessage:
    message_id: str
    from_addr: str
    from_name: str
    from_problem: str | None
    subject: str
    sent_at: dt.datetime | None
    in_reply_to: list[str]
    references: list[str]
    headers: dict[str, list[str]]
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


class MessageRefused(ValueError):
    """The message cannot be taken at all; the text is the reason to give the sender."""


def header_block_size(raw: bytes) -> int:
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else len(raw)


def check_acceptable(raw: bytes, limits: ParseLimits) -> None:
    """Refuse what cannot be read safely, before it is accepted (RELIABILITY.md 4)."""
    if header_block_size(raw) > limits.max_header_bytes:
        raise MessageRefused(f"header block larger than {limits.max_header_bytes} bytes")
    if not raw.strip():
        raise MessageRefused("empty message")


# compat32: headers are read raw and decoded by archive.record.headers, so the header registry (most of
# the time the default policy spends) is never needed; text parts are decoded by charset below.
POLICY = email.policy.compat32


def parse_message(raw: bytes, limits: ParseLimits = ParseLimits()) -> ParsedMessage:
    defects: list[str] = []
    try:
        msg = BytesParser(policy=POLICY).parsebytes(raw)
    except RecursionError:
        # 1,000 nested multiparts blow the stdlib's stack; keep the headers, leave the body raw.
        msg = BytesParser(policy=POLICY).parsebytes(raw, headersonly=True)
        defects.append("MIME structure too deeply nested to read")
    headers = _raw_headers(msg)
    parsed = _header_fields(raw, headers, defects)
    _read_body(msg, parsed, limits)
    _only_valid_unicode(parsed)
    parsed.defects = sorted(set(parsed.defects))
    return parsed


def _only_valid_unicode(parsed: ParsedMessage) -> None:
    """Every text that reaches the database or a template is valid Unicode (a UTF-7 body can
    decode to lone surrogates); what had to be replaced is recorded."""
    texts = (parsed.body_text, parsed.body_html, *(a.filename for a in parsed.attachments))
    if not any(SURROGATE.search(text) for text in texts):
        return
    parsed.body_text, parsed.body_html = valid_unicode(parsed.body_text), valid_unicode(parsed.body_html)
    for attachment in parsed.attachments:
        attachment.filename = valid_unicode(attachment.filename)
    parsed.defects.append("invalid characters replaced by U+FFFD")


def message_id_of(raw: bytes) -> str:
    """The Message-ID parse_message gives, from the header block alone (the body is kept as one
    string, never parsed into parts): a 3 MB redelivery is known for what it is at once."""
    headers = _raw_headers(BytesParser(policy=POLICY).parsebytes(raw, headersonly=True))
    return first_message_id((headers.get("message-id") or [None])[0]) or generated_message_id(raw)


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():  # raw strings: the header registry is never invoked
        headers.setdefault(name.lower(), []).append(str(value))
    return headers


def _header_fields(raw: bytes, headers: dict[str, list[str]], defects: list[str]) -> ParsedMessage:
    message_id = first_message_id((headers.get("message-id") or [None])[0])
    if message_id is None:
        defects.append("no Message-ID (one was generated)")
        message_id = generated_message_id(raw)
    address, name, problem = single_sender(headers.get("from", []))
    if problem:
        defects.append(f"sender unclear: {problem}")
    decoded = {key: [decode_value(v) for v in values[:20]] for key, values in headers.items()}
    return ParsedMessage(
        message_id=message_id,
        from_addr=address,
        from_name=name,
        from_problem=problem,
        subject=(decoded.get("subject") or [""])[0],
        sent_at=_date((decoded.get("date") or [""])[0], defects),
        in_reply_to=message_ids(" ".join(headers.get("in-reply-to", [])), 5),
        references=message_ids(" ".join(headers.get("references", []))),
        headers=decoded,
        defects=defects,
    )


def _date(value: str, defects: list[str]) -> dt.datetime | None:
    if not value:
        defects.append("no Date")
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unreadable Date")
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _read_body(msg: Message, parsed: ParsedMessage, limits: ParseLimits) -> None:
    parts = list(_leaves(msg, 0, limits, parsed.defects))
    for part in parts:
        try:
            _take_part(part, parsed)
        except (RecursionError, Exception) as exc:  # one bad part must not cost the message
            parsed.defects.append(f"unreadable part ({type(exc).__name__})")
    for part in [msg, *parts]:
        parsed.defects.extend(type(d).__name__ for d in getattr(part, "defects", []))


def _leaves(part: Message, depth: int, limits: ParseLimits, defects: list[str], count=None):
    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > limits.max_mime_parts:
        defects.append(f"more than {limits.max_mime_parts} MIME parts; the rest is in the raw message")
        return
    if depth > limits.max_mime_depth:
        defects.append(f"MIME nesting deeper than {limits.max_mime_depth}; kept in the raw message")
        return
    payload = part.get_payload() if part.is_multipart() else None
    if isinstance(payload, list) and part.get_content_maintype() == "multipart":
        for child in payload:
            yield from _leaves(child, depth + 1, limits, defects, count)
    else:
        yield part


def _take_part(part: Message, parsed: ParsedMessage) -> None:
    ctype = part.get_content_type()
    disposition = part.get_content_disposition()
    filename = part.get_filename()
    if ctype == "message/rfc822" or (filename and disposition != "inline") or disposition == "attachment":
        parsed.attachments.append(_attachment(part, ctype, filename))
    elif ctype == "text/plain" and not parsed.body_text:
        parsed.body_text = _text(part, parsed.defects)
    elif ctype == "text/html" and not parsed.body_html:
        parsed.body_html = _text(part, parsed.defects)
    elif not ctype.startswith("text/") or filename:
        parsed.attachments.append(_attachment(part, ctype, filename))


def _text(part: Message, defects: list[str]) -> str:
    """The part's text by its declared charset; undecodable bytes and unknown charsets are defects."""
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"  # undeclared: UTF-8, of which ASCII is a part
    try:
        return data.decode(charset)
    except (LookupError, UnicodeError) as exc:
        defects.append(f"text part decoded with replacement characters ({type(exc).__name__})")
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _attachment(part: Message, ctype: str, filename: str | None) -> Attachment:
    if ctype == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        return Attachment(safe_filename(filename or "message.eml"), ctype, data)
    data = part.get_payload(decode=True) or b""
    return Attachment(safe_filename(filename or ""), ctype, data)
