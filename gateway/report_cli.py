"""`hubmail report`: build (with a progress bar on large spaces), render, write."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

# Like every command's module, light to import (issue 12): the report's code loads when it runs.
if TYPE_CHECKING:
    from gateway.hub import Hub

LARGE = 500  # posts above which the build shows a progress bar (on standard error)


def write_report(hub: Hub, space: str, fmt: str, phase: int | None, out: Path | None) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from archive.report.contents import ReportError, build_report, count_published
    from archive.report.formats import FORMATS, render_report
    from config.database import session_scope
    from templates import environment

    if fmt not in FORMATS:
        typer.echo(f"hubmail: {fmt!r} is not a report format ({', '.join(FORMATS)})", err=True)
        raise typer.Exit(2)
    if out is not None and not out.parent.is_dir():  # before the long work, not after it
        typer.echo(f"hubmail: cannot write {out}: there is no folder {out.parent}", err=True)
        raise typer.Exit(1)
    try:
        with session_scope(hub.engine, writes=False) as session:
            total = count_published(session, space)
            with Progress(console=Console(stderr=True), disable=total < LARGE) as progress:
                task = progress.add_task("reading contributions", total=total)
                built = build_report(
                    session, hub.settings, space, phase, progress=lambda n: progress.advance(task, n)
                )
    except ReportError as exc:
        typer.echo(f"hubmail: {exc}", err=True)
        raise typer.Exit(1) from None
    text = render_report(built, fmt, environment())
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, "utf-8")
    except OSError as exc:  # a missing folder, a read-only disk: say so, not a traceback
        typer.echo(f"hubmail: cannot write {out}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out} ({len(built.contributions)} contributions)", err=True)
