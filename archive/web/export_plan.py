"""What a static export holds: every public URL, what kind of file it is, and a fingerprint of what
its content is made from, so a second export renders only what changed (issue 12).

A post's mark covers what any page shows of it that can change after it is published (a moderator's
edit or translation, a move to another question, a late parent's adoption); its Message-ID, sender,
subject, date and attachments never change. A page's fingerprint combines the marks of the posts it shows (and
their parents'), its space's and question's rows, and the generation: hubmail's version, its
templates and code, and the settings pages depend on. Pages that show the time of day (the site
index, a space's front page) are rendered every time and written only if their bytes differ.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Text, select, type_coerce
from sqlmodel import Session

from archive.record import reading
from archive.record.models import Member, Post, Space
from archive.record.translations import translation_marks
from archive.record.urls import attachment_path, message_hash
from archive.record.visibility import ANONYMOUS, gives_raw_mail, readable_spaces
from archive.web.taking_part import taking_part
from config import Settings
from config.database import utcnow

MASK = (1 << 64) - 1
CHARTS = (
    "weeks",
    "questions",
    "organisations",
)  # archive.record.participation.CHARTS, without importing pygal
# Dates and attachments as stored (text on SQLite): read as they are, not made into objects.
MARKED = (Post.id, Post.message_id, Post.message_hash, Post.thread_id, Post.parent_id, Post.question_id,
          type_coerce(Post.received_at, Text).label("received"),
          type_coerce(Post.published_at, Text).label("published"), Post.is_summary, Post.language,
          Post.raw_sha256, type_coerce(Post.attachments, Text).label("attachments"),
          Post.display_html)  # fmt: skip


class Entry(NamedTuple):
    """One file: its kind (archive.web.export_render.KINDS, or "app" for a page asked of the app), the
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
    """One space's URLs, from one read of its published posts' marks (plain tuples: at 100,000
    posts this is most of what a second export with nothing changed costs)."""

    def __init__(self, session: Session, settings: Settings, space: Space, made: str) -> None:
        self.session, self.settings, self.space, self.slug = session, settings, space, space.slug
        self.size = settings.web.page_size
        config = settings.space(space.slug)
        row = (space.slug, space.title, space.visibility, space.languages, space.opens, space.closes)
        # Members' organisations: every post card shows its sender's (thread_list.organisations_shown).
        self.organisations = self._organisations()
        self.key = fingerprint(made, row, repr(config), self._questions(), self.organisations)
        query = select(*MARKED).where(Post.space_id == space.id, Post.status == reading.PUBLISHED)
        self.posts = session.connection().execute(query.order_by(Post.id)).all()
        translated = translation_marks(session, space.id)  # a translation shows on the post's pages
        marks = {p[0]: _mark(p) ^ translated.get(p[0], 0) for p in self.posts}
        # A post as a page shows it: itself and its parent's name ("in reply to").
        self.shown = {p[0]: (marks[p[0]] * 1_000_003 + marks.get(p[4], 0)) & MASK for p in self.posts}
        self.threads: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])  # thread -> [posts, sum]
        for post in self.posts:
            counted = self.threads[post[3]]
            counted[0], counted[1] = counted[0] + 1, (counted[1] + self.shown[post[0]]) & MASK

    def add_to(self, entries: dict[str, Entry]) -> None:
        base, everything = f"/{self.slug}/", sum(self.shown.values()) & MASK
        whole = fingerprint(self.key, len(self.posts), everything)
        entries[base] = Entry("app", self.slug, None, None)  # says whether the space is open now
        for name in ("feed.atom", "stats/", *(f"stats/{c}.svg" for c in CHARTS)):
            entries[base + name] = Entry("app", self.slug, None, whole)
        raw = gives_raw_mail(self.space)
        if raw:
            entries[base + "space.mbox.gz"] = Entry("mbox", self.slug, None, whole)
        self._question_entries(entries, raw)
        self._post_entries(entries, raw)

    def _questions(self) -> list:
        return [(q.id, q.number, q.text) for q in reading.questions(self.session, self.space.id)]

    def _question_entries(self, entries: dict[str, Entry], raw: bool) -> None:
        members = defaultdict(list)
        for post in self.posts:
            members[post.question_id].append(post)
        listed = fingerprint(self.organisations, self.settings.smtp.max_message_bytes)
        for question in reading.questions(self.session, self.space.id):
            posts, base = members[question.id], f"/{self.slug}/q/{question.number}/"
            here = taking_part(self.settings, self.space, question, utcnow()).moment
            made = fingerprint(self.key, question.number, question.text, self.size, listed, repr(here))
            whole = f"{made}:{len(posts)}:{sum(self.shown[p.id] for p in posts) & MASK:x}"
            for number, threads, count in self._pages(posts):
                shown = sum(self.shown[p.id] for thread in threads for p in thread) & MASK
                url = base + (f"page/{number}/" if number > 1 else "")
                order = [thread[0].thread_id for thread in threads]
                entries[url] = Entry(
                    "question", self.slug, (question.id, number), f"{made}:{count}:{order}:{shown:x}"
                )
            entries[base + "feed.atom"] = Entry("app", self.slug, None, whole)
            if raw:
                key = (question.id, question.number)
                entries[base + "question.mbox.gz"] = Entry("mbox", self.slug, key, whole)

    def _organisations(self) -> list:
        """The organisations members gave, which thread lists and post cards show beside a name."""
        query = select(Member.address, Member.organisation).where(
            Member.space_id == self.space.id, Member.organisation != ""
        )
        return sorted(self.session.connection().execute(query).all())

    def _pages(self, posts: list) -> Iterator[tuple[int, list[list], int]]:
        """(number, its threads' posts, page count) as thread_list.thread_order pages the question:
        the newest publication first (then the higher thread id), `size` a page, at least one page."""
        threads = _by_thread(posts)
        order = sorted(threads.values(), key=_last_activity, reverse=True)
        count = max(1, -(-len(order) // self.size))
        for number in range(1, count + 1):
            yield number, order[(number - 1) * self.size : number * self.size], count

    def _neighbours(self) -> dict[int, tuple]:
        """thread -> the first posts of the threads started before and after it in its question
        (a thread page's previous and next links), as thread_list.neighbours finds them."""
        by_question = defaultdict(list)
        for post in self.posts:
            by_question[post.question_id].append(post)
        found = {}
        for posts in by_question.values():
            threads = _by_thread(posts)
            order = sorted(threads, key=lambda t: (min(p.received for p in threads[t]), t))
            firsts = [_first_post(t, threads[t]) for t in order]
            for at, thread in enumerate(order):
                found[thread] = (
                    firsts[at - 1] if at else None,
                    firsts[at + 1] if at + 1 < len(order) else None,
                )
        return found

    def _post_entries(self, entries: dict[str, Entry], raw: bool) -> None:
        slug, key, shown, threads = self.slug, self.key, self.shown, self.threads
        neighbours = self._neighbours()
        for post_id, message_id, digest, thread_id, _, _, _, _, _, _, sha, attached, _ in self.posts:
            digest = digest or message_hash(message_id)  # as the app's post_by_hash finds it
            base = f"/{slug}/message/{digest}/"
            public_root = thread_id and thread_id != post_id and thread_id in shown
            root = thread_id if public_root else post_id
            entries[base] = Entry("message", slug, post_id, f"{key}:{shown[post_id]:x}:{root}")
            if raw:
                entries[base + "raw"] = Entry("raw", slug, post_id, f"{post_id}:{sha}")
            for index, meta in enumerate(_attachments(attached)):
                url = attachment_path(slug, digest, index)  # the sender's name is only in the pages
                entries[url] = Entry("attachment", slug, (post_id, index), f"{meta.get('sha256')}")
            if root == post_id:  # the thread's page is at its root (or at each post whose root is not public)
                around = neighbours.get(thread_id if thread_id is not None else post_id)
                made = f"{key}:{post_id}:{threads[thread_id][0]}:{threads[thread_id][1]:x}:{around}"
                entries[f"/{slug}/thread/{digest}/"] = Entry("thread", slug, post_id, made)
                if raw:
                    entries[f"/{slug}/thread/{digest}/thread.mbox.gz"] = Entry(
                        "thread_mbox", slug, post_id, made
                    )


def _by_thread(posts: list) -> dict[int, list]:
    threads = defaultdict(list)
    for post in posts:
        threads[post.thread_id if post.thread_id is not None else post.id].append(post)
    return threads


def _last_activity(thread: list) -> tuple:
    """thread_list.thread_order's "activity" key: the newest publication, then the thread id."""
    first = thread[0]
    return max(p.published or p.received for p in thread), first.thread_id or first.id


def _first_post(thread_id: int, posts: list) -> int:
    """thread_list.first_posts: the thread's starter if public, else its earliest public post."""
    if any(p.id == thread_id for p in posts):
        return thread_id
    return min(posts, key=lambda p: (p.received, p.id)).id


def _attachments(value) -> list[dict]:
    """The attachments column as stored (text on SQLite: most posts have none, and "[]" is not parsed)."""
    if isinstance(value, str):
        return [] if value == "[]" else json.loads(value)
    return value or []


def _mark(post) -> int:
    """A post's 64-bit mark: what can change of it, its displayed HTML included."""
    post_id, _, _, thread, parent, question, _, published, summary, language, sha, attached, html = post
    digest = hashlib.blake2b(
        f"{post_id}|{thread}|{parent}|{question}|{published}|{summary}|{language}|{sha}|{attached}|".encode(),
        digest_size=8,
    )
    digest.update(html.encode())
    return int.from_bytes(digest.digest(), "big")
