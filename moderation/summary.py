"""The daily summary: each moderator's undecided holds older than a day, answerable by short id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from archive.record.members import moderators_of
from archive.record.models import Post, PostStatus, Space
from archive.record.outgoing import Letter, queue
from archive.record.spaces import space_row
from config.tokens import make_token
from moderation.context import Moderation
from moderation.models import Decision, SummarySent
from moderation.reviews import ReviewState, reviews_of, state_of
from moderation.sentences import rule_lines, state_lines


def send_summaries(mod: Moderation, session: Session) -> int:
    """Queue today's summaries (at most one per moderator, space and day); returns how many."""
    sent = 0
    for space in mod.settings.spaces:
        row = space_row(session, space.slug)
        every_hold = _old_holds(mod, session, row.id)
        moderators = moderators_of(session, space)
        reviews = reviews_of(session, [post.id for post in every_hold])
        states = {p.id: state_of(space.review, reviews.get(p.id, []), moderators) for p in every_hold}
        for moderator in moderators:
            # a moderator who reviewed a post already gets no further notice for it (issue 16)
            holds = [p for p in every_hold if not _reviewed_by(states[p.id], moderator)]
            decided = _decided_by_others(mod, session, row.id, moderator)
            if (holds or decided) and _claim(session, row.id, moderator, mod.now):
                notes = _review_notes(mod, space, holds, states)
                _queue_summary(mod, session, space, row.id, moderator, holds, decided, notes)
                sent += 1
    return sent


def _reviewed_by(state: ReviewState, moderator: str) -> bool:
    return moderator in state.approved_by or moderator in state.rejected_by


def _review_notes(mod: Moderation, space, holds: list[Post], states: dict) -> dict[int, str]:
    """Where each hold's review stands, for spaces that need more than one approval."""
    if space.review.plain:
        return {}
    words = mod.words(space.languages[0])
    return {post.id: ". ".join(state_lines(states[post.id], words)) for post in holds}


def _old_holds(mod: Moderation, session: Session, space_id: int) -> list[Post]:
    cutoff = mod.now - dt.timedelta(hours=mod.settings.moderation.summary_min_age_hours)
    query = (
        select(Post)
        .where(Post.space_id == space_id, Post.status == PostStatus.HELD, Post.received_at <= cutoff)
        .order_by(col(Post.id))
    )
    return list(session.exec(query))


def _decided_by_others(mod: Moderation, session: Session, space_id: int, moderator: str) -> list[str]:
    """With inform_others = "summary", decisions of the last day are folded in here instead."""
    if mod.settings.moderation.inform_others != "summary":
        return []
    since = mod.now - dt.timedelta(days=1)
    query = (
        select(Decision, Post)
        .join(Post, col(Decision.post_id) == Post.id)
        .where(Post.space_id == space_id, Decision.decided_at >= since, Decision.moderator != moderator)
        .order_by(col(Decision.id))
    )
    words = mod.words(_language(mod, space_id, session))
    return [
        words.gettext("#%(id)s “%(subject)s”: %(action)s by %(moderator)s")
        % {
            "id": post.id,
            "subject": post.subject[:50],
            "action": _action(decision.action, words, decision.detail),
            "moderator": decision.moderator,
        }
        for decision, post in session.exec(query)
    ]


def _action(action: str, words, detail: dict | None = None) -> str:
    """A recorded action in the catalog's words (approve, reject, ..., move, edit, trust, untrust;
    a review that did not decide the post yet: "approved, 1 of 2", issue 16)."""
    if action == "review" and detail:
        verdict = _action(detail.get("verdict", ""), words)
        return words.gettext("%(verdict)s, %(done)s of %(needed)s") % {**detail, "verdict": verdict}
    return {
        "approve": words.pgettext("decision", "approved"),
        "reject": words.pgettext("decision", "rejected"),
        "discard": words.pgettext("decision", "discarded"),
        "move": words.pgettext("decision", "moved"),
        "edit": words.pgettext("decision", "edited"),
        "trust": words.pgettext("decision", "trusted"),
        "untrust": words.pgettext("decision", "no longer trusted"),
    }.get(action, action)


def _language(mod: Moderation, space_id: int, session: Session) -> str:
    space = mod.settings.space(session.get(Space, space_id).slug)
    return space.languages[0] if space else mod.settings.site.language


def _claim(session: Session, space_id: int, moderator: str, now: dt.datetime) -> bool:
    """Mark today's summary as sent; False if it already was (a restart, a second instance)."""
    try:
        with session.begin_nested():
            session.add(
                SummarySent(space_id=space_id, moderator=moderator, day=now.date().isoformat(), sent_at=now)
            )
    except IntegrityError:
        return False
    return True


def _queue_summary(
    mod: Moderation,
    session: Session,
    space,
    space_id: int,
    moderator: str,
    holds: list[Post],
    decided: list[str],
    notes: dict[int, str],
) -> None:
    site = mod.settings.site
    expires = mod.now + dt.timedelta(days=mod.settings.moderation.token_days)
    token = make_token(site.secret_key, "summary", space_id, moderator, expires)
    language = space.languages[0]
    subject, text = mod.render(
        "pending_summary.txt",
        language,
        space=space,
        title=space.title_in(language),
        holds=holds,
        decided=decided,
        review_notes=notes,
        rule=rule_lines(space.review, mod.words(language)),
        min_age=mod.settings.moderation.summary_min_age_hours,
        **mod.command_words(language),
    )
    letter = Letter(
        to=moderator,
        subject=subject,
        text=text,
        sender=mod.owner_address(space.slug),
        sender_name=mod.words(language).gettext("%(title)s moderation") % {"title": space.title_in(language)},
        reply_to=f"moderate+{token}@{site.domain}",
        auto_submitted="auto-generated",
    )
    queue(session, "moderation-summary", letter, site.domain)
