"""`hubmail reply FILE TEXT`: answer a letter hubmail sent (a notice in the demo's Maildir, say) as its
recipient would from a mail client, through hubmail's own ingress; no mail client or relay needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli_options import ConfigOption

# `hubmail --help` lists this command too: the email package, settings and the spool load when it runs.
if TYPE_CHECKING:
    from email.message import EmailMessage


def reply(
    letter: Annotated[
        Path, typer.Argument(help="A message hubmail sent, e.g. a file in the demo's mail/new/.")
    ],
    text: Annotated[list[str], typer.Argument(help="What to write, e.g. approve (several words: one line).")],
    sender: Annotated[
        str, typer.Option("--from", help="Who replies; default: whom the letter was for.")
    ] = "",
    config: ConfigOption = None,
) -> None:
    """Reply to a letter (to its Reply-To) with TEXT on the first line and the letter quoted below."""
    import email.policy
    import email.utils
    from email.parser import BytesParser

    from config import ConfigError, find_config_path, load_settings
    from gateway.deliver import deliver as deliver_message
    from gateway.spool import spool_for

    try:
        original = BytesParser(policy=email.policy.default).parsebytes(letter.read_bytes())
        settings = load_settings(find_config_path(config, os.environ))
    except (OSError, ConfigError) as exc:
        typer.echo(f"hubmail: {exc}", err=True)
        raise typer.Exit(1) from None
    sender = sender or str(original.get("Delivered-To") or original.get("To") or "").strip()
    to = str(original.get("Reply-To") or original.get("From") or "").strip()
    if not sender or not to:
        typer.echo(f"hubmail: {letter} names no recipient or no reply address; use --from", err=True)
        raise typer.Exit(1)
    to = email.utils.parseaddr(to)[1]
    raw = _reply_to(original, sender, to, " ".join(text), settings.site.domain)
    code, said = deliver_message(settings, spool_for(settings), to, sender, raw)
    typer.echo(f"hubmail: {said}" if code else f"sent to {to}: {said}", err=code != 0)
    raise typer.Exit(code)


def _reply_to(original: EmailMessage, sender: str, to: str, text: str, domain: str) -> bytes:
    import email.policy
    import email.utils
    from email.message import EmailMessage

    from archive.record import wire
    from archive.record.commandlines import without_reply_prefix

    message = EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"] = sender, to
    subject = f"Re: {without_reply_prefix(str(original.get('Subject', '')))}"
    message.set_raw("Subject", wire.unstructured("Subject", subject))
    message["Date"] = email.utils.formatdate()
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    if original.get("Message-ID"):
        message["In-Reply-To"] = message["References"] = str(original["Message-ID"])
    body = original.get_body(("plain",))
    quoted = "\n".join(f"> {line}" for line in (body.get_content() if body else "").splitlines())
    message.set_content(f"{text}\n\n{quoted}\n")
    return message.as_bytes()
