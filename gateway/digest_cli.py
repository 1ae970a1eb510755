"""`hubmail subscribers ...` and `hubmail digest ...`: operators' access to subscriptions and digests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli_options import ConfigOption, JsonOption, check_choice, commands, hub_from, print_rows

# The database layer and the digest package are imported in the commands: their --help stays light.
if TYPE_CHECKING:
    from digest import roster

subscribers = commands("Add, remove, list and import subscribers.")
digest = commands("Send or preview digests (the scheduler does it on its own).")
Space = Annotated[str, typer.Option("--space", help="The space's slug.")]


def _space(session, hub, slug: str):
    from archive.record.spaces import space_row

    row = space_row(session, slug) if hub.settings.space(slug) else None
    if row is None:
        typer.echo(f"hubmail: no space {slug!r} in the configuration", err=True)
        raise typer.Exit(1)
    return row


def _report(change: roster.RosterChange) -> None:
    typer.echo(f"added {change.added}, updated {change.updated}, refused {len(change.refused)}")
    for line in change.refused:
        typer.echo(f"  refused {line}", err=True)
    if change.refused:
        raise typer.Exit(1)


@subscribers.command()
def add(
    addresses: Annotated[list[str], typer.Argument()],
    space: Space,
    config: ConfigOption = None,
    mode: str = "weekly",
    language: str = "",
    name: str = "",
) -> None:
    """Subscribe addresses at once (no confirmation mail: the operator vouches for them)."""
    from config.database import session_scope
    from digest import roster

    hub = hub_from(config)
    change = roster.RosterChange(refused=[])
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        for address in addresses:
            roster.add(session, row, address, name, mode, language, change)
    _report(change)


@subscribers.command(name="import")
def import_(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    space: Space,
    config: ConfigOption = None,
) -> None:
    """Import a CSV of address, name, mode, language (a header line is skipped)."""
    from config.database import session_scope
    from digest import roster

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        change = roster.import_csv(session, _space(session, hub, space), csv_file.read_text("utf-8-sig"))
    _report(change)


@subscribers.command()
def remove(
    addresses: Annotated[list[str], typer.Argument()], space: Space, config: ConfigOption = None
) -> None:
    """Unsubscribe addresses."""
    from config.database import session_scope
    from digest import roster

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        removed = [a for a in addresses if roster.remove(session, row, a)]
    typer.echo(f"removed {len(removed)} of {len(addresses)}")


@subscribers.command(name="list")
def list_(space: Space, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The space's subscribers and how they are served."""
    from config.database import session_scope
    from digest import roster

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        rows = roster.listing(session, _space(session, hub, space))
    print_rows(rows, as_json, ("address", "name", "mode", "language", "status", "bounce_score"))


@digest.command()
def send(
    config: ConfigOption = None,
    space: Annotated[str | None, typer.Option()] = None,
    mode: Annotated[str | None, typer.Option(help="weekly or daily; default: both")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    at: Annotated[str, typer.Option(help="Pretend it is this ISO time (UTC) now.")] = "",
) -> None:
    """Send due digests now (each subscriber's new posts), through the same code as the scheduler."""
    from config.database import utcnow
    from gateway.jobs import digests

    hub = hub_from(config)
    check_choice("--mode", mode, ["weekly", "daily"])
    check_choice("--space", space, [s.slug for s in hub.settings.spaces])
    now = dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else utcnow()
    for each in [mode] if mode else ["daily", "weekly"]:
        count = digests(hub, each, space, now, dry_run)
        typer.echo(f"{'would send' if dry_run else 'queued'} {count} {each} digest(s)")


@digest.command()
def preview(
    space: Space,
    to: Annotated[str, typer.Option("--to", help="A subscriber's address.")],
    config: ConfigOption = None,
) -> None:
    """Print the digest this subscriber would get now; nothing is sent and no cursor moves."""
    from config.database import session_scope
    from digest import roster

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        subscriber = roster.find_subscriber(session, row.id, to.strip().lower())
        if subscriber is None:
            typer.echo(f"hubmail: {to} does not follow {space}", err=True)
            raise typer.Exit(1)
        letters = _preview(hub, session, row, subscriber)
    for letter in letters:
        typer.echo(f"Subject: {letter.subject}\n\n{letter.text}")


def _preview(hub, session, row, subscriber) -> list:
    """The subscriber's next digest, personalized; empty (and said) when nothing is new."""
    from archive.record.bodies import personalized
    from archive.record.mailing import Mailing
    from config.database import utcnow
    from digest.delivery import due_posts
    from digest.headers import recipient
    from digest.render import digest_letters

    posts = due_posts(session, subscriber)
    if not posts:
        typer.echo("nothing new: no digest would be sent")
        return []
    mail = Mailing.at(hub.settings, utcnow())
    language = subscriber.language or (row.languages or [hub.settings.site.language])[0]
    letters = digest_letters(mail, session, row, posts, language, subscriber.mode)
    personal = recipient(mail, row.slug, subscriber).personal()
    return [personalized(letter, personal) for letter in letters]
