"""The moderators' web page decides through the same code as a reply to a hold notice: the first
decision wins, receipts and updates are the mail ones; nobody else sees what is held."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.models import OutgoingMail, Post, SignIn
from archive.web.signin import COOKIE
from config.database import session_scope, utcnow
from config.tokens import make_token
from gateway.spool import Envelope
from gateway.web import web_app
from gateway.worker import Worker
from moderation.commands import Verb
from moderation.models import Decision
from moderation.pages import command_of

POST = (
    "From: Ana Pérez <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@ngo.example>\r\n"
    "Date: Sat, 20 Jan 2024 09:00:00 +0000\r\n\r\nCity-level one-stop shops.\r\n"
).encode()
PAGE = "/unece-review/moderation/"


def signed_in(hub, address: str) -> TestClient:
    """A client with a genuine session cookie for `address`, as the emailed link would give."""
    now = utcnow()
    with session_scope(hub.engine) as session:
        row = SignIn(address=address, created_at=now, used_at=now)
        session.add(row)
        session.flush()
        cookie = make_token(
            hub.settings.site.secret_key, "session", row.id, address, now + dt.timedelta(days=1)
        )
    client = TestClient(web_app(hub), base_url="http://127.0.0.1:8080", follow_redirects=False)
    client.cookies.set(COOKIE, cookie)
    return client


def held(hub) -> None:
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), POST)
    Worker(hub.settings, hub.engine, hub.spool).process_pending()


def test_a_moderator_decides_and_the_first_decision_wins(hub):
    held(hub)
    mia, ivana = signed_in(hub, "mia@un.example"), signed_in(hub, "ivana@un.example")
    page = mia.get(PAGE)
    assert (
        page.status_code == 200 and "Our practice" in page.text and "first post from this sender" in page.text
    )
    done = mia.post(
        PAGE, data={"post": "1", "action": "approve"}, headers={"Origin": "http://127.0.0.1:8080"}
    )
    assert done.status_code == 200 and "approved" in done.text and "Our practice" in done.text
    again = ivana.post(PAGE, data={"post": "1", "action": "reject", "reason": "late"})
    assert "already approved by mia@un.example" in again.text
    with session_scope(hub.engine) as session:
        post = session.get(Post, 1)
        assert (post.status, post.decided_by) == ("published", "mia@un.example")
        [decision] = session.exec(select(Decision)).all()
        assert (decision.action, decision.source) == ("approve", "web")
        kinds = {(row.kind, row.recipient) for row in session.exec(select(OutgoingMail))}
    assert ("receipt", "ana@ngo.example") in {(k.split("-")[0], r) for k, r in kinds}
    assert any(r == "ivana@un.example" and k != "hold-notice" for k, r in kinds)  # the update


def test_nobody_else_sees_what_is_held(hub):
    held(hub)
    ana = signed_in(hub, "ana@ngo.example")
    refused = ana.get(PAGE)
    assert refused.status_code == 403 and "Our practice" not in refused.text
    assert ana.post(PAGE, data={"post": "1", "action": "approve"}).status_code == 403
    anonymous = TestClient(web_app(hub), follow_redirects=False)
    assert anonymous.get(PAGE).status_code == 303
    assert anonymous.get("/nosuchspace/moderation/").status_code == 404
    with session_scope(hub.engine) as session:
        assert session.get(Post, 1).status == "held"


def test_a_post_of_another_space_or_an_unknown_action_changes_nothing(hub):
    held(hub)
    mia = signed_in(hub, "mia@un.example")
    assert "no such post" in mia.post(PAGE, data={"post": "99", "action": "approve"}).text
    assert "no such post" in mia.post(PAGE, data={"post": "1", "action": "publish"}).text
    assert "no question 7" in mia.post(PAGE, data={"post": "1", "action": "move", "question": "7"}).text
    with session_scope(hub.engine) as session:
        assert session.get(Post, 1).status == "held"


def test_the_form_gives_the_mail_commands():
    assert command_of({"action": "trust"}).trust and command_of({"action": "approve"}).verb == Verb.APPROVE
    assert command_of({"action": "reject", "reason": " off\r\ntopic "}).reason == "off topic"
    assert command_of({"action": "move", "question": "q2"}).question == 2
    assert command_of({"action": "move", "question": "two"}) is None


def test_a_held_posts_files_are_for_its_moderators_only(hub):
    raw = (
        b"From: Ana <ana@ngo.example>\r\nSubject: With a report\r\nMessage-ID: <f1@ngo.example>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee the report.\r\n--b\r\nContent-Type: text/html\r\n"
        b'Content-Disposition: attachment; filename="report.html"\r\n\r\n'
        b"<script>alert(1)</script>\r\n--b--\r\n"
    )
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), raw)
    Worker(hub.settings, hub.engine, hub.spool).process_pending()
    mia, ana = signed_in(hub, "mia@un.example"), signed_in(hub, "ana@ngo.example")
    assert 'href="/unece-review/moderation/1/0.bin"' in mia.get(PAGE).text
    download = mia.get("/unece-review/moderation/1/0.bin")
    assert download.status_code == 200 and b"<script>" in download.content
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    assert ana.get("/unece-review/moderation/1/0.bin").status_code == 403
    assert mia.get("/unece-review/moderation/1/1.bin").status_code == 404
    assert mia.get("/closed-space/moderation/1/0.bin").status_code == 404  # another space's post
