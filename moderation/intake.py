"""A new post: policy, then stored as held (notices and a receipt), published, rejected or discarded."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from sqlmodel import Session

from archive.record.members import role_of
from archive.record.models import Post, PostStatus, Question
from archive.record.parsing import ParsedMessage
from archive.record.publish import prepare_for_display
from archive.record.spaces import question_row, space_row
from archive.record.store import find_parent, find_post, sent_before, store_post
from config.errors import N_, Reason
from moderation.authenticity import authenticate
from moderation.calendar_replies import CALENDAR_RULES, queue_calendar_reply
from moderation.chain import SUMMARY_CHAIN, Action, evaluate
from moderation.context import Moderation
from moderation.notices import queue_hold_notices, queue_policy_refusal, queue_receipt
from moderation.rules import AUTOMATIC_LOOK, Check
from moderation.trust import is_trusted

STATUS_OF = {
    Action.HOLD: PostStatus.HELD,
    Action.ACCEPT: PostStatus.PUBLISHED,
    Action.REJECT: PostStatus.REJECTED,
    Action.DISCARD: PostStatus.DISCARDED,
}


def already_stored(mod: Moderation, session: Session, slug: str, message_id: str) -> bool:
    """Is this Message-ID stored in the space already (a redelivery: nothing to do)?"""
    space = mod.remember(("space", slug), lambda: space_row(session, slug))
    return find_post(session, space.id, message_id) is not None


def take_post(
    mod: Moderation,
    session: Session,
    *,
    slug: str,
    question: int | None,
    envelope_from: str,
    source: str,
    received_at: dt.datetime,
    message: ParsedMessage,
    raw: bytes,
    attachment_root: Path,
    summary: bool = False,
) -> str:
    """Store the message once in the space; returns what became of it, for the log.

    source: how it came (the spool envelope's smtp, lmtp, pipe or imap), for authentication.
    summary: sent to S+summary@, the moderators' summary (SUMMARY_CHAIN instead of CHAIN)."""
    space = mod.remember(("space", slug), lambda: space_row(session, slug))
    if find_post(session, space.id, message.message_id) is not None:
        return "duplicate"
    config = mod.settings.space(slug)
    parent = find_parent(session, space.id, message)
    question = _question_number(session, parent) if parent else question
    check = Check(message, raw, envelope_from, config, mod.settings.site.domain, mod.now)
    role = role_of(session, mod.settings, space, message.from_addr) if message.from_addr else None
    check = replace(check, question=question, is_reply=parent is not None, role=role)
    if is_trusted(session, space.id, message.from_addr):
        check = _with_trust(mod, check, source, envelope_from)
    verdict = evaluate(check, SUMMARY_CHAIN) if summary else evaluate(check)
    first = message.from_addr and not sent_before(session, space.id, message.from_addr)
    notes = [*verdict.notes, *([Reason(N_("first post from this sender"))] if first else [])]
    row = question_row(session, space.id, question) if question else None
    post = store_post(
        session,
        space_id=space.id,
        question_id=row.id if row else None,
        status=STATUS_OF[verdict.action],
        message=message,
        raw=raw,
        envelope_from=envelope_from,
        received_at=received_at,
        attachment_root=attachment_root,
        reason=verdict.reason,
        notes=notes,
        languages=config.languages,
        parent=parent,
    )
    post.is_summary = summary
    if verdict.action == Action.HOLD:
        queue_hold_notices(mod, session, post, config, notes)
        if not any(note.startswith(AUTOMATIC_LOOK) for note in notes):  # never answer a likely auto-reply
            queue_receipt(mod, session, post, config, "received")
    elif verdict.action == Action.ACCEPT:
        post.published_at, post.decided_at, post.decided_by = mod.now, mod.now, "trusted sender"
        prepare_for_display(session, post)
        queue_receipt(mod, session, post, config, PostStatus.PUBLISHED)
    elif verdict.rule in CALENDAR_RULES:
        queue_calendar_reply(mod, session, envelope_from, post, config)
    elif verdict.action == Action.REJECT:
        queue_policy_refusal(mod, session, envelope_from, post, config, verdict.reason)
    detail = f" ({verdict.rule}: {verdict.reason})" if verdict.rule else ""
    return f"#{post.id} {STATUS_OF[verdict.action]}{detail}"


def _with_trust(mod: Moderation, check: Check, source: str, envelope_from: str) -> Check:
    """Trust is in an address, so it counts only where the From domain is authenticated (or the
    address signed in on the web): anyone can write a trusted address in From."""
    verdict = authenticate(mod.settings, check.message, check.raw, source, envelope_from)
    return replace(check, trusted=verdict.passed, unauthenticated="" if verdict.passed else verdict.how)


def _question_number(session: Session, parent: Post) -> int | None:
    """A reply belongs to its thread's question, whatever address it was sent to."""
    row = session.get(Question, parent.question_id) if parent.question_id else None
    return row.number if row else None
