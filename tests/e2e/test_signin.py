"""Sign-in end to end: the link comes through the real relay sink, the browser-side is a real HTTP client."""

from __future__ import annotations

import re

import httpx2

from tests.configs import PRIVATE_SPACE
from tests.support.hubserver import HubServer, Sink, wait_for


def test_a_reader_signs_in_with_the_emailed_link(tmp_path):
    with Sink() as sink:
        hub = HubServer(tmp_path, sink.port, extra=PRIVATE_SPACE).start()
        try:
            hub.cli("members", "add", "--space", "inner", "--role", "reader", "ana@ngo.example")
            with httpx2.Client(base_url=hub.web_url, timeout=30, follow_redirects=False) as browser:
                assert browser.get("/inner/").status_code == 404
                assert "on its way" in browser.post("/signin", data={"address": "ana@ngo.example"}).text
                _, _recipients, raw = wait_for(
                    lambda: next((m for m in sink.messages if "ana@ngo.example" in m[1]), None),
                    what="the sign-in mail at the relay",
                )
                path = re.search(rb"http://127\.0\.0\.1:8080(/signin/[a-z0-9-]+)", raw).group(1).decode()
                assert "<button" in browser.get(path).text
                assert browser.post(path).status_code == 303
                page = browser.get("/inner/")
                assert page.status_code == 200 and "Inner circle" in page.text
                assert browser.post(path).status_code == 400  # the link is used up
        finally:
            hub.stop()
