"""Full-text search of published posts: SQLite FTS5 ranked by bm25, or PostgreSQL's text search
(websearch_to_tsquery on a stored, GIN-indexed tsvector), the same query language on both."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from archive.record.models import Post

# A visitor's query, in the web-search syntax people know (PostgreSQL's websearch_to_tsquery):
# words, "a phrase", -word to leave out, OR between alternatives.
TERM = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 20
# Ranked among the newest WINDOW matches: a word in half the posts ("migrants") costs this many
# scores, not one per post of the archive; a rarer word has all its matches ranked.
WINDOW = 5000


@dataclass(frozen=True)
class SearchFilters:
    space_ids: tuple[int, ...]  # the spaces the visitor may see: never empty-means-all
    every_space: bool = False  # space_ids are all the spaces there are: no need to say which
    question_id: int | None = None
    author: str = ""
    since: str = ""  # ISO date
    until: str = ""
    language: str = ""  # as detected when the post was stored


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    excluded: bool = False
    either: bool = False  # joined to the term before it by OR


def parse_query(query: str) -> list[Term]:
    """Terms of the visitor's query; punctuation and operators never reach the database as syntax."""
    terms: list[Term] = []
    either = False
    for match in TERM.finditer(query):
        minus, phrase, minus_word, bare = match.groups()
        if bare == "OR":
            either = bool(terms)
            continue
        words = tuple(WORD.findall(phrase if phrase is not None else bare))
        if words:
            terms.append(Term(words, bool(minus or minus_word), either and not (minus or minus_word)))
        either = False
        if len(terms) == MAX_TERMS:
            break
    return terms


def searched_words(query: str) -> set[str]:
    """The words a result should show marked (not the excluded ones)."""
    return {w.casefold() for term in parse_query(query) if not term.excluded for w in term.words}


def fts5_query(terms: list[Term]) -> str:
    """FTS5 MATCH text: each word quoted (so never FTS5 syntax), AND by default, OR, NOT at the end."""
    wanted, excluded = [t for t in terms if not t.excluded], [t for t in terms if t.excluded]
    if not wanted:
        return ""
    parts: list[str] = []
    for term in wanted:
        quoted = _quoted(term.words)
        if term.either and parts:
            parts[-1] = f"({parts[-1]} OR {quoted})"
        else:
            parts.append(quoted)
    match = " AND ".join(parts)
    for term in excluded:
        match = f"({match}) NOT {_quoted(term.words)}"
    return match


def _quoted(words: tuple[str, ...]) -> str:
    return '"' + " ".join(w.replace('"', "") for w in words) + '"'


def index_post(session: Session, post: Post) -> None:
    """Make a newly published post findable (PostgreSQL keeps its own stored vector: nothing to do)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    files = " ".join(a.get("filename", "") for a in post.attachments)
    session.execute(text("DELETE FROM post_search WHERE rowid = :id"), {"id": post.id})
    session.execute(
        text(
            "INSERT INTO post_search (rowid, subject, body, author, files, scope) "
            "VALUES (:id, :subject, :body, :author, :files, :scope)"
        ),
        {
            "id": post.id,
            "subject": post.subject,
            "body": post.body_text,
            "author": f"{post.from_name} {post.from_addr}",
            "files": files,
            "scope": scope_of(post),
        },
    )


def scope_of(post: Post) -> str:
    """Where a post belongs, as words the index can intersect with a query (the same SQL is in
    migration 0011): its space, question and language."""
    return f"s{post.space_id} q{post.question_id or 0} l{post.language or 'und'}"


def search(
    session: Session, query: str, filters: SearchFilters, limit: int = 50, offset: int = 0
) -> list[int]:
    """Ids of matching published posts in the allowed spaces, best first, at most `limit`."""
    terms = parse_query(query)
    if not terms or not filters.space_ids:
        return []
    conditions, params = _filters(filters)
    params.update(limit=limit, offset=offset, window=WINDOW)
    if session.get_bind().dialect.name == "sqlite":
        params["match"] = _scoped(fts5_query(terms), filters)
        if not params["match"]:
            return []
        # The window is cut inside FTS5 (newest first, by rowid), so the scores and the join
        # below cost at most WINDOW rows; rank is bm25 with the subject weighted (migration 0011).
        sql = (
            "SELECT post.id FROM (SELECT rowid AS id, rank AS score FROM post_search "
            "WHERE post_search MATCH :match ORDER BY rowid DESC LIMIT :window) AS hit "
            f"JOIN post ON post.id = hit.id WHERE {conditions} "
            "ORDER BY hit.score, post.id DESC LIMIT :limit OFFSET :offset"
        )
    else:
        params["match"] = query
        conditions += _postgres_scope(filters, params)
        sql = (
            "SELECT id FROM (SELECT post.id, post.search_vector, q FROM post, "
            "websearch_to_tsquery('simple', :match) AS q "
            f"WHERE post.search_vector @@ q AND {conditions} ORDER BY post.id DESC LIMIT :window) AS hit "
            "ORDER BY ts_rank_cd(hit.search_vector, hit.q) DESC, id DESC LIMIT :limit OFFSET :offset"
        )
    return [row[0] for row in session.execute(text(sql), params)]


def _scoped(match: str, filters: SearchFilters) -> str:
    """The FTS5 query narrowed inside the index to the spaces, question, language and author asked."""
    if not match:
        return ""
    parts = [match]
    if not filters.every_space:
        parts.append("scope : (" + " OR ".join(f'"s{int(i)}"' for i in filters.space_ids) + ")")
    if filters.question_id:
        parts.append(f'scope : "q{int(filters.question_id)}"')
    if filters.language:
        parts.append(f"scope : {_quoted(('l' + filters.language,))}")
    author = tuple(WORD.findall(filters.author))
    if author:
        parts.append(f"author : {_quoted(author)}*")  # the last word may be cut short: "Lin" finds Lind
    return " AND ".join(f"({part})" for part in parts)


def _postgres_scope(filters: SearchFilters, params: dict) -> str:
    conditions = ""
    if filters.question_id:
        conditions += " AND post.question_id = :question"
        params["question"] = filters.question_id
    if filters.language:
        conditions += " AND post.language = :language"
        params["language"] = filters.language
    if filters.author:
        conditions += " AND (lower(post.from_name) LIKE :author OR lower(post.from_addr) LIKE :author)"
        params["author"] = f"%{filters.author.lower()}%"
    return conditions


def _filters(filters: SearchFilters) -> tuple[str, dict]:
    """What both databases check in SQL: published, in an allowed space, within the dates."""
    ids = ", ".join(str(int(i)) for i in filters.space_ids)
    conditions = ["post.status = 'published'", f"post.space_id IN ({ids})"]
    params: dict = {}
    if filters.since:
        conditions.append("post.received_at >= :since")
        params["since"] = filters.since
    if filters.until:
        conditions.append("post.received_at < :until")
        params["until"] = filters.until
    return " AND ".join(conditions), params
