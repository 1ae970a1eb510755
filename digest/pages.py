"""Web pages for subscribers: confirm a subscription, unsubscribe (RFC 8058 one-click POST)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from archive.mailing import Mailing
from archive.pages import Archive, NotFound
from archive.spaces import space_row
from config.database import session_scope, utcnow
from config.tokens import InvalidToken
from digest.requests import apply_token, web_subscribe

KINDS = ("unsubscribe", "confirm")


def routes(archive: Archive) -> list[tuple[str, Callable, list[str]]]:
    def action(request: Request) -> Response:
        kind, token = request.path_params["kind"], request.path_params["token"]
        if kind not in KINDS:
            raise NotFound
        with session_scope(archive.engine) as session:
            # Every space, readable or not: the signed token is the proof, not a session.
            space = space_row(session, request.path_params["slug"])
            if space is None:
                raise NotFound
            language = archive.language(request, space.languages)
            if request.method == "GET":  # a link previewer must not unsubscribe anyone: ask first
                return _page(archive, request, language, space, ask=kind)
            try:
                done = apply_token(Mailing.at(archive.settings, utcnow()), session, space, token)
            except InvalidToken as exc:
                response = _page(
                    archive,
                    request,
                    language,
                    space,
                    done="refused",
                    reason=archive.said(exc.reason, language),
                )
                response.status_code = 400
                return response
        return _page(archive, request, language, space, done=done)

    async def subscribe(request: Request) -> Response:
        form = await request.form()
        with session_scope(archive.engine) as session:
            space = space_row(session, request.path_params["slug"])
            if space is None:
                raise NotFound
            web_subscribe(
                Mailing.at(archive.settings, utcnow()),
                session,
                space,
                str(form.get("address", "")),
                str(form.get("mode", "weekly")),
            )
            return _page(
                archive,
                request,
                archive.language(request, space.languages),
                space,
                done="asked",
            )

    return [("/{slug}/subscribe", subscribe, ["POST"]), ("/{slug}/{kind}/{token}", action, ["GET", "POST"])]


def _page(archive: Archive, request: Request, language: str, space, ask="", done="", reason=""):
    """ask: confirm or unsubscribe (the button); done: confirm, unsubscribe, asked or refused."""
    return archive.render(
        request, "subscription.html", language, space=space, ask=ask, done=done, reason=reason
    )
