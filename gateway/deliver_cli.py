"""`hubmail deliver` for pipe transports: started once per message, so it loads only config and spool."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption

# `hubmail --help` lists this command too: settings, parsing and the spool are imported when it runs.
EX_TEMPFAIL = os.EX_TEMPFAIL  # sysexits, as gateway.deliver answers; here so even a failed import has it


def deliver(
    to: Annotated[str, typer.Option("--to", help="The recipient address.")],
    sender: Annotated[str, typer.Option("--from", help="The envelope sender.")] = "",
    config: ConfigOption = None,
) -> None:
    """Take one message on standard input (for a Postfix/Exim pipe); exits with sysexits codes."""
    from config import ConfigError, find_config_path, load_settings
    from gateway.deliver import deliver as deliver_message
    from gateway.spool import spool_for

    try:
        settings = load_settings(find_config_path(config, os.environ))
        spool = spool_for(settings)
    except (ConfigError, OSError) as exc:
        typer.echo(f"hubmail: cannot take mail now: {exc}", err=True)
        raise typer.Exit(EX_TEMPFAIL) from None  # the MTA keeps the message and tries again
    code, text = deliver_message(settings, spool, to, sender, sys.stdin.buffer.read())
    typer.echo(f"hubmail: {text}", err=code != 0)
    raise typer.Exit(code)


def main(args: list[str]) -> None:
    """Run `deliver` alone; an unexpected failure asks the MTA to try again later, never to bounce."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(deliver)
    try:
        app(args=args, prog_name="hubmail deliver")
    except Exception as exc:  # the message stays with the MTA: nothing is lost
        if os.environ.get("HUBMAIL_DEBUG") == "1":
            raise
        typer.echo(f"hubmail: cannot take mail now ({type(exc).__name__}: {exc})", err=True)
        sys.exit(EX_TEMPFAIL)
