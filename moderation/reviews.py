"""Review by several moderators (issue 16): each approve or reject is one moderator's review, and
the post is decided when its space's review rule is met (config.review)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from archive.record.models import Post, PostStatus, Review
from config.review import ReviewConfig

APPROVE, REJECT = "approve", "reject"
VERDICT_STATUS = {APPROVE: PostStatus.PUBLISHED, REJECT: PostStatus.REJECTED}


@dataclass(frozen=True)
class ReviewState:
    """Where a held post's review stands: who approved and rejected, and what it still needs."""

    approved_by: tuple[str, ...]
    rejected_by: tuple[str, ...]
    needed: int  # approvals in all that publish it, as things stand: done plus still needed
    missing_groups: tuple[str, ...]
    reject_needs: int
    published: bool
    rejected: bool

    @property
    def done(self) -> int:
        return len(self.approved_by)

    def as_dict(self) -> dict:
        """For `hubmail holds --json` and `posts --json`."""
        return {
            "approvals_done": self.done,
            "approvals_needed": self.needed,
            "approved_by": list(self.approved_by),
            "rejected_by": list(self.rejected_by),
            "rejections_needed": self.reject_needs,
            "missing_groups": list(self.missing_groups),
        }


def state_of(rule: ReviewConfig, reviews: list[Review], moderators: Collection[str]) -> ReviewState:
    """The review's state from its reviews, oldest first (pure: the unit tests drive it directly)."""
    approvers = tuple(r.moderator for r in reviews if r.verdict == APPROVE)
    rejecters = tuple(r.moderator for r in reviews if r.verdict == REJECT)
    reviewers = set(approvers) | set(rejecters)
    could = [m for m in moderators if m not in reviewers]  # a rejecter does not approve later
    return ReviewState(
        approved_by=approvers,
        rejected_by=rejecters,
        needed=len(approvers) + rule.still_needed(approvers, [*approvers, *could]),
        missing_groups=rule.missing_groups(approvers),
        reject_needs=rule.reject_needs,
        published=rule.published_by(approvers),
        rejected=len(rejecters) >= rule.reject_needs,
    )


def reviews_of(session: Session, post_ids: Collection[int]) -> dict[int, list[Review]]:
    """Each post's reviews, oldest first."""
    found: dict[int, list[Review]] = {}
    if post_ids:
        query = select(Review).where(col(Review.post_id).in_(post_ids)).order_by(col(Review.id))
        for review in session.exec(query):
            found.setdefault(review.post_id, []).append(review)
    return found


def hold_for_review(session: Session, post: Post) -> bool:
    """Lock the post's row until the transaction ends and read it again: True if it is still held.

    Two moderators' replies processed at once (two instances on one PostgreSQL) then take turns:
    the second sees the first's review, so neither a review nor the publication is lost, and the post
    is published once. SQLite serializes writers by itself (session_scope(writes=True))."""
    session.refresh(post, with_for_update=True)
    return post.status == PostStatus.HELD


def review_by(session: Session, post_id: int, moderator: str) -> Review | None:
    query = select(Review).where(Review.post_id == post_id, Review.moderator == moderator)
    return session.exec(query).first()


def add_review(session: Session, post: Post, moderator: str, verdict: str, now: dt.datetime) -> bool:
    """Record one moderator's review; False if they had reviewed the post already."""
    if review_by(session, post.id, moderator) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Review(post_id=post.id, moderator=moderator, verdict=verdict, at=now))
    except IntegrityError:  # the unique (post_id, moderator): the same moderator twice at once
        return False
    return True
