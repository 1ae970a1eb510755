"""`hubmail deliver` for pipe transports: started once per message, so it loads only config and spool."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
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
    raise typer.Exit(take(to, sender, config))


def take(to: str, sender: str, config: Path | None) -> int:
    """Spool the message on standard input for `to`, say what became of it, and return the exit code."""
    from config import ConfigError, find_config_path, load_settings
    from gateway.deliver import deliver as deliver_message
    from gateway.spool import spool_for

    try:
        settings = load_settings(find_config_path(config, os.environ))
        spool = spool_for(settings)
    except (ConfigError, OSError) as exc:
        typer.echo(f"hubmail: cannot take mail now: {exc}", err=True)
        return EX_TEMPFAIL  # the MTA keeps the message and tries again
    code, text = deliver_message(settings, spool, to, sender, sys.stdin.buffer.read())
    typer.echo(f"hubmail: {text}", err=code != 0)
    return code


def plain_options(args: list[str]) -> dict | None:
    """--to, --from and --config as an MTA's pipe writes them; None for anything else (--help, a mistake)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--to", default="")
    parser.add_argument("--from", dest="sender", default="")
    parser.add_argument("--config", "-c", type=Path)
    try:
        found, rest = parser.parse_known_args(args)
    except argparse.ArgumentError:
        return None
    return vars(found) if found.to and not rest else None


def main(args: list[str]) -> None:
    """Run `deliver` alone; an unexpected failure asks the MTA to try again later, never to bounce."""
    try:
        # The MTA's call is read without typer's parsing, which loads pydantic to check each value (0.1 s
        # a message); help and usage errors still come from typer, as for every command.
        if (options := plain_options(args)) is not None:
            sys.exit(take(**options))
        app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
        app.command()(deliver)
        app(args=args, prog_name="hubmail deliver")
    except Exception as exc:  # the message stays with the MTA: nothing is lost
        if os.environ.get("HUBMAIL_DEBUG") == "1":
            raise
        typer.echo(f"hubmail: cannot take mail now ({type(exc).__name__}: {exc})", err=True)
        sys.exit(EX_TEMPFAIL)
