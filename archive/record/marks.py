"""Markers for what differs per recipient of a shared letter (archive.record.bodies), and putting values in.

In a part written as it is (7bit or 8bit) a marker is replaced by the value. A part that must be
encoded is written as quoted-printable by `quoted_printable`, each marker alone on a soft-broken
line as its `qmark`, which is replaced by the value wrapped with soft line breaks: the decoded
text reads exactly as if the value had been there all along (RFC 2045 §6.7).
"""

from __future__ import annotations

import binascii
import re

MARK = re.compile(r"hubmail-mark-([a-z]+)-e6b1c0")
QP_LINE = 73  # value characters per quoted-printable line, with room for "=" and CRLF within 76


def mark(name: str) -> str:
    return f"hubmail-mark-{name}-e6b1c0"


def qmark(name: str) -> str:
    return f"hubmail-qmark-{name}-e6b1c0"


def count(raw: bytes, name: str) -> int:
    """How many places in the composed bytes take this value."""
    return raw.count(mark(name).encode()) + raw.count(qmark(name).encode())


def quoted_printable(text: str) -> str:
    """`text` as quoted-printable, with LF line ends; each marker alone on a line as its qmark."""
    pieces = MARK.split(text)
    encoded = []
    for index, piece in enumerate(pieces):
        if index % 2:
            encoded.append(f"=\n{qmark(piece)}=\n")
        elif piece:
            encoded.append(binascii.b2a_qp(piece.encode("utf-8"), istext=True).decode("ascii"))
    return "".join(encoded)


def fill(body: bytes, personal: dict[str, str]) -> bytes:
    """The body with each marker replaced by its value (wrapped as quoted-printable where it must be)."""
    for name, value in personal.items():
        data = value.encode("utf-8")
        body = body.replace(mark(name).encode(), data)
        if qmark(name).encode() in body:
            body = body.replace(qmark(name).encode(), b"=\r\n".join(_qp_lines(data)))
    return body


def _qp_lines(data: bytes) -> list[bytes]:
    """A value as quoted-printable lines of at most QP_LINE characters, never cut inside an =XX."""
    tokens = [bytes([b]) if 33 <= b <= 126 and b != 61 else f"={b:02X}".encode() for b in data]
    lines, line = [], b""
    for token in tokens:
        if len(line) + len(token) > QP_LINE:
            lines.append(line)
            line = b""
        line += token
    return [*lines, line]
