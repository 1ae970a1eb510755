"""An edited post as the public gets it: the original's headers, the moderators' text, its files.

After `edit` the page shows the moderators' text, so /raw, every mbox and the export's copies must
serve that too, never the text they replaced (issue 14). The original stays in Post.raw, for the
moderators (it is attached to their notices) and `hubmail original`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from pathlib import Path

from sqlalchemy import func

from archive.record.attachments import blob_path
from archive.record.mime import file_part, multipart, text_part
from archive.record.models import Post

EDITED = "X-Hubmail-Edited"
# What no longer describes the message (its body and MIME structure are new), and signatures
# that would now fail: an edited message does not claim to be what its author's domain signed.
DROPPED = re.compile(
    rb"^(content-[a-z-]+|mime-version|dkim-signature|arc-[a-z-]+|x-hubmail-edited)\s*:", re.IGNORECASE
)
# The bytes the public gets of a post, for queries that read many posts (mbox files, the export).
PUBLIC_RAW = func.coalesce(Post.edited_raw, Post.raw).label("raw")


def public_raw(post: Post) -> bytes:
    """The message as published: the edited one after an edit, else the bytes as they came."""
    return post.edited_raw if post.edited_raw is not None else post.raw


def edited_message(post: Post, text: str, when: dt.datetime, attachment_root: Path) -> bytes:
    """The original's header fields but its MIME ones, the moderators' text, the post's files."""
    head = b"".join(field for field in _fields(post.raw) if not DROPPED.match(field))
    stamp = email.utils.format_datetime(when.astimezone(dt.UTC))
    head += f"MIME-Version: 1.0\r\n{EDITED}: {stamp} by the moderators\r\n".encode()
    files = [
        file_part(path.read_bytes(), meta["content_type"], meta["filename"])
        for meta in post.attachments
        if (path := blob_path(attachment_root, meta.get("sha256", ""))) is not None
    ]
    body = text_part(text, "plain")
    return head + (multipart("mixed", [body, *files]) if files else body)


def _fields(raw: bytes) -> list[bytes]:
    """The header fields of a message, each with its folded lines, ending CRLF."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    fields: list[bytes] = []
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\r\n"
        elif line and not line.startswith(b"From "):  # an mbox From_ line is no header field
            fields.append(line + b"\r\n")
    return fields
