"""A digest: one message, text and HTML, a table of contents, then new posts by question and thread."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import Session, select

from archive.dates import long_date, span
from archive.mailing import Mailing
from archive.models import Post, Question, Space
from archive.outgoing import Letter
from archive.spaces import title_in
from archive.urls import post_url
from config.calendar import moment
from digest.headers import list_headers, unsubscribe_url
from digest.models import Subscriber
from digest.words import words


@dataclass
class Section:
    title: str
    posts: list[Post]


def sections(session: Session, space: Space, posts: list[Post], language: str) -> list[Section]:
    """Posts grouped by guiding question (general discussion last), each thread kept together."""
    questions = {q.id: q for q in session.exec(select(Question).where(Question.space_id == space.id))}
    groups: dict[int | None, list[Post]] = {}
    for post in posts:
        groups.setdefault(post.question_id, []).append(post)
    ordered = sorted(groups, key=lambda qid: (qid is None, questions[qid].number if qid in questions else 0))
    result = []
    for qid in ordered:
        question = questions.get(qid)
        title = (
            f"Q{question.number}: " + (question.text.get(language) or next(iter(question.text.values())))
            if question
            else words(language)["general"]
        )
        result.append(
            Section(title, sorted(groups[qid], key=lambda p: (p.thread_id or p.id, p.published_at, p.id)))
        )
    return result


def reply_link(mail: Mailing, space: Space, post: Post) -> str:
    """mailto: whose In-Reply-To names the post, so a reply from the digest joins its thread."""
    subject = quote(f"Re: {post.subject}"[:200])
    parent = quote(f"<{post.message_id}>")
    return f"mailto:{mail.space_address(space.slug)}?subject={subject}&In-Reply-To={parent}"


UNSUBSCRIBE = "\x00unsubscribe\x00"  # stands for each subscriber's own link in a shared rendering


def digest_letter(
    mail: Mailing,
    session: Session,
    space: Space,
    subscriber: Subscriber,
    posts: list[Post],
    cache: dict | None = None,
) -> Letter:
    """The subscriber's digest. Subscribers of a space with the same posts and language share one
    rendering (`cache`); only the unsubscribe link differs, and is put in afterwards."""
    language = subscriber.language or (space.languages or [mail.settings.site.language])[0]
    key = (space.id, language, subscriber.mode, posts[0].id, posts[-1].id, len(posts))
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = _render(mail, session, space, posts, language, subscriber.mode)
    subject, text, html = cache[key]
    link = unsubscribe_url(mail, space.slug, subscriber)
    return Letter(
        to=subscriber.address,
        subject=subject,
        text=text.replace(UNSUBSCRIBE, link),
        html=html.replace(UNSUBSCRIBE, link),
        sender=mail.space_address(space.slug),
        sender_name=space.title,
        reply_to=mail.space_address(space.slug),
        auto_submitted="",
        extra=list_headers(mail, space.slug, space.title, subscriber),
    )


def _phase_line(mail: Mailing, space: Space, language: str) -> str:
    """Where the consultation stands, for the digest's first lines: the open or the next phase."""
    config = mail.settings.space(space.slug)
    here = moment(config, mail.now) if config else None
    if here is None or here.phase is None:
        return ""
    name = here.phase.name_in(language, config.languages[0])
    dates = span(here.phase.opens, here.phase.closes, language)
    questions = ", ".join(f"Q{n}" for n in here.phase.questions)
    label = words(language)["now" if here.state == "open" else "next"]
    return f"{label}: {name}, {dates} ({questions})"


def _render(
    mail: Mailing, session: Session, space: Space, posts: list[Post], language: str, mode: str
) -> tuple[str, str, str]:
    base = mail.settings.site.base_url
    values = {
        "space": space,
        "sections": sections(session, space, posts, language),
        "count": len(posts),
        "url": lambda post: post_url(base, space.slug, post.message_id),
        "reply": lambda post: reply_link(mail, space, post),
        "closes": long_date(space.closes, language) if space.closes and space.closes > mail.now else "",
        "phase": _phase_line(mail, space, language),
        "t": words(language),
        "title": title_in(mail.settings, space, language),
        "lang": language,
        "unsubscribe": UNSUBSCRIBE,
        "mode": mode,
    }
    subject, text = mail.render("digest.txt", language, **values)
    return subject, text, mail.render_html("digest.html", **values)
