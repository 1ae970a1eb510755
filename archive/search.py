"""Full-text search of published posts: SQLite FTS5, or PostgreSQL's text search, same interface."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from archive.models import Post

WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchFilters:
    space_ids: tuple[int, ...]  # the spaces the visitor may see: never empty-means-all
    question_id: int | None = None
    author: str = ""
    since: str = ""  # ISO date
    until: str = ""
    language: str = ""  # as detected when the post was stored


def index_post(session: Session, post: Post) -> None:
    """Make a newly published post findable (PostgreSQL indexes by expression: nothing to do)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    files = " ".join(a.get("filename", "") for a in post.attachments)
    session.execute(text("DELETE FROM post_search WHERE rowid = :id"), {"id": post.id})
    session.execute(
        text(
            "INSERT INTO post_search (rowid, subject, body, author, files) "
            "VALUES (:id, :subject, :body, :author, :files)"
        ),
        {
            "id": post.id,
            "subject": post.subject,
            "body": post.body_text,
            "author": f"{post.from_name} {post.from_addr}",
            "files": files,
        },
    )


def unindex_post(session: Session, post_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM post_search WHERE rowid = :id"), {"id": post_id})


def search(
    session: Session, query: str, filters: SearchFilters, limit: int = 50, offset: int = 0
) -> list[int]:
    """Ids of matching published posts in the allowed spaces, best first."""
    words = WORD.findall(query)[:20]
    if not words or not filters.space_ids:
        return []
    conditions, params = _filters(filters)
    params.update(limit=limit, offset=offset)
    if session.get_bind().dialect.name == "sqlite":
        # Each word quoted: the visitor's text is never FTS5 query syntax.
        params["match"] = " ".join('"' + w.replace('"', "") + '"' for w in words)
        sql = (
            "SELECT post.id FROM post_search JOIN post ON post.id = post_search.rowid "
            f"WHERE post_search MATCH :match AND {conditions} ORDER BY bm25(post_search), post.id DESC "
            "LIMIT :limit OFFSET :offset"
        )
    else:
        params["match"] = " ".join(words)
        sql = (
            "SELECT post.id FROM post WHERE to_tsvector('simple', subject || ' ' || body_text || ' ' || "
            "from_name || ' ' || from_addr) @@ plainto_tsquery('simple', :match) "
            f"AND {conditions} ORDER BY post.received_at DESC LIMIT :limit OFFSET :offset"
        )
    return [row[0] for row in session.execute(text(sql), params)]


def _filters(filters: SearchFilters) -> tuple[str, dict]:
    ids = ", ".join(str(int(i)) for i in filters.space_ids)
    conditions = ["post.status = 'published'", f"post.space_id IN ({ids})"]
    params: dict = {}
    if filters.question_id:
        conditions.append("post.question_id = :question")
        params["question"] = filters.question_id
    if filters.author:
        conditions.append("(lower(post.from_name) LIKE :author OR lower(post.from_addr) LIKE :author)")
        params["author"] = f"%{filters.author.lower()}%"
    if filters.since:
        conditions.append("post.received_at >= :since")
        params["since"] = filters.since
    if filters.until:
        conditions.append("post.received_at < :until")
        params["until"] = filters.until
    if filters.language:
        conditions.append("post.language = :language")
        params["language"] = filters.language
    return " AND ".join(conditions), params
