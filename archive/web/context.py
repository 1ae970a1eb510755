"""What every page handler has at hand: settings, templates in the reader's language, who is looking."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

import jinja2
from babel import Locale
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from archive.record import reading
from archive.record.display import quotes_in, text_to_html
from archive.record.members import role_of
from archive.record.models import Post, Question, Space
from archive.record.spaces import title_in
from archive.record.urls import attachment_path, message_hash, reply_mailto
from archive.record.visibility import ANONYMOUS, Viewer, gives_raw_mail, may_post
from archive.web.headers import SAFE_HEADERS
from archive.web.reader_language import choose_language
from archive.web.signin import COOKIE, viewer_of
from config import Settings
from config.database import utcnow
from config.errors import said
from templates import environment, languages, translations

LANGUAGE_COOKIE = "hubmail_lang"
LANGUAGE_KEPT = 365 * 24 * 3600  # seconds: a reader's choice of language lasts a year


class NotFound(Exception):
    """Nothing here for this visitor (missing and not allowed look the same)."""


class Archive:
    """Everything a page handler needs, built once per process."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.languages = languages(settings.templates_path)
        self.language_names = {code: language_name(code) for code in self.languages}
        self.globals = {
            "message_hash": message_hash,
            "attachment_path": attachment_path,
            "show_addresses": settings.web.show_addresses,
            "base_url": settings.site.base_url.rstrip("/"),
            "title_in": self.title_in,
            "gives_raw_mail": gives_raw_mail,
            "reply_mailto": reply_mailto,
        }
        # The stylesheet's URL names its version: a new look reaches readers at once, not after
        # their cached copy's hour (browsing.style lets a named version be kept a year).
        css = self.templates("en").get_template("web/style.css").render()
        self.globals["style_version"] = hashlib.blake2b(css.encode(), digest_size=6).hexdigest()

    def templates(self, language: str) -> jinja2.Environment:
        """The templates speaking `language` (its catalog, its dates), with the archive's helpers."""
        env = environment(self.settings.templates_path, language)
        env.globals.update(self.globals)
        words = translations(language, self.settings.templates_path)
        env.filters["quotes_in_language"] = lambda display_html: quotes_in(display_html or "", words)
        env.filters["text_as_html"] = text_to_html  # a translation's text, escaped as a text post's
        return env

    def said(self, reason: str, language: str) -> str:
        """A Reason (or any text) in the reader's language."""
        return said(reason, translations(language, self.settings.templates_path).gettext)

    def render(
        self, request: Request, name: str, language: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        text = (
            self.templates(language)
            .get_template(f"web/{name}")
            .render(
                languages=self.languages,
                language_names=self.language_names,
                alternates=values.pop("alternates", None) or alternates(request, self.languages),
                request_path=request.url.path,
                status=status,
                now=utcnow(),
                signed_in=COOKIE in request.cookies,  # only which link to show; access is checked per page
                **values,
            )
        )
        response = HTMLResponse(text, status_code=status, headers=SAFE_HEADERS)
        chosen = request.query_params.get("lang")
        if chosen in self.languages:  # the reader's choice holds on the next click
            secure = self.settings.site.base_url.startswith("https:")
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_KEPT, samesite="lax", secure=secure)
        return response

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        """An error page in the reader's language. It does not repeat the URL (its language links
        are relative): a private space's 404 is byte for byte an unknown one's."""
        language = self.language(request)
        relative = [(code, f"?lang={code}") for code in self.languages]
        text = self.said(message, language)
        return self.render(request, "error.html", language, status, message=text, alternates=relative)

    def title_in(self, space: Any, language: str) -> str:
        """A space's title in the reader's language where the configuration gives one."""
        return title_in(self.settings, space, language)

    def viewer(self, request: Request, session: Session) -> Viewer:
        """Who is looking: the signed-in address from the session cookie, or anonymous."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return ANONYMOUS
        return viewer_of(self.settings.site.secret_key, session, self.settings, cookie, utcnow())

    def language(self, request: Request, offered: tuple[str, ...] | list[str] = ()) -> str:
        """The reader's language: ?lang=, else the one they chose before (a cookie), else their
        browser's (Accept-Language), else the space's first."""
        return choose_language(
            request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language", ""),
            tuple(offered) or self.languages,
        )

    def reply_address(self, space: Space, question: Question | None) -> str:
        """Where a reply by mail goes: the question's address, else the space's (a reply joins its
        thread by In-Reply-To whatever the address, archive.record.store)."""
        detail = f"+q{question.number}" if question is not None else ""
        return f"{space.slug}{detail}@{self.settings.site.domain}"

    def may_write(self, session: Session, request: Request, space: Space) -> bool:
        """Is the visitor signed in with an address the space's posting rule lets post? Then its
        pages offer writing on the web (the writing pages ask again, and the calendar too)."""
        address = self.viewer(request, session).address
        config = self.settings.space(space.slug)
        if address is None or config is None:
            return False
        return may_post(config, address, role_of(session, self.settings, space, address))

    def space_of(self, session: Session, request: Request) -> Space:
        """The space the URL names, if this visitor may read it."""
        row = reading.readable_space(session, request.path_params["slug"], self.viewer(request, session))
        if row is None:
            raise NotFound
        return row

    def post_of(self, session: Session, request: Request) -> tuple[Space, Post]:
        """The space and the published post the URL names, if this visitor may read them."""
        row = self.space_of(session, request)
        post = reading.post_by_hash(session, row.id, request.path_params["digest"])
        if post is None:
            raise NotFound
        return row, post


def archive_of(request: Request) -> Archive:
    """The Archive of the app answering (archive.web.app.make_app keeps it in the app's state)."""
    return request.app.state.archive


def question_of(session: Session, space: Space, request: Request) -> Question:
    """The space's question whose number the URL names."""
    number = int(request.path_params["number"])
    found = [q for q in reading.questions(session, space.id) if q.number == number]
    if not found:
        raise NotFound
    return found[0]


def alternates(request: Request, codes: tuple[str, ...]) -> list[tuple[str, str]]:
    """This page in each language (hreflang alternates, the language menu): its URL with ?lang= set."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [(code, f"{request.url.path}?{urlencode([*query, ('lang', code)])}") for code in codes]


def language_name(code: str) -> str:
    """A language's name in itself ("Français", "العربية"), as a reader looks for their own."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]
