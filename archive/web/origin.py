"""Cross-site requests refused: a POST must come from one of the site's own pages (issue 14).

A browser names the page a form was sent from in Origin (every current browser does, on every POST),
or failing that in Referer. Either must be the site's configured base URL or the host the request
was sent to. A request with neither comes from no browser form (curl, scripts, a mail client's
RFC 8058 one-click POST): it carries no visitor's cookie that a forgery could borrow, so it is let
through. A browser hiding the page sends "Origin: null", which is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def one_click(endpoint: Callable) -> Callable:
    """Marks a route that any site may POST to: RFC 8058 one-click unsubscribe, where the signed
    token in the URL is the proof and the mail provider's own server sends the POST."""
    endpoint.cross_site = True
    return endpoint


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower case; "" for anything that is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(base_url: str, host: str) -> set[str]:
    """The configured site, and the host this request was sent to under either scheme (a proxy in
    front may end TLS, so the scheme the server sees says nothing about the browser's)."""
    found = {origin_of(base_url)}
    if host:
        found |= {f"http://{host}".lower(), f"https://{host}".lower()}
    return found - {""}


def is_cross_site(request: Request, base_url: str) -> bool:
    """True when a browser says the request was sent from a page of another site."""
    claimed = request.headers.get("origin")
    if claimed is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False  # no browser form: see the module docstring
        claimed = origin_of(referer)
    return claimed.strip().lower() not in own_origins(base_url, request.headers.get("host", ""))


class SameOrigin:
    """Every POST (any unsafe method) from another site's page is answered 403, before any handler
    runs, unless its route is marked one_click."""

    def __init__(self, app: ASGIApp, base_url: str, refuse: Callable[[Request], object]) -> None:
        self.app, self.base_url, self.refuse = app, base_url, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            request = Request(scope)
            if is_cross_site(request, self.base_url) and not _exempt(scope):
                response = self.refuse(request)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def _exempt(scope: Scope) -> bool:
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route.endpoint, "cross_site", False)
    return False
