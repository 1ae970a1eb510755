"""Sign-in pages: ask for a link, confirm it with a button (mail scanners follow links), sign out."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.record.mailing import Mailing
from archive.web.context import Archive, archive_of
from archive.web.headers import SAFE_HEADERS
from archive.web.signin import COOKIE, SESSION_LIFETIME, end_session, request_link, use_link
from config.database import session_scope, utcnow


async def ask(request: Request) -> Response:
    archive = archive_of(request)
    language = archive.language(request)
    if request.method == "GET":
        return archive.render(request, "signin.html", language, step="ask")
    form = await request.form()  # then off the event loop: the write may wait for its lock
    await run_in_threadpool(_mail_link, archive, str(form.get("address", "")), language)
    return archive.render(request, "signin.html", language, step="sent")


def _mail_link(archive: Archive, address: str, language: str) -> None:
    with session_scope(archive.engine, writes=True) as session:
        request_link(Mailing.at(archive.settings, utcnow()), session, address, language)


def confirm(request: Request) -> Response:
    archive = archive_of(request)
    language = archive.language(request)
    token = request.path_params["token"]
    if request.method == "GET":  # a mail scanner opening the link must not use it up
        return archive.render(request, "signin.html", language, step="confirm", token=token)
    with session_scope(archive.engine, writes=True) as session:
        cookie = use_link(archive.settings.site.secret_key, session, token, utcnow())
    if cookie is None:
        response = archive.render(request, "signin.html", language, step="invalid")
        response.status_code = 400
        return response
    response = RedirectResponse("/", status_code=303, headers=SAFE_HEADERS)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=archive.settings.site.base_url.startswith("https:"),
    )
    return response


def sign_out(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine, writes=True) as session:
        end_session(archive.settings.site.secret_key, session, request.cookies.get(COOKIE), utcnow())
    response = RedirectResponse("/", status_code=303, headers=SAFE_HEADERS)
    response.delete_cookie(COOKIE)
    return response


ROUTES = [
    Route("/signin", ask, methods=["GET", "POST"]),
    Route("/signin/{token}", confirm, methods=["GET", "POST"]),
    Route("/signout", sign_out, methods=["POST"]),
]
