"""Forms posted from another site's page do nothing (issue 14): checked on the wire with forged
Origin and Referer headers, and in Chromium with a hostile page served from another origin."""

from __future__ import annotations

import subprocess
import sys

import httpx2
import pytest

from archive.web.signin import COOKIE
from tests.configs import PRIVATE_SPACE
from tests.support.browser import browser
from tests.support.hubserver import HubServer, Sink, free_port, wait_for
from tests.support.signin import sign_in, sign_in_link

EVIL = "http://evil.example"
READER = "ana@ngo.example"


@pytest.fixture()
def hub(tmp_path):
    with Sink() as sink:
        server = HubServer(tmp_path, sink.port, extra=PRIVATE_SPACE).start()
        try:
            server.cli("members", "add", "--space", "inner", "--role", "reader", READER)
            yield server, sink
        finally:
            server.stop()


def client(server: HubServer, **headers: str) -> httpx2.Client:
    return httpx2.Client(base_url=server.web_url, timeout=30, headers=headers)


def test_forged_origins_are_refused_on_every_form(hub):
    server, sink = hub
    with client(server, Origin=server.web_url) as reader:
        sign_in(server, sink, reader, READER)
        assert reader.get("/inner/").status_code == 200
        cookie = reader.cookies[COOKIE]
        mails_before = len(sink.messages)
        link = sign_in_link(server, sink, reader, "mallory@evil.example")  # the attacker's own link
        forged = [{"Origin": EVIL}, {"Origin": "null"}, {"Referer": f"{EVIL}/page"}]
        for headers in forged:
            with client(server, **headers) as victim:
                victim.cookies.set(COOKIE, cookie)
                for path in ("/signin", link, "/signout", "/unece-review/subscribe"):
                    answer = victim.post(path, data={"address": "victim@ngo.example"})
                    assert answer.status_code == 403 and "another site" in answer.text, (headers, path)
                    assert COOKIE not in answer.cookies  # no session planted, none ended
        assert reader.get("/inner/").status_code == 200  # the session survived
        assert len(sink.messages) == mails_before + 1  # only the link asked from the hub's own page
        with client(server, Origin=server.web_url) as mallory:
            assert mallory.post(link).status_code == 303  # the link was not used up by the forgeries
        assert reader.post("/signout").status_code == 303
        assert reader.get("/inner/").status_code == 404


def test_a_request_with_neither_header_is_no_browser_form_and_passes(hub):
    server, _ = hub
    with client(server) as curl:  # no Origin, no Referer: curl, scripts, a mail client's one-click
        assert "on its way" in curl.post("/signin", data={"address": READER}).text


def evil_site(folder, target: str) -> tuple[subprocess.Popen, str]:
    """A page on another origin (another port of 127.0.0.1: the same site, so SameSite cookies go
    with it) that posts a form to `target` as soon as it is opened."""
    folder.mkdir()
    (folder / "index.html").write_text(
        f'<form id="f" method="post" action="{target}"><input name="address" value="x@evil.example">'
        "</form><script>document.getElementById('f').submit()</script>"
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for(lambda: _answers(url), 10, what="the hostile page's server")
    return process, url


def _answers(url: str) -> bool:
    try:
        return httpx2.get(url, timeout=1).status_code == 200
    except httpx2.HTTPError:
        return False


def test_a_hostile_page_in_chromium_neither_signs_in_nor_signs_out(hub, tmp_path):
    server, sink = hub
    with client(server, Origin=server.web_url) as mallory:
        planted = server.web_url + sign_in_link(server, sink, mallory, "mallory@evil.example")
        own = server.web_url + sign_in_link(server, sink, mallory, READER)
    sites = [evil_site(tmp_path / name, target) for name, target in
             (("plant", planted), ("signout", server.web_url + "/signout"))]  # fmt: skip
    try:
        with browser() as chromium:
            context = chromium.new_context()
            page = context.new_page()
            page.goto(sites[0][1])  # a visitor, not signed in, opens the attacker's page
            page.wait_for_url(lambda url: url.startswith(server.web_url))  # the form went to the hub
            assert [c for c in context.cookies() if c["name"] == COOKIE] == []
            assert "another site" in page.content()
            page.goto(own)  # the reader signs in with the hub's own button: that still works
            page.click("main button")
            page.wait_for_url(server.web_url + "/")
            page.goto(server.web_url + "/inner/")
            assert "Inner circle" in page.content()
            page.goto(sites[1][1])  # then opens a page that posts to /signout
            page.wait_for_url(lambda url: url.startswith(server.web_url))
            assert page.goto(server.web_url + "/inner/").status == 200  # still signed in
            page.click("form.signout button")  # the hub's own sign-out button works
            page.wait_for_url(server.web_url + "/")
            assert page.goto(server.web_url + "/inner/").status == 404
        with client(server, Origin=server.web_url) as mallory:
            assert mallory.post(planted).status_code == 303  # the planted link was never used
    finally:
        for process, _ in sites:
            process.terminate()
            process.wait(10)
