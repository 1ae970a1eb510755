"""`hubmail summary publish`: the moderators' summary from a file, through the same path as S+summary@."""

from __future__ import annotations

import email.message
import email.utils
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from archive.members import role_of
from archive.models import Post
from archive.spaces import space_row
from config.database import session_scope, utcnow
from gateway.cli_options import ConfigOption, commands, hub_from
from gateway.spool import Envelope
from gateway.worker import Worker
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.decisions import Actor, apply
from moderation.sentences import describe

app = commands("The moderators' summary of a space.")


@app.command()
def publish(
    space: Annotated[str, typer.Argument(help="The space's slug.")],
    file: Annotated[
        Path, typer.Argument(help="The summary as plain text (UTF-8).", exists=True, dir_okay=False)
    ],
    sender: Annotated[str, typer.Option("--from", help="A moderator (default: the first configured).")] = "",
    subject: Annotated[str, typer.Option(help="Default: Summary of <space title>.")] = "",
    approve: Annotated[bool, typer.Option(help="Publish at once instead of holding it.")] = False,
    config: ConfigOption = None,
) -> None:
    """Held like any post (moderators approve it by mail), then pinned on the space page."""
    hub = hub_from(config)
    settings = hub.settings.space(space)
    if settings is None:
        typer.echo(f"hubmail: no space {space!r} in the configuration", err=True)
        raise typer.Exit(1)
    sender = (sender or settings.moderators[0]).lower()
    with session_scope(hub.engine) as session:
        if role_of(session, hub.settings, space_row(session, space), sender) != "moderator":
            typer.echo(
                f"hubmail: {sender} is not a moderator of {space}; only moderators send summaries", err=True
            )
            raise typer.Exit(1)
    to = f"{space}+summary@{hub.settings.site.domain}"
    message = email.message.EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = subject or f"Summary of {settings.title}"
    message["Date"] = email.utils.format_datetime(utcnow())
    message["Message-ID"] = email.utils.make_msgid(domain=hub.settings.site.domain)
    try:
        message.set_content(file.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        typer.echo(f"hubmail: {file} is not UTF-8 text (byte {exc.start}); save it as UTF-8", err=True)
        raise typer.Exit(1) from None
    name = hub.spool.put(Envelope(mail_from=sender, recipients=[to], source="cli"), message.as_bytes())
    # Only this entry: the rest of the spool is the running server's to process.
    outcome = Worker(hub.settings, hub.engine, hub.spool).process(name)
    for _slug, result in outcome.results if outcome else [("", "queued; hubmail serve will store it")]:
        typer.echo(result)
    if approve:
        _approve(hub, space, message["Message-ID"].strip("<>"), sender)


def _approve(hub, space: str, message_id: str, moderator: str) -> None:
    with session_scope(hub.engine) as session:
        query = select(Post).where(
            Post.space_id == space_row(session, space).id, Post.message_id == message_id
        )
        post = session.exec(query).first()
        if post is None:
            typer.echo(
                "hubmail: the summary is not stored yet; approve it by mail or with moderate", err=True
            )
            raise typer.Exit(1)
        result = apply(
            Moderation.at(hub.settings, utcnow()),
            session,
            post,
            Command(Verb.APPROVE),
            Actor(moderator, "cli"),
        )
        typer.echo(describe(result))
