"""Carrying out a moderation command: the first decision wins, every action is recorded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from archive.models import Post, Question
from archive.publish import prepare_for_display
from moderation.commands import Command
from moderation.context import Moderation
from moderation.models import Decision, TrustedSender
from moderation.notices import queue_receipt, queue_update

FINAL = {"approve": "published", "reject": "rejected", "discard": "discarded"}
PAST = {"published": "approved", "rejected": "rejected", "discarded": "discarded"}


@dataclass(frozen=True)
class Actor:
    address: str
    source: str  # "email <message-id>" or "cli"


def apply(mod: Moderation, session: Session, post: Post, command: Command, actor: Actor) -> str:
    """Carry out one command on one post; returns the line to report back."""
    if command.verb in FINAL:
        return _decide(mod, session, post, command, actor)
    if command.verb == "move":
        return _move(session, post, command.question, actor, mod)
    if command.verb == "edit":
        return _edit(session, post, command.text, actor, mod)
    return f"#{post.id}: {command.verb} is not something a post can be given"


def _decide(mod: Moderation, session: Session, post: Post, command: Command, actor: Actor) -> str:
    status = FINAL[command.verb]
    values = {"status": status, "decided_by": actor.address, "decided_at": mod.now}
    if status == "published":
        values["published_at"] = mod.now
    if command.verb == "reject":
        values["reason"] = command.reason
    # A conditional update: of two moderators deciding at once, exactly one changes the row.
    changed = session.execute(update(Post).where(Post.id == post.id, Post.status == "held").values(**values))
    session.refresh(post)
    if changed.rowcount != 1:
        when = f" at {post.decided_at:%d %B %Y %H:%M} UTC" if post.decided_at else ""
        done = PAST.get(post.status, post.status)
        return f"#{post.id}: already {done} by {post.decided_by or 'policy'}{when}; nothing changed"
    _record(session, post, command.verb, actor, mod, {"reason": command.reason} if command.reason else {})
    if status == "published":
        prepare_for_display(session, post)
    _, space = mod.space_of(session, post)
    if command.trust and post.from_addr:
        _trust(session, post, actor, mod)
    if space is not None:
        if status != "discarded":
            queue_receipt(mod, session, post, space, status, command.reason)
        queue_update(mod, session, post, space, actor.address, PAST[status], command.reason)
    extra = f" (and {post.from_addr} is trusted from now on)" if command.trust and post.from_addr else ""
    return f'#{post.id} "{post.subject[:60]}": {PAST[status]}{extra}'


def _trust(session: Session, post: Post, actor: Actor, mod: Moderation) -> None:
    query = select(TrustedSender).where(
        TrustedSender.space_id == post.space_id, TrustedSender.address == post.from_addr
    )
    if session.exec(query).first() is None:
        session.add(
            TrustedSender(
                space_id=post.space_id, address=post.from_addr, granted_by=actor.address, granted_at=mod.now
            )
        )
        _record(session, post, "trust", actor, mod, {"address": post.from_addr})


def untrust(session: Session, post: Post, actor: Actor, mod: Moderation) -> str:
    query = select(TrustedSender).where(
        TrustedSender.space_id == post.space_id, TrustedSender.address == post.from_addr
    )
    row = session.exec(query).first()
    if row is None:
        return f"{post.from_addr} was not trusted; nothing changed"
    session.delete(row)
    _record(session, post, "untrust", actor, mod, {"address": post.from_addr})
    return f"{post.from_addr}'s posts are held for moderation again"


def is_trusted(session: Session, space_id: int, address: str) -> bool:
    query = select(TrustedSender.id).where(
        TrustedSender.space_id == space_id, TrustedSender.address == address
    )
    return bool(address) and session.exec(query).first() is not None


def _move(session: Session, post: Post, number: int | None, actor: Actor, mod: Moderation) -> str:
    query = select(Question).where(
        Question.space_id == post.space_id, Question.number == number, col(Question.retired).is_(False)
    )
    question = session.exec(query).first()
    if question is None:
        return f"#{post.id}: this space has no question {number}; nothing changed"
    post.question_id = question.id
    session.add(post)
    _record(session, post, "move", actor, mod, {"question": number})
    return f"#{post.id}: moved to question {number}"


def _edit(session: Session, post: Post, text: str, actor: Actor, mod: Moderation) -> str:
    if not text:
        return f"#{post.id}: the edit between ---begin--- and ---end--- was empty; nothing changed"
    # The raw message stays as it came (the record); the shown text is the moderator's.
    post.body_text, post.body_html = text, ""
    session.add(post)
    if post.status == "published":
        prepare_for_display(session, post)
    _record(session, post, "edit", actor, mod, {"chars": len(text)})
    return f"#{post.id}: text replaced ({len(text)} characters); the original stays on record"


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
