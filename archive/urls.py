"""Stable archive URLs, keyed by space and a hash of the Message-ID (as Mailman's Message-ID-Hash)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote


def message_hash(message_id: str) -> str:
    """RFC 5064 Archived-At style key: base32 of the SHA-1 of the id, safe in any URL."""
    return base64.b32encode(hashlib.sha1(message_id.strip("<>").encode()).digest()).decode()


def space_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/{slug}/"


def post_url(base_url: str, slug: str, message_id: str) -> str:
    return f"{space_url(base_url, slug)}message/{message_hash(message_id)}/"


def attachment_url(base_url: str, slug: str, post, index: int) -> str:
    """A post's attachment in the archive (always served as a download)."""
    filename = post.attachments[index]["filename"] or "attachment"
    return f"{post_url(base_url, slug, post.message_id)}{index}/{quote(filename)}"
