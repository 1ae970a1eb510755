"""Sign-in by emailed link: once only, not used up by a GET, worthless after sign-out or forgery."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.members import add_member
from archive.record.models import OutgoingMail
from archive.record.spaces import space_row
from archive.web.app import archive_app
from archive.web.signin import COOKIE
from config.database import session_scope
from gateway.hub import open_hub
from tests.configs import PRIVATE_SPACE, make_settings
from tests.moderation_helpers import body, parse


def test_sign_in_once_by_link_then_sign_out(tmp_path, database):
    hub = open_hub(make_settings(tmp_path, database=database, extra=PRIVATE_SPACE))
    with session_scope(hub.engine) as session:
        add_member(session, space_row(session, "inner"), "ana@ngo.example", "reader", "test")
    client = TestClient(archive_app(hub.settings, hub.engine), follow_redirects=False)
    assert client.get("/inner/").status_code == 404
    page = client.post("/signin", data={"address": "Ana@NGO.example"}).text
    assert "a link is on its way" in page
    assert "a link is on its way" in client.post("/signin", data={"address": "not an address"}).text
    with session_scope(hub.engine) as session:
        [mail] = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "signin")).all()
    assert mail.recipient == "ana@ngo.example"
    link = re.search(r"http://127.0.0.1:8080(/signin/[a-z0-9-]+)", body(mail.raw)).group(1)
    assert "<button" in client.get(link).text  # a mail scanner's GET uses nothing up
    signed = client.post(link)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    cookie = signed.cookies[COOKIE]
    client.cookies.set(COOKIE, cookie)
    assert client.get("/inner/").status_code == 200 and "Sign out" in client.get("/").text
    for page in ("/", "/inner/", "/inner/feed.atom", "/search?q=x"):  # never in a shared cache
        assert client.get(page).headers["cache-control"] == "private, no-store", page
    stranger = TestClient(archive_app(hub.settings, hub.engine), follow_redirects=False)
    stranger.cookies.set(COOKIE, cookie[:-3] + "aaa")
    stranger.post("/signout")  # a forged cookie cannot sign anyone out
    assert client.get("/inner/").status_code == 200
    anonymous = TestClient(archive_app(hub.settings, hub.engine)).get("/").headers
    assert "cache-control" not in anonymous and anonymous["vary"] == "Accept-Language, Cookie"
    client.cookies.clear()
    assert client.post(link).status_code == 400  # once only
    client.cookies.set(COOKIE, cookie[:-3] + "aaa")  # forged
    assert client.get("/inner/").status_code == 404
    client.cookies.set(COOKIE, cookie)
    client.post("/signout")
    client.cookies.set(COOKIE, cookie)  # a copy kept after signing out
    assert client.get("/inner/").status_code == 404
    hub.engine.dispose()


def test_sign_in_links_are_rate_limited(hub):
    client = TestClient(archive_app(hub.settings, hub.engine))
    for _ in range(5):
        client.post("/signin", data={"address": "bo@ngo.example"})
    with session_scope(hub.engine) as session:
        sent = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "signin")).all()
    assert len(sent) == 3


@pytest.mark.parametrize(
    ("language", "subject"),
    [("fr", "Votre lien de connexion"), ("es", "Su enlace para entrar"), ("ru", "Ваша ссылка для входа")],
)
def test_the_sign_in_mail_is_in_the_pages_language(hub, language, subject):
    client = TestClient(archive_app(hub.settings, hub.engine))
    client.post(f"/signin?lang={language}", data={"address": f"{language}@ngo.example"})
    with session_scope(hub.engine) as session:
        [mail] = session.exec(select(OutgoingMail).where(OutgoingMail.kind == "signin")).all()
    assert parse(mail.raw)["Subject"] == subject and "/signin/" in body(mail.raw)
