"""One space's batch of exported files: its row, its language, and its posts read as the pages show them."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from archive.record import reading
from archive.record.models import Post, Question, Space
from archive.record.translations import translations_in
from archive.web.context import Archive
from archive.web.taking_part import TakingPart, taking_part
from config.database import utcnow

# The columns templates and threading read (a column added to a template fails tests/unit/archive/
# test_export.py until it is named here); plain rows, as cheap to read as they are to render.
SHOWN = [Post.id, Post.space_id, Post.question_id, Post.status, Post.message_id, Post.message_hash,
         Post.from_addr, Post.from_name, Post.subject, Post.sent_at, Post.received_at, Post.published_at,
         Post.parent_message_id, Post.parent_id, Post.thread_id, Post.attachments, Post.display_html,
         Post.language, Post.is_summary, Post.edited_at]  # fmt: skip
PUBLISHED = reading.PUBLISHED


class Context:
    """One space's batch: its row, language and helpers to read posts as pages are given them."""

    def __init__(self, archive: Archive, session, space: Space, urls: dict) -> None:
        self.archive, self.session, self.space, self.urls = archive, session, space, urls
        self.base = f"/{space.slug}/"
        self.language = archive.language(request_for(self.base), space.languages)
        self.remembered: dict = {}

    def remember(self, key, read):
        """What read() returns, read once a batch (a question, the order of a question's threads)."""
        if key not in self.remembered:
            self.remembered[key] = read()
        return self.remembered[key]

    def question(self, question_id: int | None) -> Question | None:
        if question_id is None:
            return None
        return self.remember(("question", question_id), lambda: self.session.get(Question, question_id))

    def reply_address(self, question: Question | None) -> str:
        return self.archive.reply_address(self.space, question)

    def taking_part(self, question: Question | None) -> TakingPart:
        return taking_part(self.archive.settings, self.space, question, utcnow())

    def render(self, url: str, template: str, **values) -> bytes:
        response = self.archive.render(request_for(url), template, self.language, space=self.space, **values)
        return response.body

    def posts(self, *where) -> list:
        query = select(*SHOWN).where(Post.space_id == self.space.id, Post.status == PUBLISHED, *where)
        return list(self.session.connection().execute(query))

    def translations(self, posts: list) -> dict:
        """The posts' translations into the batch's language, as the pages show them."""
        return translations_in(self.session, [p.id for p in posts], self.language)

    def parents(self, posts: list, known: dict[int, object]) -> dict[int, object]:
        """reading.parents_of for a batch: each post's published parent, from `known` or read."""
        wanted = {p.parent_id for p in posts if p.parent_id} - known.keys()
        if wanted:
            query = select(*SHOWN).where(Post.id.in_(wanted), Post.status == PUBLISHED)
            known = {**known, **{p.id: p for p in self.session.connection().execute(query)}}
        return {p.id: known[p.parent_id] for p in posts if p.parent_id in known}


def scope_for(path: str) -> dict:
    """An anonymous visitor's GET of path, as the ASGI scope the app is given."""
    host = [(b"host", b"export.invalid")]
    return {"type": "http", "method": "GET", "scheme": "http", "server": ("export.invalid", 80),
            "path": path, "root_path": "", "query_string": b"", "headers": host}  # fmt: skip


def request_for(path: str) -> Request:
    return Request(scope_for(path))
