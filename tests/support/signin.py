"""Signing a client in through the real flow: ask on /signin, take the link from the relay sink."""

from __future__ import annotations

import re

from tests.support.hubserver import HubServer, wait_for


def sign_in_link(hub: HubServer, sink, client, address: str) -> str:
    """The path of the sign-in link mailed to `address` (asked for with `client`)."""
    before = len(sink.messages)
    client.post("/signin", data={"address": address}, headers={"Origin": hub.web_url})
    _, _, raw = wait_for(
        lambda: next((m for m in list(sink.messages)[before:] if address in m[1]), None),
        what=f"the sign-in mail to {address} at the relay",
    )
    return re.search(rb"http://127\.0\.0\.1:8080(/signin/[a-z0-9-]+)", raw).group(1).decode()


def sign_in(hub: HubServer, sink, client, address: str) -> None:
    """Signs `client` (an httpx client on hub.web_url) in as `address`; its cookie jar keeps the session."""
    path = sign_in_link(hub, sink, client, address)
    assert client.post(path, headers={"Origin": hub.web_url}).status_code == 303
