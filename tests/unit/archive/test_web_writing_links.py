"""The archive offers writing on the web only to a signed-in reader whom the space's posting rule
lets post: the links, and the writing pages themselves, agree with the rule mail meets."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from archive.record.members import add_member
from archive.record.models import SignIn
from archive.record.spaces import space_row
from archive.record.urls import message_hash
from archive.web.signin import COOKIE
from config.database import session_scope, utcnow
from config.tokens import make_token
from gateway.hub import open_hub
from gateway.web import web_app
from tests.configs import make_settings
from tests.unit.archive.test_pages import Archive, mail

MEMBERS_ONLY = """
[[spaces]]
slug = "members"
title = "Members only"
posting = "members"
moderators = ["mo@un.example"]

[[spaces.questions]]
number = 1
text = { en = "A question" }
"""
THREAD = f"/members/thread/{message_hash('root@x')}/"
REPLY = f"/members/message/{message_hash('root@x')}/reply/"


@pytest.fixture()
def hub(tmp_path):
    hub = open_hub(make_settings(tmp_path, extra=MEMBERS_ONLY))
    with session_scope(hub.engine) as session:
        space = space_row(session, "members")
        for address in ("ana@ngo.example", "member@ngo.example"):
            add_member(session, space, address, "member", "test")
        add_member(session, space, "reader@gov.example", "reader", "test")
    Archive(hub).post(mail("root@x", "Our practice", "One-stop shops."), to="members+q1@hub.example.org")
    yield hub
    hub.engine.dispose()


def client(hub, address: str | None) -> TestClient:
    client = TestClient(web_app(hub), base_url="http://127.0.0.1:8080", follow_redirects=False)
    if address:
        now = utcnow()
        with session_scope(hub.engine) as session:
            row = SignIn(address=address, created_at=now, used_at=now)
            session.add(row)
            session.flush()
            expires = now + dt.timedelta(days=1)
            token = make_token(hub.settings.site.secret_key, "session", row.id, address, expires)
        client.cookies.set(COOKIE, token)
    return client


@pytest.mark.parametrize(
    ("address", "writes"),
    [(None, False), ("reader@gov.example", False), ("someone@else.example", False),
     ("member@ngo.example", True), ("mo@un.example", True)],
)  # fmt: skip
def test_links_and_pages_follow_the_posting_rule(hub, address, writes):
    visitor = client(hub, address)
    assert ("Reply on the web" in visitor.get(THREAD).text) is writes
    assert ("Reply by email" in visitor.get(THREAD).text) is True
    assert ("Write a contribution on the web" in visitor.get("/members/q/1/").text) is writes
    page = visitor.get(REPLY)
    assert page.status_code == (200 if writes else 303 if address is None else 403)
    if writes:
        assert 'value="Re: Our practice"' in page.text
