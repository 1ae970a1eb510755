"""What a static export holds: every public URL, what kind of file it is, and a fingerprint of what
its content is made from, so a second export renders only what changed (issue 12).

A post's mark covers what any page shows of it that can change after it is published (a moderator's
edit, a move to another question, a late parent's adoption); its Message-ID, sender, subject, date
and attachments never change. A page's fingerprint combines the marks of the posts it shows (and
their parents'), its space's and question's rows, and the generation: hubmail's version, its
templates and code, and the settings pages depend on. Pages that show the time of day (the site
index, a space's front page) are rendered every time and written only if their bytes differ.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from archive import site
from archive.models import Post, Space
from archive.urls import message_hash
from archive.visibility import ANONYMOUS, gives_raw_mail, readable_spaces
from config import Settings

MASK = (1 << 64) - 1
CHARTS = ("weeks", "questions", "organisations")  # archive.stats.CHARTS, without importing pygal
MARKED = (Post.id, Post.message_id, Post.thread_id, Post.parent_id, Post.question_id, Post.published_at,
          Post.is_summary, Post.language, Post.raw_sha256, Post.attachments, Post.display_html)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One file: its kind (archive.export_render.KINDS, or "app" for a page asked of the app), the
    key telling which post, thread or page, and its fingerprint (None: render every time)."""

    kind: str
    slug: str
    key: object
    fingerprint: str | None


def fingerprint(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()


def generation(settings: Settings) -> str:
    """What every page depends on besides the record: change any of it and all is rendered again."""
    files = [*_sources("templates", ("*.html", "*.css", "*.po")), *_sources("archive", ("*.py",))]
    if settings.templates_path is not None:
        files += sorted(p for p in settings.templates_path.rglob("*") if p.is_file())
    digest = hashlib.blake2b(digest_size=10)
    for path in files:
        digest.update(str(path).encode() + path.read_bytes())
    site_part = (settings.site.base_url, settings.site.name, settings.site.language, settings.site.domain)
    web = (settings.web.templates_dir, settings.web.show_addresses, settings.web.page_size)
    return fingerprint(_version(), digest.hexdigest(), site_part, web)


def _sources(package: str, patterns: tuple[str, ...]) -> list[Path]:
    root = Path(importlib.import_module(package).__file__).parent
    return sorted(p for pattern in patterns for p in root.rglob(pattern))


def _version() -> str:
    try:
        return importlib.metadata.version("hubmail")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def plan(session: Session, settings: Settings) -> dict[str, Entry]:
    """URL -> Entry for every file `hubmail serve` would give an anonymous visitor."""
    entries = {"/": Entry("app", "", None, None), "/static/style.css": Entry("app", "", None, None)}
    made = generation(settings)
    for space in readable_spaces(session, ANONYMOUS):
        SpacePlan(session, settings, space, made).add_to(entries)
    return entries


class SpacePlan:
    """One space's URLs, from one read of its published posts' marks."""

    def __init__(self, session: Session, settings: Settings, space: Space, made: str) -> None:
        self.session, self.space, self.slug = session, space, space.slug
        self.size = settings.web.page_size
        config = settings.space(space.slug)
        row = (space.slug, space.title, space.visibility, space.languages, space.opens, space.closes)
        self.key = fingerprint(made, row, repr(config))
        query = select(*MARKED).where(Post.space_id == space.id, Post.status == site.PUBLISHED)
        self.posts = list(session.connection().execute(query.order_by(Post.id)))
        self.marks = {p.id: _mark(p) for p in self.posts}
        self.by_thread = defaultdict(list)
        for post in self.posts:
            self.by_thread[post.thread_id].append(post)

    def shown(self, post) -> int:
        """A post as a page shows it: itself and its parent's name ("in reply to")."""
        return (self.marks[post.id] * 1_000_003 + self.marks.get(post.parent_id, 0)) & MASK

    def add_to(self, entries: dict[str, Entry]) -> None:
        base, everything = f"/{self.slug}/", sum(self.shown(p) for p in self.posts) & MASK
        whole = fingerprint(self.key, len(self.posts), everything, self._questions())
        entries[base] = Entry("app", self.slug, None, None)  # says whether the space is open now
        for name in ("feed.atom", "stats/", *(f"stats/{c}.svg" for c in CHARTS)):
            entries[base + name] = Entry("app", self.slug, None, whole)
        if gives_raw_mail(self.space):
            entries[base + "space.mbox.gz"] = Entry("mbox", self.slug, None, whole)
        self._question_entries(entries)
        for post in self.posts:
            self._post_entries(entries, post)

    def _questions(self) -> list:
        return [(q.id, q.number, q.text) for q in site.questions(self.session, self.space.id)]

    def _question_entries(self, entries: dict[str, Entry]) -> None:
        members = defaultdict(list)
        for post in self.posts:
            members[post.question_id].append(post)
        for question in site.questions(self.session, self.space.id):
            posts = members[question.id]
            shown = sum(self.shown(p) for p in posts) & MASK
            made = fingerprint(self.key, question.number, question.text, self.size, len(posts), shown)
            base = f"/{self.slug}/q/{question.number}/"
            threads = {p.thread_id if p.thread_id is not None else p.id for p in posts}
            for number in range(1, max(1, -(-len(threads) // self.size)) + 1):
                url = base + (f"page/{number}/" if number > 1 else "")
                entries[url] = Entry("question", self.slug, (question.id, number), made)
            entries[base + "feed.atom"] = Entry("app", self.slug, None, made)
            if gives_raw_mail(self.space):
                entries[base + "question.mbox.gz"] = Entry(
                    "mbox", self.slug, (question.id, question.number), made
                )

    def _post_entries(self, entries: dict[str, Entry], post) -> None:
        base = f"/{self.slug}/message/{message_hash(post.message_id)}/"
        thread_id = post.thread_id
        root = thread_id if thread_id and thread_id != post.id and thread_id in self.marks else post.id
        entries[base] = Entry("message", self.slug, post.id, fingerprint(self.key, self.shown(post), root))
        if gives_raw_mail(self.space):
            entries[base + "raw"] = Entry("raw", self.slug, post.id, fingerprint(post.id, post.raw_sha256))
        for index, meta in enumerate(post.attachments):
            made = fingerprint(meta.get("sha256"), meta.get("filename"))
            entries[f"{base}{index}/{meta['filename']}"] = Entry(
                "attachment", self.slug, (post.id, index), made
            )
        if root == post.id:  # the thread's page is at its root (or at each post whose root is not public)
            members = self.by_thread[thread_id]
            made = fingerprint(self.key, post.id, len(members), sum(self.shown(p) for p in members) & MASK)
            thread = f"/{self.slug}/thread/{message_hash(post.message_id)}/"
            entries[thread] = Entry("thread", self.slug, post.id, made)
            if gives_raw_mail(self.space):
                entries[thread + "thread.mbox.gz"] = Entry("thread_mbox", self.slug, post.id, made)


def _mark(post) -> int:
    digest = hashlib.blake2b(repr(tuple(post)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
