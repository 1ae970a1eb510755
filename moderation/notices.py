"""Mail that moderation sends: hold notices, receipts, updates, results and refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

import nh3
from sqlmodel import Session

from archive.record.bodies import Recipient, Shared, mark
from archive.record.display import collapse_quotes
from archive.record.members import moderators_of
from archive.record.models import Post, PostStatus
from archive.record.outgoing import Letter, must_not_answer, queue
from archive.record.urls import post_url, space_url
from config.errors import Refusal, said
from config.spaces import SpaceConfig
from config.tokens import make_token
from moderation.commands import Reading
from moderation.context import Moderation
from moderation.outcomes import Result
from moderation.sentences import describe, past, rule_lines
from templates.dates import date_and_time

HOUR = dt.timedelta(hours=1)
REPLY = "reply"  # each moderator's own moderate+TOKEN@ address, put in as the notice is sent


def author(post: Post) -> str:
    return f"{post.from_name} <{post.from_addr}>" if post.from_name else (post.from_addr or "(unknown)")


@dataclass(frozen=True)
class Action:
    """A one-tap reply in the HTML notice: a mailto: link with the command written in."""

    kind: str
    label: str
    command: str
    href: str


def actions(
    mod: Moderation, session: Session, space: SpaceConfig, post: Post, subject: str, language: str
) -> list[Action]:
    """Approve, Reject (with a reason to fill in), Discard, Move to each other open question."""
    words = mod.words(language)
    reply_subject = quote(f"Re: {subject}"[:200])
    found = [
        ("approve", words.gettext("Approve"), "approve"),
        ("reject", words.gettext("Reject"), "reject " + words.gettext("REASON")),
        ("discard", words.gettext("Discard"), "discard"),
    ]
    current = mod.question_number(session, post)
    for number in mod.open_questions(space):
        if number != current:
            found.append(
                ("move", words.gettext("Move to Q%(number)s") % {"number": number}, f"move q{number}")
            )
    return [
        Action(kind, label, command, f"mailto:{mark(REPLY)}?subject={reply_subject}&body={quote(command)}")
        for kind, label, command in found
    ]


def queue_hold_notices(
    mod: Moderation, session: Session, post: Post, space: SpaceConfig, notes: list[str]
) -> None:
    """One notice per moderator, each with a reply address signed for that moderator."""
    site = mod.settings.site
    expires = mod.now + dt.timedelta(days=mod.settings.moderation.token_days)
    language = space.languages[0]  # the space's working language; commands work in any language
    words = mod.words(language)
    subject = post.subject or words.gettext("(no subject)")
    values = {
        "space": space,
        "title": space.title_in(language),
        "post": post,
        "subject": subject,
        "received": date_and_time(post.received_at, language),
        "author": author(post),
        "notes": [said(note, words.gettext) for note in notes],
        "review": rule_lines(space.review, words),  # several moderators must approve (issue 16)
        "question": mod.question_text(session, post, space),
        "text": collapse_quotes(post.body_text, words) or words.gettext("(no text)"),
        "html": nh3.clean(post.body_html) if post.body_html and not post.body_text else "",
        "attachments": post.attachments,
        "actions": actions(mod, session, space, post, subject, language),
        "moderation_url": f"{space_url(site.base_url, space.slug)}moderation/",  # moderation/pages.py
        **mod.command_words(language),
    }
    notice_subject, text = mod.render("hold_notice.txt", language, **values)
    letter = Letter(
        to="",
        subject=notice_subject,
        text=text,
        html=mod.render_html("hold_notice.html", language, **values),
        sender=mod.owner_address(space.slug),
        sender_name=words.gettext("%(title)s moderation") % {"title": space.title_in(language)},
        reply_to=mark(REPLY),
        auto_submitted="auto-generated",
        original=post.raw,
    )
    notices = Shared(session, "hold-notice", letter, site.domain)  # one body: the post is encoded once
    for moderator in mod.remember(("moderators", space.slug), lambda: moderators_of(session, space)):
        token = make_token(site.secret_key, "hold", post.id, moderator, expires, post.raw_sha256)
        notices.add(Recipient(moderator, values={REPLY: f"moderate+{token}@{site.domain}"}))


def queue_receipt(
    mod: Moderation, session: Session, post: Post, space: SpaceConfig, state: str, reason: str = "", **extra
) -> None:
    """Tell the author: received, reviewed ("1 of 2 reviews done", issue 16: extra has done and
    needed), published (with the link) or rejected (with the reason).

    "Received" is an automatic answer, rate-limited per sender ([outbound] replies_per_hour, RFC
    3834 §4); what a moderator decided always goes out."""
    site = mod.settings.site
    recipient = post.from_addr or post.envelope_from.strip("<>")
    if not recipient or recipient.lower().endswith("@" + site.domain.lower()):
        return  # nobody to tell, or one of our own addresses: never answer ourselves
    template = {PostStatus.PUBLISHED: "published", PostStatus.REJECTED: "rejected"}.get(state, state)
    limit = mod.settings.outbound.replies_per_hour
    if template == "received" and must_not_answer(session, "receipt-received", recipient, HOUR, limit):
        return
    language = space.language_for(post.language)  # the author's language where the space has it
    subject, text = mod.render(
        f"receipt_{template}.txt",
        language,
        space=space,
        title=space.title_in(language),
        name=post.from_name or recipient,
        subject=post.subject or mod.words(language).gettext("(no subject)"),
        reference=f"P{post.id}",
        reason=reason,
        url=post_url(site.base_url, space.slug, post.message_id),
        **extra,
    )
    letter = mod.answer(post, space.slug, space.title_in(language), recipient, subject, text)
    queue(session, f"receipt-{template}", letter, site.domain)


def queue_update(
    mod: Moderation,
    session: Session,
    post: Post,
    space: SpaceConfig,
    moderator: str,
    status: str,
    reason: str = "",
    skip: tuple[str, ...] = (),
) -> None:
    """The other moderators learn who decided (unless they get it in their summary); skip: those who
    approved it in its review, who get no further notice for it (issue 16)."""
    tell_other_moderators(
        mod,
        session,
        post,
        space,
        moderator,
        status,
        ("moderation-update", "decision_update.txt"),
        skip,
        reason,
    )


def tell_other_moderators(
    mod: Moderation,
    session: Session,
    post: Post,
    space: SpaceConfig,
    moderator: str,
    status: str,
    kind_and_template: tuple[str, str],
    skip: tuple[str, ...] | set[str] = (),
    reason: str = "",
    **values: object,
) -> None:
    """Every moderator of the space but `moderator` and `skip` reads what was done to the post, by
    whom and when, in the space's first language (unless the summary tells them instead)."""
    if mod.settings.moderation.inform_others != "mail":
        return
    kind, template = kind_and_template
    language = space.languages[0]
    words = mod.words(language)
    subject, text = mod.render(
        template,
        language,
        space=space,
        post=post,
        subject=post.subject or words.gettext("(no subject)"),
        author=author(post),
        moderator=moderator,
        outcome=past(status, words),
        reason=reason,
        when=date_and_time(mod.now, language),
        **values,
    )
    for other in moderators_of(session, space):
        if other != moderator and other not in skip:
            letter = Letter(
                to=other,
                subject=subject,
                text=text,
                sender=mod.owner_address(space.slug),
                sender_name=words.gettext("%(title)s moderation") % {"title": space.title_in(language)},
                auto_submitted="auto-generated",
            )
            queue(session, kind, letter, mod.settings.site.domain)


def queue_results(
    mod: Moderation,
    session: Session,
    to: str,
    results: list[Result],
    reading: Reading,
    asked_help: bool,
    in_reply_to: str,
    slug: str,
    token: str,
) -> None:
    """What each command did, in the space's language; replies go to the same moderate+TOKEN@."""
    space = mod.settings.space(slug)
    language = space.languages[0] if space else mod.settings.site.language
    words = mod.words(language)
    lines = [describe(result, words, language) for result in results]
    if not results and not reading.problems and not reading.commands:
        lines.append(words.gettext("No command was found at the top of your reply; nothing changed."))
    subject, text = mod.render(
        "moderation_results.txt",
        language,
        results=lines,
        problems=[f"{p.line[:80]!r}: {words.gettext(p.why)}" for p in reading.problems],
        show_help=asked_help or not results or bool(reading.problems),
        **mod.command_words(language),
    )
    letter = Letter(
        to=to,
        subject=subject,
        text=text,
        sender=mod.owner_address(slug),
        in_reply_to=in_reply_to,
        reply_to=f"moderate+{token}@{mod.settings.site.domain}",  # a reply to this acts on the same hold
    )
    queue(session, "moderation-results", letter, mod.settings.site.domain)


def queue_refusal(
    mod: Moderation, session: Session, to: str, address: str, refusal: Refusal, in_reply_to: str
) -> bool:
    """One short refusal per sender per hour at most; False when it was held back."""
    if not to or must_not_answer(session, "moderation-refusal", to, dt.timedelta(hours=1), 1):
        return False
    language = mod.settings.site.language
    reason = refusal.reason.said(mod.words(language).gettext)
    subject, text = mod.render("moderation_refusal.txt", language, address=address, reason=reason)
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
    mod: Moderation, session: Session, envelope_from: str, post: Post, space: SpaceConfig, reason: str
) -> None:
    """Tell the envelope sender why (RFC 3834 §4: answer the return path, rate-limited)."""
    site, outbound = mod.settings.site, mod.settings.outbound
    recipient = envelope_from.strip("<>")
    if not recipient or must_not_answer(
        session, "refusal", recipient, dt.timedelta(hours=1), outbound.replies_per_hour
    ):
        return
    language = space.language_for(post.language)
    words = mod.words(language)
    subject, text = mod.render(
        "refusal.txt",
        language,
        subject=post.subject or words.gettext("(no subject)"),
        address=f"{space.slug}@{site.domain}",
        reason=said(reason, words.gettext),
        archive_url=space_url(site.base_url, space.slug),
        reference=f"P{post.id}",
        domain=site.domain,
    )
    letter = mod.answer(post, space.slug, space.title_in(language), recipient, subject, text)
    queue(session, "refusal", letter, site.domain)
