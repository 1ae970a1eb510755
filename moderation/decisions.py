"""Carrying out a moderation command: reviews until the space's rule is met, then the first decision
wins; every action is recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from archive.record.edits import edited_message
from archive.record.members import moderators_of
from archive.record.models import Post, PostStatus, Question
from archive.record.publish import prepare_for_display
from archive.record.search import index_post
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.models import Decision
from moderation.notices import queue_receipt, queue_update
from moderation.outcomes import Outcome, Result
from moderation.review_notices import queue_review_update
from moderation.reviews import (
    APPROVE,
    REJECT,
    VERDICT_STATUS,
    add_review,
    hold_for_review,
    review_by,
    reviews_of,
    state_of,
)
from moderation.translating import translate
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
    if command.verb == Verb.TRANSLATE:
        return translate(mod, session, post, command.language, command.text, actor.address, actor.source)
    return Result(Outcome.NOT_APPLICABLE, post.id, verb=command.verb)


def _too_late(mod: Moderation, post: Post, actor: Actor) -> bool:
    """A reply may edit or move a post only for edit_days after its decision: the reply address lasts
    token_days, and a replayed old reply once rewrote a post public for weeks (issue 14)."""
    decided = post.decided_at or post.published_at
    if not actor.by_mail or decided is None:
        return False
    return mod.now > decided + dt.timedelta(days=mod.settings.moderation.edit_days)


def _decide(mod: Moderation, session: Session, post: Post, command: Command, actor: Actor) -> Result:
    """Discard decides at once; approve and reject are a moderator's review, which decides the post
    when the space's review rule is met (issue 16: with no `review`, the first one does)."""
    _, space = mod.space_of(session, post)
    moderators = moderators_of(session, space) if space is not None else ()
    if command.verb == Verb.DISCARD or actor.address.lower() not in moderators:
        return _final(mod, session, post, command, actor)  # and the operator at the shell decides
    if not hold_for_review(session, post):
        return _already_decided(post)
    verdict = APPROVE if command.verb == Verb.APPROVE else REJECT
    if not add_review(session, post, actor.address.lower(), verdict, mod.now):
        earlier = review_by(session, post.id, actor.address.lower())
        return Result(Outcome.ALREADY_REVIEWED, post.id, post.subject, VERDICT_STATUS[earlier.verdict],
                      actor.address, earlier.at)  # fmt: skip
    state = state_of(space.review, reviews_of(session, [post.id]).get(post.id, []), moderators)
    asked = _asked_in_review(session, post)
    if verdict == APPROVE and state.published:
        trust = command.trust and all(d.get("trust") for d in asked if d["verdict"] == APPROVE)
        return _final(mod, session, post, command, actor, trust=trust, skip=state.approved_by)
    if verdict == REJECT and state.rejected:
        reasons = [d["reason"] for d in asked if d["verdict"] == REJECT and d.get("reason")]
        reason = "; ".join(dict.fromkeys([*reasons, command.reason] if command.reason else reasons))
        return _final(mod, session, post, command, actor, reason=reason, skip=state.approved_by)
    return _reviewed(mod, session, post, command, actor, space, state)


def _reviewed(
    mod: Moderation, session: Session, post: Post, command: Command, actor: Actor, space, state
) -> Result:
    """A review that does not decide yet: recorded, the author told how far it is (approvals only),
    the moderators who have not approved told who has."""
    verdict = APPROVE if command.verb == Verb.APPROVE else REJECT
    done, needed = (
        (state.done, state.needed) if verdict == APPROVE else (len(state.rejected_by), state.reject_needs)
    )
    detail = {
        "verdict": verdict,
        "done": done,
        "needed": needed,
        "trust": command.trust,
        "reason": command.reason,
    }
    _record(session, post, "review", actor, mod, detail)
    if verdict == APPROVE:
        queue_receipt(mod, session, post, space, "reviewed", done=state.done, needed=state.needed)
    queue_review_update(mod, session, post, space, actor.address, verdict, state, command.reason)
    return Result(Outcome.REVIEWED, post.id, post.subject, VERDICT_STATUS[verdict], actor.address, mod.now,
                  done=done, needed=needed)  # fmt: skip


def _asked_in_review(session: Session, post: Post) -> list[dict]:
    """What each earlier review of the post asked (trust, the reason), as its decision recorded it."""
    query = select(Decision).where(Decision.post_id == post.id, Decision.action == "review")
    return [decision.detail for decision in session.exec(query.order_by(col(Decision.id)))]


def _already_decided(post: Post) -> Result:
    return Result(Outcome.ALREADY_DECIDED, post.id, post.subject, post.status,
                  post.decided_by or "policy", post.decided_at)  # fmt: skip


def _final(
    mod: Moderation,
    session: Session,
    post: Post,
    command: Command,
    actor: Actor,
    *,
    trust: bool | None = None,
    reason: str | None = None,
    skip: tuple[str, ...] = (),
) -> Result:
    """Decide the post; the first decision wins. skip: moderators who approved it, not told again."""
    status = FINAL[command.verb]
    reason = command.reason if reason is None else reason
    values = {"status": status, "decided_by": actor.address, "decided_at": mod.now}
    if status == PostStatus.PUBLISHED:
        values["published_at"] = mod.now
    if command.verb == Verb.REJECT:
        values["reason"] = reason
    # A conditional update: of two moderators deciding at once, exactly one changes the row.
    changed = session.execute(
        update(Post).where(Post.id == post.id, Post.status == PostStatus.HELD).values(**values)
    )
    session.refresh(post)
    if changed.rowcount != 1:
        return _already_decided(post)
    _record(session, post, command.verb, actor, mod, {"reason": reason} if reason else {})
    if status == PostStatus.PUBLISHED:
        prepare_for_display(session, post)
    _, space = mod.space_of(session, post)
    trusted = (command.trust if trust is None else trust) and bool(post.from_addr)
    if trusted:
        _trust(session, post, actor, mod)
    if space is not None:
        if status != PostStatus.DISCARDED:
            queue_receipt(mod, session, post, space, status, reason)
        queue_update(mod, session, post, space, actor.address, status, reason, skip)
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
