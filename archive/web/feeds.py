"""Atom feeds (feedgen) of a space and of a question: the newest published posts a visitor may read."""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record import reading
from archive.record.models import Post, Space
from archive.record.urls import post_url, space_url
from archive.web.context import archive_of, question_of
from archive.web.headers import SAFE_HEADERS
from config.database import session_scope

FEED_SIZE = 50


def atom(space: Space, posts: list[Post], base_url: str, title: str, self_url: str) -> bytes:
    """Newest first; each entry links to its permalink and carries the sanitized body."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.link(href=space_url(base_url, space.slug), rel="alternate")
    feed.link(href=self_url, rel="self")
    feed.language((space.languages or ["en"])[0])
    updated = max((p.published_at or p.received_at for p in posts), default=None)
    if updated:
        feed.updated(updated)
    for post in posts[:FEED_SIZE]:
        entry = feed.add_entry(order="append")
        link = post_url(base_url, space.slug, post.message_id)
        entry.id(link)
        entry.link(href=link)
        entry.title(post.subject or "(no subject)")
        entry.author({"name": post.from_name or post.from_addr.partition("@")[2] or "?"})
        entry.published(post.received_at)
        entry.updated(post.published_at or post.received_at)
        entry.content(post.display_html, type="html")
    return feed.atom_str(pretty=False)


def space_feed(request: Request) -> Response:
    archive = archive_of(request)
    base = archive.settings.site.base_url
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        url = f"{space_url(base, row.slug)}feed.atom"
        body = atom(row, reading.newest(session, row.id), base, row.title, url)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=SAFE_HEADERS)


def question_feed(request: Request) -> Response:
    archive = archive_of(request)
    base = archive.settings.site.base_url
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        question = question_of(session, row, request)
        url = f"{space_url(base, row.slug)}q/{question.number}/feed.atom"
        title = f"{row.title} · Q{question.number}"
        body = atom(row, reading.newest(session, row.id, question.id), base, title, url)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=SAFE_HEADERS)


ROUTES = [
    Route("/{slug}/feed.atom", space_feed),
    Route("/{slug}/q/{number:int}/feed.atom", question_feed),
]
