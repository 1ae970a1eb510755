"""A space the visitor may not read answers every URL under it exactly as a space that does not exist
(issue 14): same status, same bytes, for every route the web process has, so that a route added
later is covered as soon as it exists."""

from __future__ import annotations

import datetime as dt
import itertools
import mailbox
from email.message import EmailMessage

import httpx2
import pytest

from archive.record.urls import message_hash
from config import load_settings
from config.tokens import make_token
from gateway.hub import attach_hub
from gateway.web import web_app
from tests.support.hubserver import HubServer, Sink
from tests.support.signin import sign_in

TITLES = {"priv": "Secret Title Priv", "club": "Secret Title Club"}
SPACES = "".join(
    f"""
[[spaces]]
slug = "{slug}"
title = "{TITLES[slug]}"
visibility = "{visibility}"
moderators = ["mo@un.example"]

[[spaces.questions]]
number = 1
text = {{ en = "A question" }}
"""
    for slug, visibility in (("priv", "private"), ("club", "registered"))
)
UNKNOWN = "nosuchspace"
ATTACHMENT = "notes.txt"
# Well formed and unexpired, but not signed with the site's secret.
FORGED = make_token(
    "not-the-site-secret", "unsubscribe", 1, "ana@ngo.example", dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
)
FORM = {"address": "someone@ngo.example", "mode": "each", "List-Unsubscribe": "One-Click"}


def post_in(slug: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ana <ana@ngo.example>"
    msg["Subject"] = f"A post in {slug}"
    msg["Message-ID"] = f"<{slug}-post@ngo.example>"
    msg["Date"] = "Sat, 20 Jan 2024 10:00:00 +0000"
    msg.set_content("Words for the members.")
    msg.add_attachment(b"notes", maintype="text", subtype="plain", filename=ATTACHMENT)
    return msg


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unreadable")
    with Sink() as sink:
        server = HubServer(folder / "hub", sink.port, extra=SPACES)
        for slug in TITLES:
            box = mailbox.mbox(str(folder / f"{slug}.mbox"))
            box.add(post_in(slug))
            box.close()
            server.cli("archive", "import", str(folder / f"{slug}.mbox"), "--space", slug, "--question", "1",
                       "--publish")  # fmt: skip
        server.start()
        try:
            yield server, sink
        finally:
            server.stop()


def parameter_values(slug: str) -> dict[str, list[str]]:
    """Values for each path parameter that reach the space's real content, and some that do not."""
    return {
        "digest": [message_hash(f"{slug}-post@ngo.example"), "x"],
        "number": ["1"],
        "page": ["1"],
        "index": ["0"],
        "name": [ATTACHMENT],
        "chart": ["weeks", "x"],
        "kind": ["confirm", "unsubscribe"],
        "token": ["x", FORGED],
    }


def requests_under(server: HubServer, slug: str) -> list[tuple[str, dict]]:
    """(method, {parameter: value}) for every route of the real web app under /{slug}/."""
    app = web_app(attach_hub(load_settings(server.config)))
    values = parameter_values(slug)
    found = []
    for route in app.routes:
        if not route.path.startswith("/{slug}/"):
            continue
        names = [n for n in route.param_convertors if n != "slug"]
        for combo in itertools.product(*(values.get(n, ["x"]) for n in names)):
            for method in sorted(route.methods or {"GET"}):
                found.append((method, route.path_format, dict(zip(names, combo, strict=True))))
    assert len({path for _, path, _ in found}) >= 15, "the web app's routes were not found"
    return found


def browser(server: HubServer) -> httpx2.Client:
    """A client that says, as a browser does, that its forms come from the hub's own pages."""
    return httpx2.Client(base_url=server.web_url, timeout=30, headers={"Origin": server.web_url})


def answer(client, method: str, path_format: str, slug: str, params: dict) -> tuple[int, bytes]:
    path = path_format.format(slug=slug, **params)
    data = FORM if method == "POST" else None
    response = client.request(method, path, data=data)
    return response.status_code, response.content


def differences(client, server: HubServer, slug: str) -> list[str]:
    """Every request under /slug/ whose answer differs from the same request under an unknown slug."""
    found = []
    for method, path_format, params in requests_under(server, slug):
        unknown = answer(client, method, path_format, UNKNOWN, params)
        assert unknown[0] in (404, 405), (method, path_format, params, unknown[0])
        if answer(client, method, path_format, slug, params) != unknown:
            found.append(f"{method} {path_format.format(slug=slug, **params)}")
    return found


def test_unreadable_spaces_answer_as_unknown_ones(hub):
    server, sink = hub
    with browser(server) as anonymous:
        for slug in TITLES:
            assert differences(anonymous, server, slug) == [], slug
        for method, path in (
            ("GET", "/priv/confirm/x"),
            ("GET", "/priv/unsubscribe/x"),
            ("POST", "/priv/subscribe"),
        ):
            page = anonymous.request(method, path, data=FORM)
            assert page.status_code == 404 and TITLES["priv"] not in page.text
    with browser(server) as stranger:
        sign_in(server, sink, stranger, "stranger@ngo.example")  # signed in, no role in priv
        assert differences(stranger, server, "priv") == []
        # The same enumeration reaches real content where the visitor may read: a registered space.
        reached = [
            (method, path_format)
            for method, path_format, params in requests_under(server, "club")
            if answer(stranger, method, path_format, "club", params)[0] == 200
        ]
        assert ("GET", "/{slug}/message/{digest}/{index}.bin") in reached and len(reached) > 10
