"""`hubmail translate POST_ID LANG FILE`: the operator keeps a translation beside a post's original, as a
moderator's `translate LANG` reply does; `--machine` asks an installed provider instead (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_options import ConfigOption, hub_from, operator

PostId = Annotated[int, typer.Argument(help="The post's id, as `hubmail posts --json` shows it.")]
Language = Annotated[str, typer.Argument(help="One of the site's languages: en, fr, es, ru, ar, zh...")]
File = Annotated[Path | None, typer.Argument(help="The translation: a .txt or .docx file, or - (stdin).")]
By = Annotated[str, typer.Option("--by", help="Who translated (recorded); default [site] operator.")]
Machine = Annotated[bool, typer.Option(help="Ask a provider of `hubmail.translators` instead of a FILE.")]
Provider = Annotated[str, typer.Option(help="With --machine: which provider, when several.")]


def translate(
    post_id: PostId,
    language: Language,
    file: File = None,
    by: By = "",
    machine: Machine = False,
    provider: Provider = "",
    config: ConfigOption = None,
) -> None:
    """Show a translation of a post beside its original, in the pages and digests of that language."""
    from archive.record.models import Post
    from config.database import session_scope, utcnow
    from moderation.context import Moderation

    if (file is None) != machine:
        typer.echo("hubmail: give a FILE, or --machine", err=True)
        raise typer.Exit(2)
    hub = hub_from(config)
    with session_scope(hub.engine) as session:
        post = session.get(Post, post_id)
        if post is None:
            typer.echo(f"hubmail: no post {post_id}", err=True)
            raise typer.Exit(1)
        mod = Moderation.at(hub.settings, utcnow())
        if machine:
            _by_machine(mod, session, post, language.lower(), provider)
            return
        text = _read(file)
        _by_hand(mod, session, post, language.lower(), text, by or operator(hub.settings))


def _read(file: Path) -> str:
    from archive.record.textfiles import Unreadable, file_text

    try:
        if str(file) == "-":
            return file_text("stdin.txt", sys.stdin.buffer.read())
        return file_text(file.name if file.suffix.lower() == ".docx" else "file.txt", file.read_bytes())
    except (OSError, Unreadable) as error:
        typer.echo(f"hubmail: cannot read {file} as text ({error.__class__.__name__})", err=True)
        raise typer.Exit(1) from error


def _by_hand(mod, session, post, language: str, text: str, by: str) -> None:
    from moderation.sentences import describe
    from moderation.translating import translate as keep

    result = keep(mod, session, post, language, text, by, "cli")
    typer.echo(describe(result))
    if not result.changed:
        raise typer.Exit(1)


def _by_machine(mod, session, post, language: str, provider: str) -> None:
    from archive.record.translations import Saved
    from archive.record.translators import NoTranslator, machine_translate
    from moderation.translating import site_languages

    if language not in site_languages(mod):
        typer.echo(f"hubmail: {language} is not one of this site's languages", err=True)
        raise typer.Exit(1)
    try:
        saved, name = machine_translate(session, post, language, mod.now, provider)
    except NoTranslator as error:
        typer.echo(f"hubmail: no such translator {provider!r} (installed: {error or 'none'})", err=True)
        raise typer.Exit(1) from error
    if saved == Saved.KEPT_MODERATORS:
        typer.echo(f"#{post.id}: the moderators' translation into {language} is kept; nothing changed")
        raise typer.Exit(1)
    typer.echo(f"#{post.id}: machine translation into {language} by {name} {saved}")
