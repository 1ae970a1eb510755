"""What every `hubmail` command shares: the --config and --json options and opening the hub."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

# Every command's module imports this one, and `hubmail --help` them all: only typer here; settings,
# the database layer and rich are imported where a command uses them (issue 12).
if TYPE_CHECKING:
    from config import Settings
    from gateway.hub import Hub

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Configuration file (else $HUBMAIL_CONFIG, else ./hubmail.toml)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
EX_CONFIG = 78


def settings_from(config: Path | None) -> Settings:
    from config import ConfigError, find_config_path, load_settings

    try:
        return load_settings(find_config_path(config, os.environ))
    except ConfigError as exc:
        typer.echo(f"hubmail: configuration error: {exc}", err=True)
        raise typer.Exit(EX_CONFIG) from None


def hub_from(config: Path | None) -> Hub:
    from gateway.hub import open_hub  # here, so `hubmail deliver` never loads the database layer

    return open_hub(settings_from(config))


class Group(TyperGroup):
    """A typer group whose --help, when not given, is False rather than None.

    Typer checks every value but a bool flag's with a pydantic TypeAdapter, and its help flag
    defaults to None: each group a command runs under would load pydantic (0.1 s) for it.
    """

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option


def commands(help_text: str) -> typer.Typer:
    """A group of commands, its help printed plainly: flags as flags, `[[imap]]` as written."""
    return typer.Typer(
        cls=Group, help=help_text, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None
    )


def check_choice(option: str, value: str | None, valid) -> None:
    """An unknown value is an error naming the valid ones (never an empty table and exit 0)."""
    if value is not None and value not in valid:
        typer.echo(f"hubmail: {option} {value!r} is not one of: {', '.join(valid)}", err=True)
        raise typer.Exit(2)


def print_rows(rows: list[dict], as_json: bool, columns: tuple[str, ...]) -> None:
    """JSON, a table on a terminal, or tab-separated lines when piped (nothing cut at 80 columns)."""
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not sys.stdout.isatty():
        for line in [columns, *([r.get(c) for c in columns] for r in rows)]:
            typer.echo(
                "\t".join("" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in line)
            )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)


def setup_logging(verbose: bool = False) -> None:
    """Log lines to standard error, without the per-line chatter of the libraries below."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiosmtpd logs every SMTP line at INFO, alembic every plugin, APScheduler every run, imapclient
    # every logout: warnings only.
    for noisy in ("mail.log", "alembic", "apscheduler", "imapclient"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def operator(settings) -> str:
    """Who an operator's command is recorded as: [site] operator, else the system user."""
    import getpass

    return settings.site.operator or getpass.getuser()
