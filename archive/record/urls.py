"""Stable archive URLs, keyed by space and a hash of the Message-ID (as Mailman's Message-ID-Hash)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from archive.record.commandlines import without_reply_prefix


def message_hash(message_id: str) -> str:
    """RFC 5064 Archived-At style key: base32 of the SHA-1 of the id, safe in any URL."""
    return base64.b32encode(hashlib.sha1(message_id.strip("<>").encode()).digest()).decode()


def space_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/{slug}/"


def post_url(base_url: str, slug: str, message_id: str) -> str:
    return f"{space_url(base_url, slug)}message/{message_hash(message_id)}/"


def attachment_path(slug: str, digest: str, index: int) -> str:
    """Where a post's attachment is, live and in the static export: a name hubmail chooses, never the
    sender's (issue 14). `.bin` makes every web server call it application/octet-stream whatever its
    bytes, so a static copy served by any server offers it as a download instead of running it."""
    return f"/{slug}/message/{digest}/{index}.bin"


def attachment_url(base_url: str, slug: str, post, index: int) -> str:
    """A post's attachment in the archive (always served as a download, under its own name)."""
    return base_url.rstrip("/") + attachment_path(slug, message_hash(post.message_id), index)


def reply_subject(subject: str) -> str:
    """'Re: ' once, however many reply prefixes (in any language) the subject already has."""
    return f"Re: {without_reply_prefix(subject)}"


def reply_mailto(address: str, subject: str, message_id: str) -> str:
    """A mailto: link (RFC 6068) whose In-Reply-To names the post, so that a reply written from a
    digest or an archive page joins its thread, as public-inbox offers under every message."""
    subject = quote(reply_subject(subject)[:200])
    return f"mailto:{address}?subject={subject}&In-Reply-To={quote(f'<{message_id}>')}"
