"""`hubmail summary publish`: the moderators' summary from a file, through the same path as S+summary@."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli_options import ConfigOption, commands, hub_from

# The database layer, the worker and moderation are imported in the command: --help stays light.
if TYPE_CHECKING:
    import email.message

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
    from archive.record.members import role_of
    from archive.record.spaces import space_row
    from config.database import session_scope
    from gateway.spool import Envelope
    from gateway.worker import Worker

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
    message = _letter(sender, to, subject or f"Summary of {settings.title}", file, hub.settings.site.domain)
    name = hub.spool.put(Envelope(mail_from=sender, recipients=[to], source="cli"), message.as_bytes())
    # Only this entry: the rest of the spool is the running server's to process.
    outcome = Worker(hub.settings, hub.engine, hub.spool).process(name)
    for _slug, result in outcome.results if outcome else [("", "queued; hubmail serve will store it")]:
        typer.echo(result)
    if approve:
        _approve(hub, space, message["Message-ID"].strip("<>"), sender)


def _letter(sender: str, to: str, subject: str, file: Path, domain: str) -> email.message.EmailMessage:
    """The summary as a letter from the moderator; a file not in UTF-8 is said, and ends the command."""
    import email.message
    import email.utils

    from config.database import utcnow

    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = email.utils.format_datetime(utcnow())
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    try:
        message.set_content(file.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        typer.echo(f"hubmail: {file} is not UTF-8 text (byte {exc.start}); save it as UTF-8", err=True)
        raise typer.Exit(1) from None
    return message


def _approve(hub, space: str, message_id: str, moderator: str) -> None:
    from sqlmodel import select

    from archive.record.models import Post
    from archive.record.spaces import space_row
    from config.database import session_scope, utcnow
    from moderation.commands import Command, Verb
    from moderation.context import Moderation
    from moderation.decisions import Actor, apply
    from moderation.sentences import describe

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
