"""Header values as they go on the wire: RFC 5322 phrases and RFC 2047 encoded words, folded by us.

The standard library's folder is not used for the headers hubmail writes: in CPython 3.11 it
leaves `:` unquoted beside an encoded word in a display name (the reader then sees group
syntax) and drops the spaces between adjacent encoded words in a Subject. Here every value
is either plain ASCII that a strict parser reads back as it is, or wholly encoded words that
carry every character, spaces included; lines stay within 78 characters.
"""

from __future__ import annotations

import base64
import re
import string

LINE = 78  # RFC 5322 §2.1.1: SHOULD be no more than 78 characters
WORD = 75  # RFC 2047 §2: an encoded word is at most 75 characters
PREFIX, SUFFIX = "=?utf-8?q?", "?="
# RFC 2047 §5(3): the characters an encoded word in a phrase may carry as they are.
Q_SAFE = frozenset((string.ascii_letters + string.digits + "!*+-/").encode())
ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*")
PLAIN = re.compile(r"[\x21-\x7e]+( [\x21-\x7e]+)*")


def encoded_words(text: str, first_room: int) -> list[str]:
    """`text` as Q encoded words, each whole characters, the first at most `first_room` long."""
    words, current, room = [], "", max(first_room, len(PREFIX) + len(SUFFIX) + 12)
    for char in text:
        piece = "".join(
            chr(b) if b in Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in char.encode("utf-8")
        )
        if current and len(PREFIX) + len(current) + len(piece) + len(SUFFIX) > room:
            words.append(PREFIX + current + SUFFIX)
            current, room = "", WORD
        current += piece
    words.append(PREFIX + current + SUFFIX)
    return words


def fold(name: str, words: list[str]) -> str:
    """`words` joined by single spaces, a line break (CRLF SP) put where a line would pass 78."""
    lines, line = [], f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines)[len(name) + 2 :]


def unstructured(name: str, value: str) -> str:
    """A Subject-like value (RFC 5322 §3.2.5): plain when that reads back exactly, else encoded."""
    if not value:
        return ""
    words = value.split(" ")
    if PLAIN.fullmatch(value) and "=?" not in value and max(map(len, words)) <= LINE - len(name) - 3:
        return fold(name, words)
    return fold(name, encoded_words(value, LINE - len(name) - 2))


def phrase(name: str, value: str, tail: str) -> str:
    """A display name before `tail` (` <addr>`): atoms, a quoted string, or atoms and encoded words.

    Adjacent encoded words are avoided here: RFC 2047 §6.2 says the space between them is to
    be ignored, but CPython 3.11 reads it as a space in a phrase (never in a Subject), so a
    split word would come back with a space in it. Each run of words that needs encoding is
    therefore one encoded word, longer than 75 characters if it must be (still one line).
    """
    if not value:
        return tail.strip()
    if PLAIN.fullmatch(value) and "=?" not in value:
        if ATOM.fullmatch(value):
            return fold(name, [*value.split(" "), tail.strip()])
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        return fold(name, [f'"{quoted}"', tail.strip()])
    tokens = value.split(" ")
    words: list[str] = []
    run: list[str] = []
    for token in [*tokens, None]:
        if token is not None and not (ATOM.fullmatch(token) and "=?" not in token):
            run.append(token)
            continue
        if run:
            words.append(encoded_word(" ".join(run)))
            run = []
        if token is not None:
            words.append(token)
    return fold(name, [*words, tail.strip()])


def encoded_word(text: str) -> str:
    """One encoded word for `text`, Q or B, whichever is shorter."""
    data = text.encode("utf-8")
    q = "".join(chr(b) if b in Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in data)
    b = base64.b64encode(data).decode("ascii")
    return f"=?utf-8?q?{q}?=" if len(q) <= len(b) else f"=?utf-8?b?{b}?="


def display_name(value: str) -> str:
    """A name as a phrase can carry it: readers fold runs of white space into one space."""
    return " ".join(value.split())


def mailbox(name: str, display_name: str, address: str) -> str:
    """`Display Name <address>`, or the bare address; the address is ASCII, checked by the caller.

    `display_name` is one line (no CR, LF or other controls) with single spaces: see display_name().
    """
    if not display_name:
        return address
    return phrase(name, display_name, f"<{address}>")
