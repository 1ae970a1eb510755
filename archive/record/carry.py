"""An original message carried inside a notice: as message/rfc822 only when a strict reader takes it.

A hostile original (1,000 nested parts, NUL bytes, bare CR, a line past 998 octets) attached
verbatim makes the moderator's mail client, or a relay, fail; such an original travels as an
opaque application/octet-stream file instead (archive.record.outgoing).
"""

from __future__ import annotations

import email.errors
import email.policy
from email.parser import BytesParser
from functools import lru_cache

from archive.record.parsing import ParseLimits

# compat32: the same structural checks, without building header objects nobody reads here.
STRICT = email.policy.compat32.clone(raise_on_defect=True)
MAX_LINE = 998  # RFC 5322 §2.1.1
LIMITS = ParseLimits()


@lru_cache(maxsize=4)  # one post's notices to several moderators share the answer
def carry_original(raw: bytes, limits: ParseLimits = LIMITS) -> bytes | None:
    """The original with CRLF line ends, if it may travel as message/rfc822; else None."""
    body = raw.replace(b"\r\n", b"\n")
    if b"\r" in body or b"\x00" in body or not body.strip():
        return None
    lines = body.split(b"\n")
    if any(len(line) > MAX_LINE for line in lines):
        return None
    body = b"\r\n".join(lines)
    try:
        message = BytesParser(policy=STRICT).parsebytes(body)
    except (RecursionError, email.errors.MessageError, ValueError, LookupError):
        return None
    return body if _within(message, limits) else None


def _within(message, limits: ParseLimits) -> bool:
    """Nesting and part count within the limits we read mail with (walked without recursion)."""
    stack, parts = [(message, 0)], 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if depth > limits.max_mime_depth or parts > limits.max_mime_parts:
            return False
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload)
    return True
