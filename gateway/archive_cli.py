"""`hubmail archive export|import`: a static copy of the archive, and bringing in an old list's mbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, commands, hub_from

# Only typer and the shared options here: `hubmail --help` imports this module (issue 12); the
# archive, the database layer and rich are imported by the command that runs.

app = commands("Export the archive as static files (and settings to serve them), or import an mbox.")


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write (created if missing).")],
    jobs: Annotated[
        int | None, typer.Option(help="Processes rendering pages (default: one per core).")
    ] = None,
    full: Annotated[
        bool, typer.Option(help="Render every page again, even if nothing it shows changed.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Write the public archive as static files with the same URLs (search is left out, with a note).

    A second export into the same folder renders only pages whose posts changed, rewrites only files
    whose bytes differ, and removes files no longer public (.hubmail-export.json remembers)."""
    from rich.progress import Progress

    from archive.web.export import export as export_archive

    hub = hub_from(config)
    with Progress(transient=True) as progress:
        task = progress.add_task("exporting", total=None)
        report = export_archive(
            hub.settings,
            hub.engine,
            directory,
            lambda n: progress.advance(task, n),
            jobs=jobs,
            full=full,
            planned=lambda total: progress.update(task, total=total),
        )
    counts = f"{report.unchanged} unchanged, {report.removed} removed"
    typer.echo(f"wrote {report.written} files to {directory} ({counts})")


@app.command(name="server-config")
def server_config(
    server: Annotated[str, typer.Argument(help="nginx, caddy or apache.")],
    root: Annotated[Path | None, typer.Option(help="The export folder, for the server's root line.")] = None,
) -> None:
    """Print the web server settings that give a static export the headers `hubmail serve` sends:
    a script-free CSP and nosniff on every file, attachments as downloads (issue 14). The export
    also writes them for Apache as its .htaccess."""
    from archive.web.server_configs import SERVERS
    from archive.web.server_configs import server_config as settings_for

    if server not in SERVERS:
        typer.echo(f"hubmail: no settings for {server!r}; choose one of {', '.join(SERVERS)}", err=True)
        raise typer.Exit(2)
    typer.echo(settings_for(server, root), nl=False)


@app.command(name="import")
def import_(
    mbox: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An mbox file.")],
    space: Annotated[str, typer.Option(help="The space to import into.")],
    question: Annotated[int | None, typer.Option(help="File every message under this question.")] = None,
    publish: Annotated[bool, typer.Option(help="Publish at once (else held for moderation).")] = False,
    config: ConfigOption = None,
) -> None:
    """Import an existing list archive; threads kept, duplicates skipped, nobody mailed."""
    from rich.progress import Progress

    from archive.record.importer import count_messages, import_mbox

    hub = hub_from(config)
    config_space = hub.settings.space(space)
    if config_space is None:
        typer.echo(f"hubmail: no space {space!r} in the configuration", err=True)
        raise typer.Exit(1)
    if question is not None and config_space.question(question) is None:
        typer.echo(f"hubmail: space {space!r} has no question {question}", err=True)
        raise typer.Exit(1)
    with Progress(transient=True) as progress:
        task = progress.add_task(f"importing {mbox.name}", total=count_messages(mbox))
        report = import_mbox(
            hub.engine,
            mbox,
            space,
            question,
            publish,
            hub.settings.data_path / "attachments",
            lambda n: progress.advance(task, n),
        )
    typer.echo(
        f"stored {report.stored}, skipped {report.duplicates} duplicates, {report.unreadable} unreadable"
    )
