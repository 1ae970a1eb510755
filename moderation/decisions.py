"""Carrying out a moderation command: the first decision wins, every action is recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from archive.record.edits import edited_message
from archive.record.models import Post, PostStatus, Question
from archive.record.publish import prepare_for_display
from archive.record.search import index_post
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.models import Decision
from moderation.notices import queue_receipt, queue_update
from moderation.outcomes import Outcome, Result
from moderation.trust import trust, untrust

FINAL = {
    Verb.APPROVE: PostStatus.PUBLISHED,
    Verb.REJECT: PostStatus.REJECTED,
    Verb.DISCARD: PostStatus.DISCARDED,
}


@dataclass(frozen=True)
class Actor:
    address: str
    source: str  # "email <message-id>" or "cli"

    @property
    def by_mail(self) -> bool:
        return self.source.startswith("email ")


def apply(mod: Moderation, session: Session, post: Post, command: Command, actor: Actor) -> Result:
    """Carry out one command on one post."""
    if command.verb in FINAL:
        return _decide(mod, session, post, command, actor)
    if command.verb in (Verb.MOVE, Verb.EDIT) and _too_late(mod, post, actor):
        return Result(Outcome.TOO_LATE, post.id, post.subject, at=post.decided_at, verb=command.verb)
    if command.verb == Verb.MOVE:
        return _move(session, post, command.question, actor, mod)
    if command.verb == Verb.EDIT:
        return _edit(session, post, command.text, actor, mod)
    return Result(Outcome.NOT_APPLICABLE, post.id, verb=command.verb)


def _too_late(mod: Moderation, post: Post, actor: Actor) -> bool:
    """A reply may edit or move a post only for edit_days after its decision: the reply address lasts
    token_days, and a replayed old reply once rewrote a post public for weeks (issue 14)."""
    decided = post.decided_at or post.published_at
    if not actor.by_mail or decided is None:
        return False
    return mod.now > decided + dt.timedelta(days=mod.settings.moderation.edit_days)


def _decide(mod: Moderation, session: Session, post: Post, command: Command, actor: Actor) -> Result:
    status = FINAL[command.verb]
    values = {"status": status, "decided_by": actor.address, "decided_at": mod.now}
    if status == PostStatus.PUBLISHED:
        values["published_at"] = mod.now
    if command.verb == Verb.REJECT:
        values["reason"] = command.reason
    # A conditional update: of two moderators deciding at once, exactly one changes the row.
    changed = session.execute(
        update(Post).where(Post.id == post.id, Post.status == PostStatus.HELD).values(**values)
    )
    session.refresh(post)
    if changed.rowcount != 1:
        return Result(Outcome.ALREADY_DECIDED, post.id, post.subject, post.status,
                      post.decided_by or "policy", post.decided_at)  # fmt: skip
    _record(session, post, command.verb, actor, mod, {"reason": command.reason} if command.reason else {})
    if status == PostStatus.PUBLISHED:
        prepare_for_display(session, post)
    _, space = mod.space_of(session, post)
    trusted = command.trust and bool(post.from_addr)
    if trusted:
        _trust(session, post, actor, mod)
    if space is not None:
        if status != PostStatus.DISCARDED:
            queue_receipt(mod, session, post, space, status, command.reason)
        queue_update(mod, session, post, space, actor.address, status, command.reason)
    return Result(Outcome.DECIDED, post.id, post.subject, status, actor.address, mod.now,
                  address=post.from_addr, trusted=trusted)  # fmt: skip


def _trust(session: Session, post: Post, actor: Actor, mod: Moderation) -> None:
    if trust(session, post.space_id, post.from_addr, actor.address, mod.now):
        _record(session, post, "trust", actor, mod, {"address": post.from_addr})


def untrust_sender(session: Session, post: Post, actor: Actor, mod: Moderation) -> Result:
    if not untrust(session, post.space_id, post.from_addr):
        return Result(Outcome.WAS_NOT_TRUSTED, post.id, post.subject, address=post.from_addr)
    _record(session, post, "untrust", actor, mod, {"address": post.from_addr})
    return Result(Outcome.UNTRUSTED, post.id, post.subject, address=post.from_addr)


def _move(session: Session, post: Post, number: int | None, actor: Actor, mod: Moderation) -> Result:
    query = select(Question).where(
        Question.space_id == post.space_id, Question.number == number, col(Question.retired).is_(False)
    )
    question = session.exec(query).first()
    if question is None:
        return Result(Outcome.NO_SUCH_QUESTION, post.id, post.subject, question=number)
    post.question_id = question.id
    session.add(post)
    if post.status == PostStatus.PUBLISHED:
        index_post(session, post)  # search narrows by question
    _record(session, post, "move", actor, mod, {"question": number})
    return Result(Outcome.MOVED, post.id, post.subject, question=number)


def _edit(session: Session, post: Post, text: str, actor: Actor, mod: Moderation) -> Result:
    if not text:
        return Result(Outcome.EMPTY_EDIT, post.id, post.subject)
    # The raw message stays as it came (the record); what the public gets, shown or downloaded, is
    # the moderators' text (issue 14: /raw and the mbox files served the original).
    post.body_text, post.body_html, post.edited_at = text, "", mod.now
    post.edited_raw = edited_message(post, text, mod.now, mod.settings.data_path / "attachments")
    session.add(post)
    if post.status == PostStatus.PUBLISHED:
        prepare_for_display(session, post)
    _record(session, post, "edit", actor, mod, {"chars": len(text)})
    return Result(Outcome.EDITED, post.id, post.subject, chars=len(text))


def _record(session: Session, post: Post, action: str, actor: Actor, mod: Moderation, detail: dict) -> None:
    session.add(
        Decision(
            post_id=post.id,
            moderator=actor.address,
            action=action,
            detail=detail,
            source=actor.source,
            decided_at=mod.now,
        )
    )
