"""`hubmail members ...`: who has a role in a space (moderator, member, reader)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, JsonOption, commands, hub_from, operator, print_rows

# The database layer is imported in the commands: --help stays light. The roles are
# archive.record.members.ROLES, written out here for the help (a test keeps the two the same).
ROLES_HELP = "One of moderator, member, reader."
app = commands("Roles per space: moderators, members (read and post), readers (read only).")
SpaceOption = Annotated[str, typer.Option("--space", help="The space's slug.")]
RoleOption = Annotated[str, typer.Option("--role", help=ROLES_HELP)]
Addresses = Annotated[list[str], typer.Argument(help="Email addresses.")]


def _space(session, hub, slug: str):
    from archive.record.spaces import space_row

    if hub.settings.space(slug) is None:
        typer.echo(f"hubmail: no space {slug!r} in the configuration", err=True)
        raise typer.Exit(1)
    return space_row(session, slug)


def _check_role(role: str) -> None:
    from archive.record.members import ROLES

    if role not in ROLES:
        typer.echo(f"hubmail: {role!r} is not a role ({', '.join(ROLES)})", err=True)
        raise typer.Exit(2)


@app.command()
def add(
    addresses: Addresses,
    space: SpaceOption,
    role: RoleOption = "member",
    name: str = "",
    organisation: str = "",
    config: ConfigOption = None,
) -> None:
    """Give addresses a role in a space (or change it)."""
    from archive.record.members import add_member
    from config.database import session_scope

    _check_role(role)
    hub = hub_from(config)
    failed = 0
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        for address in addresses:
            try:
                said = add_member(session, row, address, role, operator(hub.settings), name, organisation)
                typer.echo(f"{address}: {said}")
            except ValueError as exc:
                failed += 1
                typer.echo(f"hubmail: {exc}", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command()
def remove(addresses: Addresses, space: SpaceOption, config: ConfigOption = None) -> None:
    """Take the role away (the configuration's moderators stay moderators)."""
    from archive.record.members import remove_member
    from config.database import session_scope

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        for address in addresses:
            typer.echo(
                f"{address}: {'removed' if remove_member(session, row, address) else 'was not a member'}"
            )


@app.command("list")
def list_members(space: SpaceOption, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Everyone with a role, the configuration's moderators first."""
    from archive.record.members import members
    from config.database import session_scope

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        listed = [
            {
                "address": m.address,
                "role": m.role,
                "name": m.name,
                "organisation": m.organisation,
                "source": "cli",
            }
            for m in members(session, row)
        ]
    from_config = [
        {"address": a, "role": "moderator", "name": "", "organisation": "", "source": "config"}
        for a in hub.settings.space(space).moderators
    ]
    rows = from_config + [m for m in listed if m["address"] not in hub.settings.space(space).moderators]
    print_rows(rows, as_json, ("address", "role", "name", "organisation", "source"))


@app.command("import")
def import_csv(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: address, name, organisation, role (header optional).", exists=True, dir_okay=False
        ),
    ],
    space: SpaceOption,
    role: RoleOption = "member",
    config: ConfigOption = None,
) -> None:
    """A stakeholder list at once; each bad line is named, the good ones are kept."""
    from rich.progress import track

    from archive.record.members import add_member
    from config.database import session_scope

    _check_role(role)
    hub = hub_from(config)
    try:
        text = file.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        typer.echo(f"hubmail: {file} is not UTF-8 (byte {exc.start}); export the CSV as UTF-8", err=True)
        raise typer.Exit(1) from None
    lines = list(enumerate(csv.reader(io.StringIO(text)), 1))  # file line numbers
    if lines and lines[0][1] and lines[0][1][0].strip().lower() in ("address", "email"):
        lines = lines[1:]
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    refused = []
    with session_scope(hub.engine) as session:
        row = _space(session, hub, space)
        for number, fields in track(lines, description="importing", disable=len(lines) < 200):
            if not fields or not fields[0].strip():
                continue
            address, name, organisation, given = [*fields, "", "", ""][:4]
            try:
                outcome = add_member(
                    session,
                    row,
                    address,
                    given.strip() or role,
                    operator(hub.settings),
                    name.strip(),
                    organisation.strip(),
                )
                counts[outcome] += 1
            except ValueError as exc:
                refused.append(f"line {number}: {exc}")
    typer.echo(", ".join(f"{key} {value}" for key, value in counts.items()) + f", refused {len(refused)}")
    for line in refused:
        typer.echo(f"  refused {line}", err=True)
    raise typer.Exit(1 if refused else 0)
