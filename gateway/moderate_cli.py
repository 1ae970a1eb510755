"""`hubmail holds` and `hubmail moderate ...`: the operator's way in, through the same code as mail."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from archive.models import Post
from config import Settings
from config.database import session_scope, utcnow
from gateway.cli_options import ConfigOption, hub_from
from gateway.jobs import summaries
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.decisions import Actor, apply
from moderation.decisions import untrust as untrust_sender
from moderation.sentences import describe

app = typer.Typer(
    help="Decide on held posts from a shell, as moderators do by mail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
PostId = Annotated[int, typer.Argument(help="The post's id, as `hubmail posts --json` shows it.")]
By = Annotated[str, typer.Option("--by", help="Who decides (recorded); default [site] operator, else USER.")]


def _actor(by: str, settings: Settings) -> Actor:
    return Actor(by or settings.site.operator or getpass.getuser(), "cli")


def _run(config: Path | None, post_id: int, command: Command | None, by: str) -> None:
    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        post = session.get(Post, post_id)
        if post is None:
            typer.echo(f"hubmail: no post {post_id}", err=True)
            raise typer.Exit(1)
        mod = Moderation.at(hub.settings, utcnow())
        actor = _actor(by, hub.settings)
        result = (
            untrust_sender(session, post, actor, mod)
            if command is None
            else apply(mod, session, post, command, actor)
        )
    typer.echo(describe(result))
    if not result.changed:
        raise typer.Exit(1)


@app.command()
def approve(
    post_id: PostId,
    by: By = "",
    config: ConfigOption = None,
    trust: Annotated[bool, typer.Option(help="Also publish this sender's future posts at once.")] = False,
) -> None:
    """Publish a held post."""
    _run(config, post_id, Command(Verb.APPROVE, trust=trust), by)


@app.command()
def reject(
    post_id: PostId, reason: Annotated[list[str], typer.Argument()], by: By = "", config: ConfigOption = None
) -> None:
    """Do not publish; the author is told the reason."""
    _run(config, post_id, Command(Verb.REJECT, reason=" ".join(reason)), by)


@app.command()
def discard(post_id: PostId, by: By = "", config: ConfigOption = None) -> None:
    """Do not publish, and tell nobody (spam)."""
    _run(config, post_id, Command(Verb.DISCARD), by)


@app.command()
def move(
    post_id: PostId,
    question: Annotated[str, typer.Argument(help="qN or N")],
    by: By = "",
    config: ConfigOption = None,
) -> None:
    """File the post under another guiding question."""
    _run(config, post_id, Command(Verb.MOVE, question=int(question.lower().lstrip("q"))), by)


@app.command()
def untrust(post_id: PostId, by: By = "", config: ConfigOption = None) -> None:
    """Hold this post's sender's posts for moderation again (undoes `approve trust`)."""
    _run(config, post_id, None, by)


@app.command()
def summary(
    config: ConfigOption = None,
    at: Annotated[str, typer.Option(help="Pretend it is this ISO time (UTC) now.")] = "",
) -> None:
    """Send today's summaries of undecided holds now (the scheduler does it daily)."""
    now = dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else utcnow()
    typer.echo(f"queued {summaries(hub_from(config), now)} summary message(s)")
