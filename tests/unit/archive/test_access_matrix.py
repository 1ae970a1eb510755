"""Visibility × posting × role: pages, feeds, search, exports, digests, each-post mail and posting.

One function decides who may read (archive.record.visibility.may_read) and one rule who may post
(moderation.rules.posting_not_allowed); these tests check every surface asks them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.bodies import letter_bytes
from archive.record.mailing import Mailing
from archive.record.members import add_member
from archive.record.models import OutgoingMail, Post
from archive.record.spaces import space_row
from archive.web.app import archive_app
from archive.web.export import export
from archive.web.signin import COOKIE, request_link, use_link
from config.database import session_scope
from digest import roster
from digest.delivery import send_digests, send_each
from gateway.hub import open_hub
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import make_settings
from tests.moderation_helpers import decide

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MODERATOR = "mo@un.example"
SPACES = "".join(
    f"""
[[spaces]]
slug = "{slug}"
title = "{slug} space"
visibility = "{visibility}"
posting = "{posting}"
allowlist = ["ngo.example"]
moderators = ["{MODERATOR}"]
"""
    for slug, visibility, posting in (
        ("pub", "public", "anyone"),
        ("reg", "registered", "members"),
        ("priv", "private", "allowlist"),
    )
)
VISIBILITY = {"pub": "public", "reg": "registered", "priv": "private"}
# viewer -> the role it holds in every space (None: signed in, no role; "anonymous": no cookie)
VIEWERS = {
    "anonymous": "anonymous",
    "registered": None,
    "reader": "reader",
    "member": "member",
    "moderator": "moderator",
}


def may_read(visibility: str, viewer: str) -> bool:
    """The rule, written out as a table for the test: the code must agree with it everywhere."""
    role = VIEWERS[viewer]
    if visibility == "public":
        return True
    if visibility == "registered":
        return role != "anonymous"
    return role in ("reader", "member", "moderator")


class Matrix:
    def __init__(self, tmp_path, database) -> None:
        self.hub = open_hub(make_settings(tmp_path, database=database, extra=SPACES))
        self.worker = Worker(self.hub.settings, self.hub.engine, self.hub.spool, clock=lambda: NOW)
        self.client = TestClient(archive_app(self.hub.settings, self.hub.engine))
        self.count = 0
        with session_scope(self.hub.engine) as session:
            for slug in VISIBILITY:
                for viewer, role in VIEWERS.items():
                    if role in ("reader", "member"):
                        add_member(session, space_row(session, slug), f"{viewer}@x.example", role, "test")
        self.cookies = {viewer: self._cookie(viewer) for viewer in VIEWERS if viewer != "anonymous"}

    def address(self, viewer: str) -> str:
        return MODERATOR if viewer == "moderator" else f"{viewer}@x.example"

    def _cookie(self, viewer: str) -> str:
        """Through the real sign-in: the emailed link, then its use."""
        with session_scope(self.hub.engine) as session:
            request_link(Mailing.at(self.hub.settings, NOW), session, self.address(viewer), "en")
            mail = session.exec(select(OutgoingMail).order_by(OutgoingMail.id.desc())).first()
            token = re.search(rb"/signin/([a-z0-9-]+)", mail.raw).group(1).decode()
            return use_link(self.hub.settings.site.secret_key, session, token, NOW)

    def post(self, slug: str, sender: str, approve: bool = True) -> Post:
        self.count += 1
        raw = (
            f"From: <{sender}>\r\nSubject: Matrix word{slug} {self.count}\r\n"
            f"Message-ID: <m{self.count}@x>\r\n\r\nThe matrix post in {slug}, word{slug}.\r\n"
        ).encode()
        self.hub.spool.put(Envelope(sender, [f"{slug}@hub.example.org"], "smtp"), raw)
        self.worker.process_pending()
        with session_scope(self.hub.engine) as session:
            post = session.exec(select(Post).where(Post.message_id == f"m{self.count}@x")).one()
            if approve and post.status == "held":
                decide(session, self.hub.settings, post, NOW, moderator=MODERATOR)
            return post

    def get(self, path: str, viewer: str):
        self.client.cookies.clear()
        if viewer in self.cookies:
            self.client.cookies.set(COOKIE, self.cookies[viewer])
        return self.client.get(path)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    matrix = Matrix(tmp_path_factory.mktemp("matrix"), "")
    for slug in VISIBILITY:
        matrix.post(slug, MODERATOR)
    yield matrix
    matrix.hub.engine.dispose()


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("slug", list(VISIBILITY))
def test_pages_feeds_and_search_follow_the_one_rule(matrix, slug, viewer):
    allowed = may_read(VISIBILITY[slug], viewer)
    expected = 200 if allowed else 404
    assert matrix.get(f"/{slug}/", viewer).status_code == expected
    assert matrix.get(f"/{slug}/feed.atom", viewer).status_code == expected
    assert matrix.get(f"/{slug}/stats/", viewer).status_code == expected
    assert (f'href="/{slug}/"' in matrix.get("/", viewer).text) is allowed
    assert (f"Matrix word{slug}" in matrix.get(f"/search?q=word{slug}", viewer).text) is allowed
    if VISIBILITY[slug] != "public":
        page = matrix.get(f"/{slug}/", viewer)
        assert allowed is False or page.headers["cache-control"] == "private, no-store"


def test_the_static_export_is_what_anyone_may_read(matrix, tmp_path):
    export(matrix.hub.settings, matrix.hub.engine, tmp_path / "site")
    assert (tmp_path / "site" / "pub" / "index.html").exists()
    assert not (tmp_path / "site" / "reg").exists() and not (tmp_path / "site" / "priv").exists()


@pytest.mark.parametrize("mode", ["weekly", "each"])
def test_digests_and_each_post_delivery_follow_the_one_rule(tmp_path, mode):
    matrix = Matrix(tmp_path, "")
    with session_scope(matrix.hub.engine) as session:
        for slug in VISIBILITY:
            for viewer in ("registered", "reader", "member", "moderator"):
                roster.add(session, space_row(session, slug), matrix.address(viewer), mode=mode, now=NOW)
    for slug in VISIBILITY:
        matrix.post(slug, MODERATOR)
    mail, kind = Mailing.at(matrix.hub.settings, NOW), "digest" if mode == "weekly" else "post"
    with session_scope(matrix.hub.engine) as session:
        queued = send_digests(mail, session, "weekly") if mode == "weekly" else send_each(mail, session)
        sent = {(row.recipient, re.search(rb"\[(\w+)\]|(\w+) space", letter_bytes(session, row)).group(0))
                for row in session.exec(select(OutgoingMail).where(OutgoingMail.kind == kind))}  # fmt: skip
    readers = ("registered", "reader", "member", "moderator")
    assert queued == len(sent) == sum(may_read(VISIBILITY[s], v) for s in VISIBILITY for v in readers)
    for slug in VISIBILITY:
        for viewer in ("registered", "reader", "member", "moderator"):
            got = any(
                recipient == matrix.address(viewer) and slug.encode() in what for recipient, what in sent
            )
            assert got is may_read(VISIBILITY[slug], viewer), (slug, viewer)
    matrix.hub.engine.dispose()


POSTING = {"pub": "anyone", "reg": "members", "priv": "allowlist"}


@pytest.mark.parametrize(
    "sender", ["outsider@else.example", "friend@ngo.example", "reader", "member", "moderator"]
)
@pytest.mark.parametrize("slug", list(VISIBILITY))
def test_who_may_post(matrix, slug, sender):
    address = sender if "@" in sender else matrix.address(sender)
    post = matrix.post(slug, address, approve=False)
    allowed = (
        POSTING[slug] == "anyone"
        or sender in ("member", "moderator")
        or (POSTING[slug] == "allowlist" and address.endswith("@ngo.example"))
    )
    assert (post.status != "rejected") is allowed, post.reason
    if not allowed:
        assert "takes contributions from its members" in post.reason
