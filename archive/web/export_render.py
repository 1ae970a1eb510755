"""Rendering the static export in batches: the pages the app answers, read a few hundred posts a query.

Each kind of file has one function that reads what a batch of them needs and renders the same
template with the same values as the page handler (archive/web/browsing.py); tests/unit/archive/
test_export.py compares every exported file with what the app answers for its URL.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from archive.record import reading, thread_list
from archive.record.models import Post
from archive.record.spaces import space_row
from archive.record.threads import build_threads, flatten
from archive.web.app import archive_app
from archive.web.export_batch import Context, scope_for
from archive.web.export_copies import COPIES, message_hash, thread_in
from config import Settings
from config.database import make_engine, session_scope


@dataclass(frozen=True)
class Task:
    """Files of one kind in one space: (url, key) pairs, the key saying what the file shows."""

    kind: str
    slug: str
    items: tuple[tuple[str, object], ...]


@dataclass
class Rendered:
    """A task's files, for the one process that writes them (several writing into one folder tree
    at once were slower than one: ext4 serializes creating files and folders, spinning)."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # the app would answer 404


class Renderer:
    """One process's app and database engine; run(task) renders a task's files."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.app = archive_app(settings, engine)
        self.archive = self.app.state.archive
        # The same function remembered: a post's hash is asked for on each of its three pages.
        self.archive.globals["message_hash"] = message_hash

    def run(self, task: Task) -> Rendered:
        if task.kind == "app":
            return asyncio.run(self._app_pages(task))
        rendered, urls = Rendered(), {key: url for url, key in task.items}
        with session_scope(self.engine, writes=False) as session:
            page = Context(self.archive, session, space_row(session, task.slug), urls)
            for key, content in KINDS[task.kind](page, list(urls)):
                rendered.files.append((urls.pop(key), content))
        rendered.missing += urls.values()  # asked for, not found: the app would answer 404
        return rendered

    async def _app_pages(self, task: Task) -> Rendered:
        rendered = Rendered()
        for url, _ in task.items:
            status, body = await asgi_get(self.app, url)
            if status == 200:
                rendered.files.append((url, body))
            else:
                rendered.missing.append(url)
        return rendered


async def asgi_get(app, url: str) -> tuple[int, bytes]:
    """GET url from the app in this process, as an anonymous visitor (no sockets, no client)."""
    scope = {**scope_for(url), "http_version": "1.1", "raw_path": url.encode(), "client": ("127.0.0.1", 0)}
    status, chunks = 500, []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def messages(page: Context, ids: list[int]) -> Iterable[tuple]:
    """browsing.message: the post, its parent ("in reply to"), its thread's root and its question."""
    posts = page.posts(Post.id.in_(ids))
    by_id = {p.id: p for p in posts}
    roots = {p.id: p for p in page.posts(Post.id.in_({p.thread_id for p in posts if p.thread_id}))}
    parents = page.parents(posts, {**by_id, **roots})
    organisations = thread_list.organisations_shown(page.session, page.space.id, posts)  # one read a batch
    translated = page.translations(posts)
    for post in posts:
        root = roots.get(post.thread_id, post) if post.thread_id and post.thread_id != post.id else post
        one = {post.id: parents[post.id]} if post.id in parents else {}
        asked = page.question(post.question_id)
        mine = {post.id: translated[post.id]} if post.id in translated else {}
        values = {"parents": one, "root": root, "question": asked, "reply_address": page.reply_address(asked)}
        values |= {"organisations": organisations, "translations": mine}
        yield post.id, page.render(page.urls[post.id], "message.html", post=post, **values)


def threads(page: Context, roots: list[int]) -> Iterable[tuple]:
    """browsing.thread: every published post of the root's thread, threaded, with their parents,
    and the threads started before and after it in its question."""
    heads = page.posts(Post.id.in_(roots))
    members = _members(page, heads)
    around = {h.id: _neighbours(page, h) for h in heads}
    firsts = thread_list.first_posts(
        page.session, page.space.id, {t for pair in around.values() for t in pair if t}
    )
    everyone = [p for posts in members.values() for p in posts]
    organisations = thread_list.organisations_shown(page.session, page.space.id, everyone)  # one read a batch
    for root in heads:
        posts = members[root.thread_id]
        nodes = flatten(build_threads(posts))
        shown = [node.post for node, _ in nodes if node.post]
        parents = page.parents(shown, {p.id: p for p in posts})
        asked = page.question(root.question_id)
        before, after = (firsts.get(t) for t in around[root.id])
        values = {
            "question": asked,
            "before": before,
            "after": after,
            "reply_address": page.reply_address(asked),
            "organisations": organisations,
            "translations": page.translations(shown),
        }
        yield (
            root.id,
            page.render(page.urls[root.id], "thread.html", root=root, nodes=nodes, parents=parents, **values),
        )


def _members(page: Context, heads: list) -> dict:
    grouped = defaultdict(list)
    for post in page.posts(thread_in({h.thread_id for h in heads})):
        grouped[post.thread_id].append(post)
    return grouped


def _neighbours(page: Context, head) -> tuple[int | None, int | None]:
    """thread_list.neighbours's thread ids, the question's order read once a batch."""
    order = page.remember(("started", head.question_id), lambda: thread_list.thread_order(
        page.session, page.space.id, head.question_id, "started"
    ))  # fmt: skip
    return thread_list.adjacent(order, head.thread_id or head.id)


def questions(page: Context, keys: list[tuple[int, int]]) -> Iterable[tuple]:
    """browsing.question in its default order: thread_list's rows, `page_size` threads a page."""
    by_question = defaultdict(list)
    for question_id, number in keys:
        by_question[question_id].append(number)
    size = page.archive.settings.web.page_size
    for question_id, numbers in by_question.items():
        question = page.question(question_id)
        order = thread_list.thread_order(page.session, page.space.id, question_id)
        count = max(1, -(-len(order) // size))
        chosen = {n: order[(n - 1) * size : n * size] for n in numbers if 1 <= n <= count}
        rows = thread_list.rows_of(page.session, page.space.id, [t for ts in chosen.values() for t in ts])
        by_thread = {row.thread_id: row for row in rows}
        taking_part = page.taking_part(question)
        for number, threads in chosen.items():
            listed = reading.Page([by_thread[t] for t in threads if t in by_thread], number, count)
            values = {"question": question, "order": "activity", "page": listed, "taking_part": taking_part}
            yield (
                (question_id, number),
                page.render(page.urls[question_id, number], "question.html", **values),
            )


KINDS = {"message": messages, "thread": threads, "question": questions, **COPIES}

_renderer: Renderer | None = None  # one per worker process


def start_worker(settings: Settings) -> None:
    """A worker's initializer: its own engine and app (nothing is shared with the parent)."""
    global _renderer
    _renderer = Renderer(settings, make_engine(settings.database_url))


def run_in_worker(task: Task) -> Rendered:
    assert _renderer is not None, "start_worker first"
    return _renderer.run(task)
