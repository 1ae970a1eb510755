"""The moderators' page of a space (issue 15): its held posts with their notes, each decided through
the same code as a reply to its hold notice (moderation.decisions.apply: the first decision wins,
and the author's receipt and the other moderators' update are the same)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.record.attachments import blob_path
from archive.record.members import moderators_of
from archive.record.models import Post, PostStatus, Space
from archive.record.reading import LIGHT_FOR_PAGES, questions
from archive.web.context import Archive, NotFound, archive_of
from archive.web.downloads import as_download
from archive.web.headers import SAFE_HEADERS
from config.database import session_scope, utcnow
from config.errors import N_, Reason
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.decisions import Actor, apply
from moderation.outcomes import Outcome, Result
from moderation.sentences import describe
from templates import translations

NOT_A_MODERATOR = Reason(N_("Only the moderators of this discussion may see its held contributions."))
SIGN_IN = Reason(N_("Sign in to moderate: use the address you moderate with."))
EXCERPT = 1200  # characters of a held post's text on the page; its hold notice has it all


def routes(queued: Callable[[], None]) -> list[Route]:
    """`queued` tells serve's outbox that a decision queued mail (receipts, updates)."""

    async def page(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(_page, request, form, queued)

    # Under a literal no other page of a space uses: they hide no route, none hides them.
    return [
        Route("/{slug}/moderation/", page, methods=["GET", "POST"]),
        Route("/{slug}/moderation/{post:int}/{index:int}.bin", held_file),
    ]


def _moderator(archive: Archive, request: Request, session: Session) -> tuple[Space, str] | Response:
    """The space and the signed-in moderator's address, or the answer for anyone else."""
    space = archive.space_of(session, request)  # one the visitor may not read: as if it did not exist
    address = archive.viewer(request, session).address
    if address is None and request.method == "GET":
        return RedirectResponse("/signin", status_code=303, headers=SAFE_HEADERS)
    config = archive.settings.space(space.slug)
    if address is None or config is None or address not in moderators_of(session, config):
        language = archive.language(request, space.languages)
        return _refused(archive, request, language, SIGN_IN if address is None else NOT_A_MODERATOR)
    return space, address


def held_file(request: Request) -> Response:
    """A file of a post of this space, whatever its status, for its moderators only."""
    archive = archive_of(request)
    with session_scope(archive.engine, writes=False) as session:
        found = _moderator(archive, request, session)
        if isinstance(found, Response):
            return found
        post = session.get(Post, request.path_params["post"], options=[*LIGHT_FOR_PAGES])
        index = request.path_params["index"]
        if post is None or post.space_id != found[0].id or not 0 <= index < len(post.attachments):
            raise NotFound
        meta = post.attachments[index]
    path = blob_path(archive.settings.data_path / "attachments", meta["sha256"])
    if path is None:
        raise NotFound
    return as_download(path.read_bytes(), meta["filename"])


def _page(request: Request, form, queued: Callable[[], None]) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine, writes=form is not None) as session:
        found = _moderator(archive, request, session)
        if isinstance(found, Response):
            return found
        (space, address), language = found, archive.language(request, found[0].languages)
        done = _decide(archive, session, space, address, form, language) if form is not None else ""
        asked = questions(session, space.id)
        response = archive.render(
            request,
            "moderation.html",
            language,
            space=space,
            held=held_posts(session, space),
            questions=asked,
            numbers={q.id: q.number for q in asked},
            done=done,
            moderator=address,
            excerpt=EXCERPT,
        )
    if done:
        queued()
    return response


def held_posts(session: Session, space: Space) -> list[Post]:
    """The space's held posts, oldest first, as the daily summary lists them."""
    query = select(Post).where(Post.space_id == space.id, Post.status == PostStatus.HELD)
    return list(session.exec(query.options(*LIGHT_FOR_PAGES).order_by(col(Post.id))))


def command_of(form) -> Command | None:
    """The form's command: approve, trust (approve trust), reject with its reason, discard, move."""
    action = str(form.get("action", ""))
    if action in ("approve", "trust"):
        return Command(Verb.APPROVE, trust=action == "trust")
    if action == "reject":
        return Command(Verb.REJECT, reason=" ".join(str(form.get("reason", "")).split())[:500])
    if action == "discard":
        return Command(Verb.DISCARD)
    number = str(form.get("question", "")).lower().lstrip("q")
    if action == "move" and number.isdigit():
        return Command(Verb.MOVE, question=int(number))
    return None


def _decide(archive: Archive, session: Session, space: Space, address: str, form, language: str) -> str:
    """One decision on one post of this space, as a reply to its notice would make it."""
    post_id = str(form.get("post", ""))
    post = session.get(Post, int(post_id)) if post_id.isdigit() else None
    command = command_of(form)
    if post is None or post.space_id != space.id or command is None:
        result = Result(Outcome.NO_SUCH_POST, int(post_id) if post_id.isdigit() else None)
    else:
        mod = Moderation.at(archive.settings, utcnow())
        result = apply(mod, session, post, command, Actor(address, "web"))
    return describe(result, translations(language, archive.settings.templates_path), language)


def _refused(archive: Archive, request: Request, language: str, reason: str) -> Response:
    response = archive.render(
        request, "error.html", language, status=403, message=archive.said(reason, language)
    )
    response.status_code = 403
    return response
