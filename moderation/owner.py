"""S-owner@: mail for the people running a space, passed on to its moderators (never automatic mail);
and word of a message the worker had to set aside."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.members import moderators_of
from archive.record.outgoing import Letter, queue
from archive.record.parsing import ParsedMessage
from archive.record.store import command_seen, record_command
from moderation.context import Moderation


def forward_to_moderators(
    mod: Moderation, session: Session, slug: str, message: ParsedMessage, raw: bytes
) -> str:
    """One copy to each moderator, the original attached, replies going to the writer."""
    # Keyed by space too: one message to a-owner@ and b-owner@ reaches both spaces' moderators.
    key = f"{slug} {message.message_id}"[:998]
    if command_seen(session, "owner", key):
        return "duplicate"
    space = mod.settings.space(slug)
    writer = message.from_addr
    moderators = moderators_of(session, space)
    language = space.languages[0]
    words = mod.words(language)
    subject, text = mod.render(
        "owner_forward.txt",
        language,
        slug=slug,
        subject=message.subject or words.gettext("(no subject)"),
        writer=f"{message.from_name} <{writer}>" if message.from_name else writer,
        owner_address=mod.owner_address(slug),
        text=message.body_text.strip() or words.gettext("(see the attached message)"),
    )
    for moderator in moderators:
        letter = Letter(
            to=moderator,
            subject=subject,
            text=text,
            sender=mod.owner_address(slug),
            sender_name=space.title_in(language),
            reply_to=writer,
            original=raw,
            auto_submitted="auto-forwarded",
        )
        queue(session, "owner-forward", letter, mod.settings.site.domain)
    outcome = f"forwarded to {len(moderators)} moderator(s)"
    record_command(session, "owner", message, raw, outcome, mod.now, key)
    return outcome


def report_set_aside(
    mod: Moderation, session: Session, slugs: list[str], name: str, sender: str, error: str, raw: bytes
) -> int:
    """Each moderator of the spaces the message was for hears of it once, with the original
    attached: mail that could not be processed is not lost in silence. Returns letters queued."""
    queued = 0
    for slug in slugs:
        space = mod.settings.space(slug)
        if space is None:
            continue
        language = space.languages[0]
        values = {"slug": slug, "attempts": mod.settings.worker.max_attempts, "name": name,
                  "sender": sender or "<>", "error": error[:500]}  # fmt: skip
        subject, text = mod.render("set_aside.txt", language, **values)
        for moderator in moderators_of(session, space):
            letter = Letter(to=moderator, subject=subject, text=text, sender=mod.owner_address(slug),
                            sender_name=space.title_in(language), original=raw,
                            auto_submitted="auto-generated")  # fmt: skip
            queue(session, "set-aside", letter, mod.settings.site.domain)
            queued += 1
    return queued
