"""The text of a file someone sent as a post's translation: plain text, or a Word document (.docx).

A .docx is read with python-docx: its paragraphs, then its tables' cells, in order, one paragraph a
line. Anything else (a .doc, a PDF, an image) is refused with what we take, never guessed at.
"""

from __future__ import annotations

import io

from docx import Document

TAKEN = (".txt", ".docx")
MAX_BYTES = 5_000_000  # a translation, not a book: bigger files are refused before being read


class Unreadable(ValueError):
    """The file is not text we can read; the message names the file."""


def takes(filename: str) -> bool:
    """Is this a file we read as a translation (by its name's ending, as a moderator sees it)?"""
    return filename.lower().endswith(TAKEN)


def file_text(filename: str, data: bytes) -> str:
    """The file's text, stripped of surrounding blank lines."""
    if len(data) > MAX_BYTES:
        raise Unreadable(filename)
    name = filename.lower()
    if name.endswith(".txt"):
        return _plain(data).strip()
    if name.endswith(".docx"):
        return _word(filename, data).strip()
    raise Unreadable(filename)


def _plain(data: bytes) -> str:
    """UTF-8 (with or without its byte order mark), else UTF-16 with one, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _word(filename: str, data: bytes) -> str:
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a broken or foreign file
        raise Unreadable(filename) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines).replace("\r\n", "\n")
