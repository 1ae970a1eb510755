"""`hubmail trusted add|remove|list`: senders whose posts are published without being held."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, JsonOption, commands, hub_from, operator, print_rows

# The database layer is imported in the commands: --help stays light.

app = commands(
    "Trusted senders: known stakeholders whose posts are published at once, trusted before they write"
    " (when the post is authenticated for the sender's domain: DKIM; otherwise it is held)."
)
SpaceOption = Annotated[str, typer.Option("--space", help="The space's slug.")]
Addresses = Annotated[list[str], typer.Argument(help="Email addresses.")]


def _space_id(hub, session, slug: str) -> int:
    from archive.record.spaces import space_row

    if hub.settings.space(slug) is None:
        known = ", ".join(s.slug for s in hub.settings.spaces)
        typer.echo(f"hubmail: no space {slug!r}; the spaces are: {known}", err=True)
        raise typer.Exit(2)
    return space_row(session, slug).id


@app.command()
def add(addresses: Addresses, space: SpaceOption, config: ConfigOption = None) -> None:
    """Trust addresses in a space (recorded as [site] operator)."""
    from config.database import session_scope, utcnow
    from config.spaces import is_address
    from moderation.trust import trust

    hub = hub_from(config)
    bad = [a for a in addresses if not is_address(a.strip().lower())]
    for address in bad:
        typer.echo(f"hubmail: {address!r} is not an email address", err=True)
    with session_scope(hub.engine) as session:
        space_id, by, now = _space_id(hub, session, space), operator(hub.settings), utcnow()
        added = sum(trust(session, space_id, a.strip().lower(), by, now) for a in addresses if a not in bad)
    typer.echo(f"trusted {added} address(es) in {space}; {len(addresses) - added - len(bad)} already were")
    if bad:
        raise typer.Exit(1)


@app.command()
def remove(addresses: Addresses, space: SpaceOption, config: ConfigOption = None) -> None:
    """Hold these addresses' posts again."""
    from config.database import session_scope
    from moderation.trust import untrust

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        space_id = _space_id(hub, session, space)
        removed = sum(untrust(session, space_id, a.strip().lower()) for a in addresses)
    typer.echo(f"{removed} address(es) no longer trusted in {space}")
    if removed < len(addresses):
        raise typer.Exit(1)


@app.command("list")
def list_(space: SpaceOption, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The trusted addresses of a space, who trusted them and when."""
    from config.database import session_scope
    from moderation.trust import trusted

    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        rows = [
            {"address": t.address, "granted_by": t.granted_by, "granted_at": t.granted_at.isoformat()}
            for t in trusted(session, _space_id(hub, session, space))
        ]
    print_rows(rows, as_json, ("address", "granted_by", "granted_at"))
