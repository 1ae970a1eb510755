"""`hubmail announcements ...`: what subscribers are told of the calendar and summaries, and when."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, JsonOption, check_choice, commands, hub_from, print_rows

app = commands("List or send announcements: phase openings, reminders, summaries (the scheduler sends them).")
At = Annotated[str, typer.Option(help="Pretend it is this ISO time (UTC) now.")]


def _now(at: str) -> dt.datetime:
    from config.database import utcnow

    try:
        return dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else utcnow()
    except ValueError:
        typer.echo(f"hubmail: --at {at!r} is not an ISO date and time", err=True)
        raise typer.Exit(2) from None


@app.command(name="list")
def list_(
    space: Annotated[str, typer.Option("--space", help="The space's slug.")],
    config: ConfigOption = None,
    at: At = "",
    as_json: JsonOption = False,
) -> None:
    """Each announcement of the space, sent and to come: when it is due, to how many it went, how
    many it is owed to now (`waiting`)."""
    from archive.record.mailing import Mailing
    from archive.record.spaces import space_row
    from config.database import session_scope
    from digest.announcing import overview

    hub = hub_from(config)
    check_choice("--space", space, [s.slug for s in hub.settings.spaces])
    with session_scope(hub.engine) as session:
        row = space_row(session, space)
        rows = overview(Mailing.at(hub.settings, _now(at)), session, row, hub.settings.space(space))
    print_rows(rows, as_json, ("key", "kind", "at", "until", "state", "sent", "waiting"))


@app.command()
def send(
    config: ConfigOption = None,
    space: Annotated[str | None, typer.Option(help="Only this space.")] = None,
    at: At = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, send nothing.")] = False,
) -> None:
    """Send what is due now and was not sent yet, through the scheduler's code (never twice)."""
    from gateway.jobs import announce

    hub = hub_from(config)
    check_choice("--space", space, [s.slug for s in hub.settings.spaces])
    count = announce(hub, space, _now(at), dry_run)
    typer.echo(f"{'would send' if dry_run else 'queued'} {count} announcement(s)")
