"""The MIME structure of the letters hubmail sends, written as bytes (RFC 2045-2049).

hubmail sends a handful of shapes: text, text with its HTML alternative, either with files and
the original message. Writing them directly costs a tenth of building them with the email
package's header registry, and every byte is ours to check: tests read each letter back with a
strict parser.
"""

from __future__ import annotations

import base64
import email.utils
import re
import secrets

from archive.record.marks import MARK, quoted_printable

CRLF = b"\r\n"
TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # RFC 2045 token: a parameter value written bare
KEPT_AS_WRITTEN = re.compile(r"(<(?:pre|textarea)\b.*?</(?:pre|textarea)\s*>)", re.IGNORECASE | re.DOTALL)
PACKED_LINE = 800  # octets: a marker's value still fits within SMTP's 998 (its line is its own anyway)


def text_part(text: str, subtype: str) -> bytes:
    """A text part: 7bit or 8bit, written as it is, while every line fits SMTP's 998 octets
    (RFC 5321 §4.5.3.1.6); else quoted-printable that keeps archive.record.bodies' markers whole."""
    text = text if text.endswith("\n") else text + "\n"
    if all(len(line.encode("utf-8")) <= 998 for line in text.split("\n")):
        encoding, body = ("7bit" if text.isascii() else "8bit"), text.encode("utf-8")
    else:
        encoding, body = "quoted-printable", quoted_printable(text).encode("ascii")
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n'
    return head.encode() + CRLF + _crlf(body)


def packed_html(html: str) -> str:
    """HTML with its lines joined into lines of up to PACKED_LINE octets. To HTML a line break is
    a space (outside <pre> and <textarea>, left as written), but a relay reads mail a line at a
    time: a 1,000-post digest's HTML part went from 20,000 lines to about 2,200. A line with a
    marker (archive.record.marks) stays a line of its own, so the value put in cannot push it past 998."""
    pieces = KEPT_AS_WRITTEN.split(html)
    return "".join(piece if index % 2 else _packed(piece) for index, piece in enumerate(pieces))


def _packed(text: str) -> str:
    packed: list[str] = []
    joined: list[str] = []
    size = -1  # octets of " ".join(joined)
    for line in text.split("\n"):
        width = len(line.encode("utf-8"))
        if MARK.search(line) or (joined and size + 1 + width > PACKED_LINE):
            packed += [" ".join(joined)] if joined else []
            joined, size = [], -1
        if MARK.search(line):
            packed.append(line)
            continue
        joined.append(line)
        size += 1 + width
    packed += [" ".join(joined)] if joined else []
    return "\n".join(packed)


def file_part(data: bytes, content_type: str, filename: str) -> bytes:
    """A file, base64 in lines of 76, named in Content-Disposition (RFC 2231 when not ASCII)."""
    head = (
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {_parameter('filename', filename)}\r\n"
    )
    return head.encode() + CRLF + _crlf(base64.encodebytes(data))


def message_part(raw: bytes) -> bytes:
    """A message carried as message/rfc822, byte for byte (archive.record.carry says when that is safe)."""
    encoding = "" if raw.isascii() else "Content-Transfer-Encoding: 8bit\r\n"
    disposition = 'Content-Disposition: attachment; filename="original.eml"\r\n'
    return f"Content-Type: message/rfc822\r\n{encoding}{disposition}".encode() + CRLF + raw


def multipart(subtype: str, parts: list[bytes]) -> bytes:
    """Parts under a boundary that occurs in none of them."""
    boundary = f"=_hubmail_{secrets.token_hex(12)}"
    while any(boundary.encode() in part for part in parts):
        boundary = f"=_hubmail_{secrets.token_hex(12)}"
    delimiter = b"--" + boundary.encode()
    # The CRLF before each delimiter belongs to it (RFC 2046 §5.1.1): a part keeps its own last line end.
    body = b"".join(delimiter + CRLF + part + CRLF for part in parts) + delimiter + b"--" + CRLF
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n'
    return head.encode() + CRLF + body


def message(headers: list[tuple[str, str]], content: bytes) -> bytes:
    """Headers (values already written for the wire, folds included), MIME-Version, then the content."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers) + "MIME-Version: 1.0\r\n"
    return head.encode("ascii") + content


def _parameter(name: str, value: str) -> str:
    if value.isascii() and TOKEN.fullmatch(value):
        return f"{name}={value}"
    if value.isascii() and value.isprintable():
        return f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name}*={email.utils.encode_rfc2231(value, 'utf-8')}"


def _crlf(data: bytes) -> bytes:
    return data.replace(CRLF, b"\n").replace(b"\n", CRLF)
