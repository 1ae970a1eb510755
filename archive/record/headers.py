"""Header decoding that never raises and never takes quadratic time (RELIABILITY.md 1-4)."""

from __future__ import annotations

import email.errors
import email.header
import hashlib
import re
from email.headerregistry import HeaderRegistry

from config.spaces import is_address

# Encoded-word decoding is quadratic in CPython 3.11; nothing we show needs more than this.
MAX_VALUE_CHARS = 8192
MAX_ADDRESS_CHARS = 2048
MSGID = re.compile(r"<([^<>\s]{1,900})>")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_registry = HeaderRegistry()


def clean_text(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """One line of plain text: no CR/LF (header injection), no controls, no bidi overrides."""
    return CONTROL.sub(" ", value[:limit]).strip()


def decode_value(raw: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Decode RFC 2047 words in a raw header value; undecodable bytes become U+FFFD."""
    raw = _unsurrogate(raw[:limit]).replace("\r", "").replace("\n", "")
    try:
        words = [_readable(text, charset) for text, charset in email.header.decode_header(raw)]
        decoded = str(email.header.make_header(words))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        decoded = raw
    return clean_text(valid_unicode(decoded), limit)


def _readable(text: bytes | str, charset: str | None) -> tuple[bytes | str, str | None]:
    """An encoded word as UTF-8, its undecodable bytes (a lone 0xFF, half a GB2312 pair) as U+FFFD:
    the strict decoding in make_header would otherwise leave the whole value undecoded."""
    if not isinstance(text, bytes) or charset is None:
        return text, charset
    try:
        return valid_unicode(text.decode(charset, "replace")).encode("utf-8"), "utf-8"
    except LookupError:
        return text.decode("utf-8", "replace").encode("utf-8"), "utf-8"


SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """Lone surrogates (UTF-7's "+3Rk-", escaped 8-bit bytes) as U+FFFD: the database and every
    encoder refuse them."""
    return SURROGATE.sub("\ufffd", text) if SURROGATE.search(text) else text


def _unsurrogate(text: str) -> str:
    # 8-bit header bytes arrive as surrogate escapes; most are UTF-8 (RFC 6532), else Latin-1.
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def single_sender(values: list[str]) -> tuple[str, str, str | None]:
    """(address, display name, problem): the one well-formed From, or a reason it is refused.

    Ambiguity is refused rather than guessed (CVE-2023-27043): two From headers, several
    addresses, a parse defect, or a display name that is itself an address.
    """
    if len(values) != 1:
        return "", "", f"{len(values)} From headers"
    raw = _unsurrogate(values[0])
    if len(raw) > MAX_ADDRESS_CHARS:
        return "", "", "From header too long"
    try:
        header = _registry("from", raw.replace("\r", "").replace("\n", ""))
        addresses = header.addresses
    except (RecursionError, Exception) as exc:  # the stdlib parser raises many kinds here
        return "", "", f"From header unreadable ({type(exc).__name__})"
    invalid = [d for d in header.defects if isinstance(d, email.errors.InvalidHeaderDefect)]
    if invalid or len(addresses) != 1:
        return "", "", "From header is not exactly one valid address"
    address, name = addresses[0].addr_spec, clean_text(valid_unicode(addresses[0].display_name), 200)
    if not is_address(address):
        return "", name, f"{address!r} is not a usable address"
    if "@" in name:
        return "", name, "display name looks like an address"
    return address.lower(), name, None


def message_ids(raw: str, limit: int = 50) -> list[str]:
    """The ids named in a Message-ID / In-Reply-To / References value, last `limit` kept."""
    return MSGID.findall(_unsurrogate(raw[:100_000]))[-limit:]


def first_message_id(raw: str | None) -> str | None:
    if not raw:
        return None
    found = message_ids(raw, 1)
    if found:
        return found[0]
    bare = clean_text(raw, 900).strip("<>")
    return bare if "@" in bare and " " not in bare else None


def generated_message_id(raw_message: bytes) -> str:
    """A stable id for a message that has none, so a redelivery is still recognised, and an mbox
    export imported again too: line ends and trailing blank lines do not count."""
    normal = raw_message.replace(b"\r\n", b"\n").rstrip(b"\n")
    return f"{hashlib.sha256(normal).hexdigest()[:40]}@generated.hubmail.invalid"
