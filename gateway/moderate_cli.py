"""`hubmail holds` and `hubmail moderate ...`: the operator's way in, through the same code as mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, commands, hub_from, operator

# The database layer and moderation are imported in the commands: `hubmail moderate --help` stays light.

app = commands("Decide on held posts from a shell, as moderators do by mail.")
PostIds = Annotated[list[int] | None, typer.Argument(help="Post ids, as `hubmail posts --json` shows them.")]
PostId = Annotated[int, typer.Argument(help="The post's id, as `hubmail posts --json` shows it.")]
By = Annotated[str, typer.Option("--by", help="Who decides (recorded); default [site] operator, else USER.")]
AllHeld = Annotated[bool, typer.Option("--all-held", help="Every post held in --space.")]
SpaceOption = Annotated[str, typer.Option("--space", help="With --all-held: the space's slug.")]


def _run(config: Path | None, post_ids: list[int], verb: str, by: str, all_held: str = "", **how) -> None:
    """The command on each post in turn (no verb: untrust); exit 1 when any post was missing or unchanged."""
    from archive.record.models import Post
    from config.database import session_scope, utcnow
    from moderation.commands import Command, Verb
    from moderation.context import Moderation
    from moderation.decisions import Actor, apply, untrust_sender
    from moderation.sentences import describe

    hub = hub_from(config)
    command = Command(Verb(verb), **how) if verb else None
    unchanged = 0
    with session_scope(hub.engine) as session:
        mod = Moderation.at(hub.settings, utcnow())
        actor = Actor(by or operator(hub.settings), "cli")
        for post_id in post_ids or _held(hub, session, all_held):
            post = session.get(Post, post_id)
            if post is None:
                typer.echo(f"hubmail: no post {post_id}", err=True)
                unchanged += 1
                continue
            result = (
                untrust_sender(session, post, actor, mod)
                if command is None
                else apply(mod, session, post, command, actor)
            )
            typer.echo(describe(result))
            unchanged += not result.changed
    if unchanged:
        raise typer.Exit(1)


def _held(hub, session, slug: str) -> list[int]:
    from sqlmodel import col, select

    from archive.record.models import Post, PostStatus
    from archive.record.spaces import space_row

    if not slug or hub.settings.space(slug) is None:
        known = ", ".join(s.slug for s in hub.settings.spaces)
        typer.echo(f"hubmail: --all-held needs --space, one of: {known}", err=True)
        raise typer.Exit(2)
    query = select(Post.id).where(
        Post.space_id == space_row(session, slug).id, Post.status == PostStatus.HELD
    )
    return list(session.exec(query.order_by(col(Post.id))))


def _ids(post_ids: list[int] | None, all_held: bool, space: str) -> tuple[list[int], str]:
    if bool(post_ids) == all_held:
        typer.echo("hubmail: give post ids, or --all-held --space S", err=True)
        raise typer.Exit(2)
    return post_ids or [], space if all_held else ""


@app.command()
def approve(
    post_ids: PostIds = None,
    by: By = "",
    config: ConfigOption = None,
    trust: Annotated[bool, typer.Option(help="Also publish these senders' future posts at once.")] = False,
    all_held: AllHeld = False,
    space: SpaceOption = "",
) -> None:
    """Publish held posts (after a review meeting: --all-held --space S)."""
    ids, held_in = _ids(post_ids, all_held, space)
    _run(config, ids, "approve", by, held_in, trust=trust)


@app.command()
def reject(
    post_id: PostId, reason: Annotated[list[str], typer.Argument()], by: By = "", config: ConfigOption = None
) -> None:
    """Do not publish; the author is told the reason."""
    _run(config, [post_id], "reject", by, reason=" ".join(reason))


@app.command()
def discard(
    post_ids: PostIds = None,
    by: By = "",
    config: ConfigOption = None,
    all_held: AllHeld = False,
    space: SpaceOption = "",
) -> None:
    """Do not publish, and tell nobody (spam)."""
    ids, held_in = _ids(post_ids, all_held, space)
    _run(config, ids, "discard", by, held_in)


@app.command()
def move(
    post_id: PostId,
    question: Annotated[str, typer.Argument(help="qN or N")],
    by: By = "",
    config: ConfigOption = None,
) -> None:
    """File the post under another guiding question."""
    _run(config, [post_id], "move", by, question=int(question.lower().lstrip("q")))


@app.command()
def untrust(post_id: PostId, by: By = "", config: ConfigOption = None) -> None:
    """Hold this post's sender's posts for moderation again (undoes `approve trust`)."""
    _run(config, [post_id], "", by)


@app.command()
def summary(
    config: ConfigOption = None,
    at: Annotated[str, typer.Option(help="Pretend it is this ISO time (UTC) now.")] = "",
) -> None:
    """Send today's summaries of undecided holds now (the scheduler does it daily)."""
    from config.database import utcnow
    from gateway.jobs import summaries

    now = dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else utcnow()
    typer.echo(f"queued {summaries(hub_from(config), now)} summary message(s)")


@app.command()
def original(
    post_id: PostId,
    published: Annotated[bool, typer.Option(help="The message as the public gets it instead.")] = False,
    config: ConfigOption = None,
) -> None:
    """Write a post's message as it came to standard output (after an edit, the public gets the
    moderators' text instead: --published)."""
    import sys

    from archive.record.edits import public_raw
    from archive.record.models import Post
    from config.database import session_scope

    with session_scope(hub_from(config).engine) as session:
        post = session.get(Post, post_id)
        if post is None:
            typer.echo(f"hubmail: no post {post_id}", err=True)
            raise typer.Exit(1)
        sys.stdout.buffer.write(public_raw(post) if published else post.raw)
