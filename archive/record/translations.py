"""Posts' translations: kept one per post and language, read for a page, a digest or the report (issue 16).

A moderator's translation replaces any earlier one of the same language (a moderator's or a
machine's); a machine translation fills only a language nobody has translated, and is always shown as
"Machine translation". Pages, the export and digests give the reader's language's translation first
and the original beside it; feeds, /raw and mbox files keep the original.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

from sqlmodel import Session, col, select

from archive.record.models import Post, Translation


class Saved(StrEnum):
    """What became of a translation handed in."""

    ADDED = "added"
    REPLACED = "replaced"  # the language had one; this one is shown now
    KEPT_MODERATORS = "kept the moderators'"  # a machine's, where the moderators' stays


def save_translation(
    session: Session, post: Post, language: str, text: str, by: str, at: dt.datetime, machine: bool = False
) -> Saved:
    """Keep `text` as the post's translation into `language`. The post's row is locked first, so two
    moderators translating at once take turns and the later one is kept (PostgreSQL; SQLite
    serializes writers by itself)."""
    session.flush()  # what earlier commands of the same reply changed, before the row is read again
    session.refresh(post, with_for_update=True)
    query = select(Translation).where(Translation.post_id == post.id, Translation.language == language)
    earlier = session.exec(query).first()
    if earlier is not None and machine and not earlier.machine:
        return Saved.KEPT_MODERATORS
    row = earlier or Translation(post_id=post.id, language=language, text="", by="")
    row.text, row.by, row.at, row.machine = text, by, at, machine
    session.add(row)
    session.flush()
    return Saved.ADDED if earlier is None else Saved.REPLACED


def translations_in(session: Session, post_ids: Iterable[int], language: str) -> dict[int, Translation]:
    """post id -> its translation into `language`, for the posts that have one."""
    ids = list(set(post_ids))
    if not ids or not language:
        return {}
    query = select(Translation).where(col(Translation.post_id).in_(ids), Translation.language == language)
    return {row.post_id: row for row in session.exec(query)}


def space_translations(session: Session, space_id: int) -> dict[int, dict[str, Translation]]:
    """post id -> language -> translation, for every post of the space that has one (the report)."""
    query = (
        select(Translation)
        .join(Post, col(Post.id) == col(Translation.post_id))
        .where(Post.space_id == space_id)
        .order_by(Translation.post_id, Translation.language)
    )
    found: dict[int, dict[str, Translation]] = defaultdict(dict)
    for row in session.exec(query):
        found[row.post_id][row.language] = row
    return dict(found)


def translation_marks(session: Session, space_id: int) -> dict[int, int]:
    """post id -> a 64-bit mark of its translations, for the export's fingerprints
    (archive.web.export_plan): a translation added or replaced rewrites the pages showing the post."""
    query = (
        select(Translation.post_id, Translation.language, Translation.machine, Translation.text)
        .join(Post, col(Post.id) == col(Translation.post_id))
        .where(Post.space_id == space_id)
        .order_by(Translation.post_id, Translation.language)
    )
    digests: dict[int, hashlib.blake2b] = {}
    for post_id, language, machine, text in session.connection().execute(query):
        digest = digests.setdefault(post_id, hashlib.blake2b(digest_size=8))
        digest.update(f"{language}|{machine}|{len(text)}|".encode() + text.encode())
    return {post_id: int.from_bytes(d.digest(), "big") for post_id, d in digests.items()}
