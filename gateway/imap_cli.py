"""`hubmail imap check` and `hubmail imap poll --once`: an operator's view of the IMAP accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli_options import ConfigOption, commands, hub_from, setup_logging

# The IMAP client, the worker and the database are imported in the commands: --help stays light.
if TYPE_CHECKING:
    from gateway.hub import Hub
    from gateway.imap import MailboxReader

app = commands("Mailboxes hubmail takes mail from ([[imap]] blocks).")
TRANSPORTS = {"implicit": "TLS", "starttls": "STARTTLS", "none": "no TLS"}
AccountOption = Annotated[
    list[str] | None, typer.Option("--account", "-a", help="Only this account (its name); repeatable.")
]


def _readers(hub: Hub, names: list[str] | None) -> list[MailboxReader]:
    from gateway.imap import MailboxReader

    accounts = hub.settings.imap
    if not accounts:
        typer.echo("hubmail: no [[imap]] blocks in the configuration; see config/defaults.toml", err=True)
        raise typer.Exit(1)
    unknown = set(names or ()) - {a.name for a in accounts}
    if unknown:
        known = ", ".join(a.name for a in accounts)
        typer.echo(f"hubmail: no IMAP account {sorted(unknown)[0]!r} (there are: {known})", err=True)
        raise typer.Exit(1)
    chosen = [a for a in accounts if not names or a.name in names]
    return [MailboxReader(account, hub.settings, hub.engine, hub.spool) for account in chosen]


@app.command()
def check(config: ConfigOption = None, account: AccountOption = None) -> None:
    """Log in to each account and look at its folders; says in words what is wrong."""
    from gateway.imap_watch import describe

    failures = 0
    for reader in _readers(hub_from(config), account):
        try:
            typer.echo(f"{reader.account.name}: OK: {_inspect(reader)}")
        except Exception as exc:  # each account is checked whatever happened to the one before
            failures += 1
            typer.echo(f"{reader.account.name}: FAILED: {describe(exc, reader)}")
    raise typer.Exit(1 if failures else 0)


def _inspect(reader: MailboxReader) -> str:
    from gateway.imap import check_folder, close, connect

    account = reader.account
    client = connect(account, reader.password())
    try:
        status = client.folder_status(check_folder(client, account.folder), ["MESSAGES", "UIDVALIDITY"])
        if not account.processed_folder:
            after = "left in place, marked \\Seen"
        else:
            try:
                check_folder(client, account.processed_folder)
                after = f"moved to {account.processed_folder}"
            except Exception:  # only a note: the poller creates it
                after = f"moved to {account.processed_folder} (to be created)"
        waits = (
            "IDLE"
            if account.idle and client.has_capability("IDLE")
            else f"polling every {account.poll_seconds:g} s"
        )
        moves = "MOVE" if client.has_capability("MOVE") else "COPY + EXPUNGE"
        return (
            f"logged in to {account.host}:{account.port} ({TRANSPORTS[account.tls]}); {account.folder} holds "
            f"{status[b'MESSAGES']} message(s), UIDVALIDITY {status[b'UIDVALIDITY']}; taken mail is {after}; "
            f"waits with {waits}; moves with {moves}"
        )
    finally:
        close(client)


@app.command()
def poll(
    config: ConfigOption = None,
    account: AccountOption = None,
    once: Annotated[bool, typer.Option("--once", help="One pass over each account, then exit.")] = False,
) -> None:
    """Take new mail from each account into the spool, store it, and report what was done."""
    if not once:
        typer.echo("hubmail: `hubmail serve` keeps the accounts read; use --once for a single pass", err=True)
        raise typer.Exit(2)
    from gateway.imap import close, connect
    from gateway.imap_watch import describe
    from gateway.worker import Worker

    setup_logging()  # what each message became, and progress on a full mailbox, on standard error
    hub = hub_from(config)
    failures = 0
    for reader in _readers(hub, account):
        try:
            client = connect(reader.account, reader.password())
            try:
                report = reader.poll(client)
                typer.echo(report.summary() + "".join(f"\n  left {line}" for line in report.left))
            finally:
                close(client)
        except Exception as exc:  # the next account is still read
            failures += 1
            typer.echo(f"{reader.account.name}: FAILED: {describe(exc, reader)}")
    for outcome in Worker(hub.settings, hub.engine, hub.spool).process_pending():
        for space, result in outcome.results:
            typer.echo(f"  {space or 'hub'}: {result}")
    raise typer.Exit(1 if failures else 0)
