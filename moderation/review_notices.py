"""What moderators read about a review by several of them (issue 16): the rule, and where it stands."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.members import moderators_of
from archive.record.models import Post
from archive.record.outgoing import Letter, queue
from config.spaces import SpaceConfig
from moderation.context import Moderation
from moderation.notices import author
from moderation.reviews import REJECT, VERDICT_STATUS, ReviewState
from moderation.sentences import past, rule_lines, state_lines
from templates.dates import date_and_time


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
    if mod.settings.moderation.inform_others != "mail":
        return
    language = space.languages[0]
    words = mod.words(language)
    subject, text = mod.render(
        "review_update.txt",
        language,
        space=space,
        post=post,
        subject=post.subject or words.gettext("(no subject)"),
        author=author(post),
        moderator=moderator,
        outcome=past(VERDICT_STATUS[verdict], words),
        reason=reason if verdict == REJECT else "",
        when=date_and_time(mod.now, language),
        done=state.done,
        needed=state.needed,
        state=state_lines(state, words),
        rule=rule_lines(space.review, words),
    )
    for other in moderators_of(session, space):
        if other != moderator and other not in state.approved_by:
            letter = Letter(
                to=other,
                subject=subject,
                text=text,
                sender=mod.owner_address(space.slug),
                sender_name=words.gettext("%(title)s moderation") % {"title": space.title_in(language)},
                auto_submitted="auto-generated",
            )
            queue(session, "moderation-review", letter, mod.settings.site.domain)
