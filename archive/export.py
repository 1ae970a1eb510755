"""A static copy of the public archive: every page fetched through the app itself, so it looks the same."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
from sqlalchemy.engine import Engine

from archive import site
from archive.models import Post
from archive.pages import make_app
from archive.urls import message_hash
from archive.visibility import ANONYMOUS, readable_spaces
from config import Settings
from config.database import session_scope

LIVE_ONLY = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/style.css"></head><body><main><h1>{title}</h1>
<p>{title} needs the live archive (<code>hubmail serve</code>); this static copy has none.</p>
</main></body></html>"""


def urls(engine: Engine, page_size: int) -> Iterator[str]:
    """Every URL an anonymous visitor can reach, the same ones `hubmail serve` answers."""
    yield from ("/", "/static/style.css")
    with session_scope(engine) as session:
        for space in readable_spaces(session, ANONYMOUS):
            base = f"/{space.slug}/"
            yield from (
                base,
                f"{base}feed.atom",
                f"{base}stats/",
                *(f"{base}stats/{c}.svg" for c in ("weeks", "questions", "organisations")),
            )
            yield f"{base}space.mbox.gz"  # public spaces only, raw mail included
            for question in site.questions(session, space.id):
                yield from _question_urls(session, space, question, page_size)
            yield from _post_urls(session, space)


def _question_urls(session, space, question, page_size: int) -> Iterator[str]:
    base = f"/{space.slug}/q/{question.number}/"
    yield from (base, f"{base}feed.atom", f"{base}question.mbox.gz")
    pages = site.question_threads(session, space.id, question.id, 1, page_size).count
    yield from (f"{base}page/{n}/" for n in range(2, pages + 1))


def _post_urls(session, space) -> Iterator[str]:
    for post in session.exec(site.published(session, space.id).order_by(Post.id)):
        digest = message_hash(post.message_id)
        yield f"/{space.slug}/message/{digest}/"
        yield f"/{space.slug}/message/{digest}/raw"
        yield from (
            f"/{space.slug}/message/{digest}/{i}/{a['filename']}" for i, a in enumerate(post.attachments)
        )
        if site.thread_root(session, post) is post:
            yield from (f"/{space.slug}/thread/{digest}/", f"/{space.slug}/thread/{digest}/thread.mbox.gz")


def export(
    settings: Settings, engine: Engine, target: Path, progress: Callable[[int], None] = lambda n: None
) -> int:
    """Write the archive under target; returns how many files were written."""
    return asyncio.run(_export(settings, engine, target, progress))


async def _export(settings: Settings, engine: Engine, target: Path, progress: Callable[[int], None]) -> int:
    # The app is called in-process (no sockets, no threads): the same pages `hubmail serve` answers.
    transport = httpx2.ASGITransport(app=make_app(settings, engine))
    written = 0
    async with httpx2.AsyncClient(transport=transport, base_url="http://export.invalid") as client:
        for url in urls(engine, settings.web.page_size):
            response = await client.get(url)
            if response.status_code == 200:
                _write(target, url, response.content)
                written += 1
            progress(1)
    for url, title in (("/search/", "Search"), ("/signin/", "Sign-in")):
        _write(target, url, LIVE_ONLY.format(title=title).encode())
    return written + 2


def _write(target: Path, url: str, content: bytes) -> None:
    relative = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
    path = (target / relative).resolve()
    if target.resolve() not in path.parents:
        raise ValueError(f"refusing to write outside the export folder: {url}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def count_urls(engine: Engine, page_size: int) -> int:
    return sum(1 for _ in urls(engine, page_size))
