"""What moderators read about a review by several of them (issue 16): the rule, and where it stands."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.models import Post
from config.spaces import SpaceConfig
from moderation.context import Moderation
from moderation.notices import tell_other_moderators
from moderation.reviews import REJECT, VERDICT_STATUS, ReviewState
from moderation.sentences import rule_lines, state_lines


def queue_review_update(
    mod: Moderation,
    session: Session,
    post: Post,
    space: SpaceConfig,
    moderator: str,
    verdict: str,
    state: ReviewState,
    reason: str = "",
) -> None:
    """The moderators who have not approved the post learn who reviewed it and what it still needs;
    one who approved it gets no further notice for it (unless they get it in their summary)."""
    words = mod.words(space.languages[0])
    tell_other_moderators(
        mod,
        session,
        post,
        space,
        moderator,
        VERDICT_STATUS[verdict],
        ("moderation-review", "review_update.txt"),
        skip=state.approved_by,
        reason=reason if verdict == REJECT else "",
        done=state.done,
        needed=state.needed,
        state=state_lines(state, words),
        rule=rule_lines(space.review, words),
    )
