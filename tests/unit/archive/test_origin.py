"""Which POSTs count as sent from another site (archive.web.origin), through the composed app."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from gateway.web import web_app

# TestClient sends Host: testserver; the site's base_url in the tests is http://127.0.0.1:8080.
CASES = [
    ({}, 200),  # neither header: no browser form (curl, scripts)
    ({"Origin": "http://testserver"}, 200),  # the host the request was sent to
    ({"Origin": "https://testserver"}, 200),  # the same, behind a proxy that ends TLS
    ({"Origin": "http://127.0.0.1:8080"}, 200),  # the configured base URL
    ({"Referer": "http://testserver/signin"}, 200),
    ({"Origin": "http://evil.example"}, 403),
    ({"Origin": "http://testserver.evil.example"}, 403),
    ({"Origin": "null"}, 403),  # a browser hiding where the form came from
    ({"Referer": "http://evil.example/testserver"}, 403),
    ({"Origin": "http://evil.example", "Referer": "http://testserver/"}, 403),  # Origin decides
]


@pytest.mark.parametrize(("headers", "status"), CASES)
def test_posts_from_other_sites_are_refused(hub, headers, status):
    client = TestClient(web_app(hub))
    answer = client.post("/signin", data={"address": "ana@ngo.example"}, headers=headers)
    assert answer.status_code == status
    if status == 403:
        assert "another site" in answer.text and answer.headers["content-security-policy"]


def test_one_click_unsubscribe_may_come_from_anywhere(hub):
    client = TestClient(web_app(hub))
    evil = {"Origin": "http://evil.example"}
    # Reaches the handler (which refuses the made-up token), not the 403 of a cross-site form.
    assert client.post("/unece-review/unsubscribe/x", headers=evil).status_code == 400
    assert client.post("/unece-review/confirm/x", headers=evil).status_code == 403
