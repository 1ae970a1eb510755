"""Web pages for subscribers: confirm a subscription, unsubscribe (RFC 8058 one-click POST)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record.mailing import Mailing
from archive.record.reading import readable_space
from archive.record.spaces import space_row
from archive.record.visibility import may_read
from archive.web.context import Archive, NotFound, archive_of
from archive.web.origin import one_click
from config.database import session_scope, utcnow
from config.tokens import InvalidToken
from digest.requests import apply_token, token_subscriber, web_subscribe


def confirm(request: Request) -> Response:
    return _action(request, "confirm")


@one_click  # RFC 8058: the mail provider's server POSTs here, from no page of ours
def unsubscribe(request: Request) -> Response:
    return _action(request, "unsubscribe")


async def subscribe(request: Request) -> Response:
    form = await request.form()  # then off the event loop: the write may wait for its lock
    return await run_in_threadpool(_subscribed, request, form)


def _action(request: Request, kind: str) -> Response:
    archive = archive_of(request)
    token = request.path_params["token"]
    mail = Mailing.at(archive.settings, utcnow())
    with session_scope(archive.engine, writes=request.method == "POST") as session:
        space = _space_for(archive, request, session, mail, token, kind)
        language = archive.language(request, space.languages)
        if request.method == "GET":  # a link previewer must not unsubscribe anyone: ask first
            return _page(archive, request, language, space, ask=kind)
        try:
            done = apply_token(mail, session, space, token, (kind,))
        except InvalidToken as exc:
            reason = archive.said(exc.reason, language)
            response = _page(archive, request, language, space, done="refused", reason=reason)
            response.status_code = 400
            return response
    return _page(archive, request, language, space, done=done)


def _subscribed(request: Request, form) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine, writes=True) as session:
        space = readable_space(session, request.path_params["slug"], archive.viewer(request, session))
        if space is None:
            raise NotFound
        web_subscribe(
            Mailing.at(archive.settings, utcnow()),
            session,
            space,
            str(form.get("address", "")),
            str(form.get("mode", "weekly")),
        )
        language = archive.language(request, space.languages)
        return _page(archive, request, language, space, done="asked")


def _space_for(archive: Archive, request: Request, session, mail: Mailing, token: str, kind: str):
    """The space, for a visitor who may read it or who holds a genuine token of `kind` for one of
    its subscribers (the mailbox that got the link knows the space); NotFound for anyone else, as
    for a space that does not exist, so that nothing is told of a private space (issue 14)."""
    space = space_row(session, request.path_params["slug"])
    if space is None:
        raise NotFound
    if may_read(space, archive.viewer(request, session)):
        return space
    try:
        token_subscriber(mail, session, space, token, (kind,))
    except InvalidToken:
        raise NotFound from None
    return space


def _page(archive: Archive, request: Request, language: str, space, ask="", done="", reason=""):
    """ask: confirm or unsubscribe (the button); done: confirm, unsubscribe, asked or refused."""
    return archive.render(
        request, "subscription.html", language, space=space, ask=ask, done=done, reason=reason
    )


# Each second segment is a literal no archive page uses, so these and the archive's pages can be
# listed in any order: a catch-all /{slug}/{kind}/{token} once took /{slug}/stats/weeks.svg.
ROUTES = [
    Route("/{slug}/subscribe", subscribe, methods=["POST"]),
    Route("/{slug}/confirm/{token}", confirm, methods=["GET", "POST"]),
    Route("/{slug}/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
]
