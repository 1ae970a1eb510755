"""A moderator's reply to moderate+TOKEN@domain: who sent it, may they, and what they asked."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from archive.record.members import moderators_of
from archive.record.models import Post, Space
from archive.record.parsing import Attachment, ParsedMessage
from archive.record.store import command_seen, record_command
from archive.record.textfiles import Unreadable, file_text, takes
from config.errors import N_, Refusal
from config.tokens import Claims, InvalidToken, check_token, peek
from moderation.authenticity import authenticate
from moderation.chain import automatic_reason
from moderation.commands import Command, Verb, read_commands
from moderation.context import Moderation
from moderation.decisions import Actor, apply
from moderation.notices import queue_refusal, queue_results
from moderation.outcomes import Outcome, Result
from moderation.rules import Check
from moderation.sentences import describe

MODERATION = ("hold", "summary")  # the kinds of token a moderator's reply may carry


def handle_reply(
    mod: Moderation,
    session: Session,
    token: str,
    envelope_from: str,
    message: ParsedMessage,
    raw: bytes,
    source: str,
) -> str:
    """Act on a reply once (by Message-ID); returns the outcome for the log and the record.
    source: how it came (smtp, lmtp, pipe, imap), for authentication."""
    if command_seen(session, "moderate", message.message_id):
        return "duplicate"
    automatic = automatic_reason(Check(message, raw, envelope_from, None, mod.settings.site.domain, mod.now))
    if automatic:
        outcome = f"ignored: automatic mail ({automatic})"  # never answered: no mail loops
    else:
        try:
            outcome = _act(mod, session, token, message, raw, source)
        except Refusal as refusal:
            sent = queue_refusal(
                mod,
                session,
                message.from_addr or envelope_from.strip("<>"),
                f"moderate+{token}@{mod.settings.site.domain}",
                refusal,
                message.message_id,
            )
            outcome = f"refused: {refusal}" + ("" if sent else " (no reply: one was sent this hour)")
    record_command(session, "moderate", message, raw, outcome, mod.now)
    return outcome


def _act(
    mod: Moderation, session: Session, token: str, message: ParsedMessage, raw: bytes, source: str
) -> str:
    sender = message.from_addr
    if not sender:
        raise Refusal(N_("we could not tell who sent it (%(problem)s)"), problem=message.from_problem)
    claims = peek(token, kinds=MODERATION)
    target = session.get(Post, claims.target) if claims.kind == "hold" else None
    space = session.get(Space, target.space_id if target else claims.target)
    if space is None:
        raise InvalidToken(N_("it names nothing we know"))
    binding = target.raw_sha256 if target else ""
    check_token(mod.settings.site.secret_key, token, sender, mod.now, binding, kinds=MODERATION)
    config = mod.settings.space(space.slug)
    if config is None or sender not in moderators_of(session, config):
        raise Refusal(N_("%(sender)s is not a moderator of this space"), sender=sender)
    _check_authenticated(mod, message, raw, source)
    return _run_commands(mod, session, token, claims, target, space, message)


def _check_authenticated(mod: Moderation, message: ParsedMessage, raw: bytes, source: str) -> None:
    """With require_authenticated, a reply must be authenticated for its From domain, as a
    trusted sender's post must (moderation.authenticity)."""
    if not mod.settings.moderation.require_authenticated:
        return
    verdict = authenticate(mod.settings, message, raw, source)
    if not verdict.passed:
        raise Refusal(
            N_("the message is not authenticated (DKIM or DMARC) for your domain: %(why)s"), why=verdict.how
        )


def _run_commands(
    mod: Moderation,
    session: Session,
    token: str,
    claims: Claims,
    target: Post | None,
    space: Space,
    message: ParsedMessage,
) -> str:
    reading = read_commands(message.subject, message.body_text, message.body_html)
    actor = Actor(message.from_addr, f"email <{message.message_id}>")
    results: list[Result] = []
    files = [a for a in message.attachments if takes(a.filename)]
    for command in reading.commands:
        if command.verb == Verb.HELP:
            continue
        post = _post_for(session, command, claims, target, space)
        done = post if isinstance(post, Result) else _carry_out(mod, session, post, command, actor, files)
        results.append(done)
    asked_help = any(c.verb == Verb.HELP for c in reading.commands)
    queue_results(
        mod, session, message.from_addr, results, reading, asked_help, message.message_id, space.slug, token
    )
    return "; ".join(describe(r) for r in results) or ("help sent" if asked_help else "no command found")


def _carry_out(
    mod: Moderation, session: Session, post: Post, command: Command, actor: Actor, files: list[Attachment]
) -> Result:
    """apply(), where `translate LANG` with no text below it takes the reply's next .txt or .docx file."""
    if command.verb == Verb.TRANSLATE and not command.text and files:
        file = files.pop(0)
        try:
            command = replace(command, text=file_text(file.filename, file.data))
        except Unreadable:
            return Result(Outcome.UNREADABLE_FILE, post.id, post.subject, filename=file.filename)
    return apply(mod, session, post, command, actor)


def _post_for(
    session: Session, command: Command, claims: Claims, target: Post | None, space: Space
) -> Post | Result:
    """The post a command acts on, or why it cannot act."""
    if claims.kind == "hold":
        if command.post_id not in (None, target.id):
            return Result(Outcome.OTHER_POST, command.post_id, target=target.id)
        return target
    if command.post_id is None:
        return Result(Outcome.NAME_THE_POST, None, verb=command.verb)
    post = session.get(Post, command.post_id)
    if post is None or post.space_id != space.id:
        return Result(Outcome.NO_SUCH_POST, command.post_id)
    return post
