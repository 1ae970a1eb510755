"""The `hubmail` command line (typer); each command is a thin layer over the packages below."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

# Each command's module is light (typer and the options); what a command needs (settings, the database
# layer, servers) it imports when it runs, so that `--help` and the read-only commands start quickly
# (issue 12; tests/unit/gateway/test_cli_imports.py checks it).
from gateway import (
    announce_cli,
    archive_cli,
    deliver_cli,
    digest_cli,
    imap_cli,
    members_cli,
    moderate_cli,
    reply_cli,
    summary_cli,
    translate_cli,
    trusted_cli,
)
from gateway.cli_options import (
    ConfigOption,
    Group,
    JsonOption,
    check_choice,
    hub_from,
    print_rows,
    setup_logging,
)

app = typer.Typer(
    cls=Group,
    help="hubmail: email-first discussion spaces for time-bound consultations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: flags as flags, [[imap]] as written
)
EX_SOFTWARE = 70  # sysexits: an internal error
app.add_typer(moderate_cli.app, name="moderate")
app.add_typer(archive_cli.app, name="archive")
app.add_typer(digest_cli.subscribers, name="subscribers")
app.add_typer(digest_cli.digest, name="digest")
app.add_typer(announce_cli.app, name="announcements")
app.add_typer(imap_cli.app, name="imap")
app.add_typer(members_cli.app, name="members")
app.add_typer(summary_cli.app, name="summary")
app.add_typer(trusted_cli.app, name="trusted")
app.command("deliver")(deliver_cli.deliver)  # also run alone by gateway.entry, light
app.command("reply")(reply_cli.reply)
app.command("translate")(translate_cli.translate)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for hubmail.toml.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite an existing hubmail.toml.")] = False,
) -> None:
    """Write a starter configuration with a demo space (the UNECE regional review)."""
    from config.starter import starter_config

    target = directory / "hubmail.toml"
    if target.exists() and not force:
        # Not an error: running the README's demo command twice must work.
        typer.echo(f"{target} exists; keeping it (--force writes a new one).")
        return
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config(dt.datetime.now(dt.UTC)), "utf-8")
    typer.echo(
        f"Wrote {target}.\nNext:\n  hubmail serve --config {target}\n"
        "  then send a message to unece-review+q1@hub.example.org via 127.0.0.1:2525\n"
        "  and see it held with: hubmail posts --config " + str(target)
    )


@app.command()
def serve(
    config: ConfigOption = None, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False
) -> None:
    """Run the SMTP/LMTP server, the IMAP pollers, the worker and the web archive until SIGTERM or Ctrl-C."""
    import asyncio

    from gateway.serve import serve as run

    setup_logging(verbose)

    asyncio.run(run(hub_from(config), verbose))


@app.command()
def spaces(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the discussion spaces, their addresses, dates and post counts."""
    from gateway import listings

    hub = hub_from(config)
    rows = listings.spaces(hub)
    print_rows(rows, as_json, ("slug", "title", "state", "phase", "opens", "closes", "questions", "posts"))


@app.command()
def posts(
    config: ConfigOption = None,
    space: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="held, published, rejected or discarded")] = None,
    limit: Annotated[int, typer.Option(help="Newest N posts (0: all).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """List stored posts, newest last."""
    from archive.record.models import PostStatus
    from gateway import listings

    hub = hub_from(config)
    check_choice("--space", space, [s.slug for s in hub.settings.spaces])
    check_choice("--status", status, [s.value for s in PostStatus])
    rows = listings.posts(hub, space, status, limit)
    print_rows(rows, as_json, ("id", "space", "question", "status", "from", "subject", "received_at"))


@app.command()
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Spool, set-aside messages, posts by status and the outbox, at a glance."""
    from gateway import listings

    report = listings.status(hub_from(config))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    worker = report["worker"]
    if worker["state"] != "running":
        typer.echo(f"worker: waiting since {worker['since']}: {worker['error']} ({worker['failures']} tries)")
    typer.echo(f"spool: {report['spool_pending']} waiting, {len(report['failed'])} set aside")
    for entry in report["failed"]:
        typer.echo(f"  failed {entry['name']}: {entry['error'].splitlines()[-1] if entry['error'] else ''}")
    typer.echo("posts: " + (", ".join(f"{k} {v}" for k, v in report["posts"].items()) or "none"))
    typer.echo("outbox: " + (", ".join(f"{k} {v}" for k, v in report["outbox"].items()) or "empty"))
    for state in report["imap"]:
        typer.echo(
            f"imap {state['account']} {state['folder']}: read up to UID {state['last_uid']} at {state['at']}"
        )


@app.command()
def holds(
    config: ConfigOption = None,
    space: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """List held posts waiting for a moderator, oldest first."""
    from gateway import listings

    hub = hub_from(config)
    check_choice("--space", space, [s.slug for s in hub.settings.spaces])
    rows = listings.holds(hub, space)
    if not as_json:  # how far each review is (issue 16): approvals done / needed, who approved
        for row in rows:
            review = row["review"] or {}
            approved = ", ".join(review.get("approved_by", []))
            done = f"{review.get('approvals_done', 0)}/{review.get('approvals_needed', 1)}"
            row["reviews"] = f"{done} {approved}".strip()
    columns = ("id", "space", "question", "from", "subject", "received_at", "reviews", "notes")
    print_rows(rows, as_json, columns)


@app.command()
def report(
    space: Annotated[str, typer.Argument(help="The space's slug.")],
    fmt: Annotated[str, typer.Option("--format", help="html, md, csv or json.")] = "html",
    phase: Annotated[int | None, typer.Option(help="Only this phase's questions (1, 2, ...).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    config: ConfigOption = None,
) -> None:
    """The analysis paper's material: each published contribution, then participation figures."""
    from gateway.report_cli import write_report

    write_report(hub_from(config), space, fmt, phase, out)


@app.command()
def retry(
    names: Annotated[list[str] | None, typer.Argument(help="Entries to retry (default: all).")] = None,
    config: ConfigOption = None,
) -> None:
    """Put set-aside messages back in the spool for the worker."""
    moved = hub_from(config).spool.retry(names or None)
    typer.echo(f"re-queued {len(moved)} message(s)" + "".join(f"\n  {n}" for n in moved))


def main() -> None:
    """Run a command; an unexpected failure is one line for the user, the traceback only on request."""
    try:
        app()
    except Exception as exc:  # the last guard between a bug and a user's terminal
        from config import HubmailError  # here: most runs never fail, and settings cost an import

        if isinstance(exc, HubmailError | OSError):
            typer.echo(f"hubmail: {exc}", err=True)
        elif os.environ.get("HUBMAIL_DEBUG") == "1":
            raise
        else:
            typer.echo(
                f"hubmail: unexpected error ({type(exc).__name__}: {exc}); "
                "set HUBMAIL_DEBUG=1 to see the details",
                err=True,
            )
        sys.exit(EX_SOFTWARE)
