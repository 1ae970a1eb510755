"""Mail that moderation sends: hold notices, receipts, updates, results and refusals."""

from __future__ import annotations

import datetime as dt

import nh3
from sqlmodel import Session

from archive.dates import date_and_time
from archive.members import moderators_of
from archive.models import Post
from archive.outgoing import Letter, queue, replied_recently
from archive.urls import post_url, space_url
from config.spaces import SpaceConfig
from config.tokens import make_token
from moderation.context import Moderation
from moderation.words import notice_words


def author(post: Post) -> str:
    return f"{post.from_name} <{post.from_addr}>" if post.from_name else (post.from_addr or "(unknown)")


def collapse_quotes(text: str) -> str:
    """Quoted lines are folded into one marker so the moderator reads what is new."""
    lines, hidden = [], 0
    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            hidden += 1
            continue
        if hidden:
            lines.append(f"[{hidden} quoted line(s) hidden]")
            hidden = 0
        lines.append(line)
    if hidden:
        lines.append(f"[{hidden} quoted line(s) hidden]")
    return "\n".join(lines).strip()


def queue_hold_notices(
    mod: Moderation, session: Session, post: Post, space: SpaceConfig, notes: list[str]
) -> None:
    """One notice per moderator, each with a reply address signed for that moderator."""
    site = mod.settings.site
    expires = mod.now + dt.timedelta(days=mod.settings.moderation.token_days)
    language = space.languages[0]  # the space's working language; the commands stay English
    words = notice_words(language)
    values = {
        "space": space,
        "title": space.title_in(language),
        "lang": language,
        "t": words,
        "post": post,
        "received": date_and_time(post.received_at, language),
        "author": author(post),
        "notes": notes,
        "question": mod.question_text(session, post, space),
        "text": collapse_quotes(post.body_text) or words["no_text"],
        "html": nh3.clean(post.body_html) if post.body_html and not post.body_text else "",
    }
    subject, text = mod.render("hold_notice.txt", language, **values)
    html = mod.render_html("hold_notice.html", **values)
    for moderator in moderators_of(session, space):
        token = make_token(site.secret_key, "hold", post.id, moderator, expires, post.raw_sha256)
        letter = Letter(
            to=moderator,
            subject=subject,
            text=text,
            html=html,
            sender=mod.owner_address(space.slug),
            sender_name=f"{space.title} moderation",
            reply_to=f"moderate+{token}@{site.domain}",
            auto_submitted="auto-generated",
            original=post.raw,
        )
        queue(session, "hold-notice", letter, site.domain)


def queue_receipt(
    mod: Moderation, session: Session, post: Post, space: SpaceConfig, state: str, reason: str = ""
) -> None:
    """Tell the author: received, published (with the link) or rejected (with the reason)."""
    site = mod.settings.site
    recipient = post.from_addr or post.envelope_from.strip("<>")
    if not recipient or recipient.lower().endswith("@" + site.domain.lower()):
        return  # nobody to tell, or one of our own addresses: never answer ourselves
    language = space.language_for(post.language)  # the author's language where the space has it
    subject, text = mod.render(
        f"receipt_{state}.txt",
        language,
        space=space,
        title=space.title_in(language),
        name=post.from_name or recipient,
        subject=post.subject or "(no subject)",
        reference=f"P{post.id}",
        reason=reason,
        url=post_url(site.base_url, space.slug, post.message_id),
    )
    letter = mod.answer(post, space.slug, space.title, recipient, subject, text)
    queue(session, f"receipt-{state}", letter, site.domain)


def queue_update(
    mod: Moderation,
    session: Session,
    post: Post,
    space: SpaceConfig,
    moderator: str,
    outcome: str,
    reason: str = "",
) -> None:
    """The other moderators learn who decided (unless they get it in their summary)."""
    if mod.settings.moderation.inform_others != "mail":
        return
    subject, text = mod.render(
        "decision_update.txt",
        space=space,
        post=post,
        author=author(post),
        moderator=moderator,
        outcome=outcome,
        reason=reason,
        when=mod.now,
    )
    for other in moderators_of(session, space):
        if other != moderator:
            letter = Letter(
                to=other,
                subject=subject,
                text=text,
                sender=mod.owner_address(space.slug),
                auto_submitted="auto-generated",
            )
            queue(session, "moderation-update", letter, mod.settings.site.domain)


def queue_results(
    mod: Moderation,
    session: Session,
    to: str,
    results: list[str],
    problems: list[str],
    show_help: bool,
    in_reply_to: str,
    slug: str,
) -> None:
    subject, text = mod.render(
        "moderation_results.txt", results=results, problems=problems, show_help=show_help
    )
    letter = Letter(
        to=to, subject=subject, text=text, sender=mod.owner_address(slug), in_reply_to=in_reply_to
    )
    queue(session, "moderation-results", letter, mod.settings.site.domain)


def queue_refusal(
    mod: Moderation, session: Session, to: str, address: str, reason: str, in_reply_to: str
) -> bool:
    """One short refusal per sender per hour at most; False when it was held back."""
    if not to or replied_recently(session, "moderation-refusal", to, dt.timedelta(hours=1), 1):
        return False
    subject, text = mod.render("moderation_refusal.txt", address=address, reason=reason)
    letter = Letter(
        to=to,
        subject=subject,
        text=text,
        sender=f"postmaster@{mod.settings.site.domain}",
        in_reply_to=in_reply_to,
    )
    queue(session, "moderation-refusal", letter, mod.settings.site.domain)
    return True


def queue_policy_refusal(
    mod: Moderation, session: Session, envelope_from: str, post: Post, slug: str, reason: str
) -> None:
    """Tell the envelope sender why (RFC 3834 §4: answer the return path, rate-limited)."""
    site, outbound = mod.settings.site, mod.settings.outbound
    recipient = envelope_from.strip("<>")
    if not recipient or replied_recently(
        session, "refusal", recipient, dt.timedelta(hours=1), outbound.replies_per_hour
    ):
        return
    subject, text = mod.render(
        "refusal.txt",
        subject=post.subject or "(no subject)",
        address=f"{slug}@{site.domain}",
        reason=reason,
        archive_url=space_url(site.base_url, slug),
        reference=f"P{post.id}",
        domain=site.domain,
    )
    queue(session, "refusal", mod.answer(post, slug, site.name, recipient, subject, text), site.domain)
