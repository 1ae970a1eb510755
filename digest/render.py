"""A digest: one message, text and HTML, a table of contents, then new posts by question and thread."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel import Session, select

from archive.record.display import collapse_quotes, mail_html, text_mail_html
from archive.record.mailing import Mailing
from archive.record.models import Post, Question, Space
from archive.record.outgoing import Letter
from archive.record.spaces import title_in
from archive.record.translations import translations_in
from archive.record.urls import attachment_url, post_url, reply_mailto
from config.calendar import countdown, moment
from digest.headers import list_letter, unsubscribe_mark
from templates.dates import long_date, span


@dataclass
class Section:
    title: str
    posts: list[Post]


def sections(
    mail: Mailing, session: Session, space: Space, posts: list[Post], language: str
) -> list[Section]:
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
            else mail.words(language).gettext("General discussion")
        )
        result.append(
            Section(title, sorted(groups[qid], key=lambda p: (p.thread_id or p.id, p.published_at, p.id)))
        )
    return result


def reply_link(mail: Mailing, space: Space, post: Post) -> str:
    return reply_mailto(mail.space_address(space.slug), post.subject, post.message_id)


def digest_letters(
    mail: Mailing,
    session: Session,
    space: Space,
    posts: list[Post],
    language: str,
    mode: str,
    announcements: list[dict] = (),
) -> list[Letter]:
    """The digest of `posts` for subscribers of this language and mode: one letter, or numbered parts
    of at most [digest] part_max_bytes of text each, all sent at once; the first part begins with the
    announcements given with it (digest.announcing.content). The subscriber's own parts (To,
    unsubscribe link) are markers, put in per recipient (archive.record.bodies)."""
    parts = split(posts, mail.settings.digest.part_max_bytes)
    title = title_in(mail.settings, space, language)
    letters = []
    for number, part in enumerate(parts, 1):
        news = list(announcements) if number == 1 else []
        subject, text, html = _render(mail, session, space, part, language, mode, (number, len(parts)), news)
        letters.append(list_letter(mail, space, title, subject, text, html))
    return letters


def split(posts: list[Post], max_bytes: int) -> list[list[Post]]:
    """Posts in order, cut into parts whose text stays within max_bytes (a post is never cut)."""
    parts: list[list[Post]] = [[]]
    size = 0
    for post in posts:
        weight = len(post.body_text) + len(post.display_html) + 500
        if parts[-1] and size + weight > max_bytes:
            parts.append([])
            size = 0
        parts[-1].append(post)
        size += weight
    return parts


def _body_text(post: Post, translated: dict, words) -> str:
    """The digest carries the posts a reply quotes: each post's own words, its quotes folded; where
    the moderators translated a post into the digest's language, their translation (the original is
    linked beside it)."""
    return collapse_quotes(translated[post.id].text if post.id in translated else post.body_text, words)


def _body_html(post: Post, translated: dict, words) -> Markup:
    """_body_text for the HTML part: sanitized at publication, or escaped here."""
    if post.id in translated:
        return Markup(text_mail_html(translated[post.id].text, words))
    return Markup(mail_html(post, words))


def _translations(session: Session, posts: list[Post], language: str) -> dict:
    """The posts' translations into the digest's language (none for a post written in it)."""
    found = translations_in(session, [p.id for p in posts], language)
    return {p.id: found[p.id] for p in posts if p.id in found and p.language != language}


def _phase_line(mail: Mailing, space: Space, language: str) -> str:
    """Where the consultation stands, for the digest's first lines: the open or the next phase."""
    config = mail.settings.space(space.slug)
    here = moment(config, mail.now) if config else None
    if here is None or here.phase is None:
        return ""
    words = mail.words(language)
    values = {
        "name": here.phase.name_in(language, config.languages[0]),
        "dates": span(here.phase.opens, here.phase.closes, language),
        "questions": ", ".join(f"Q{n}" for n in here.phase.questions),
    }
    if here.state == "open":
        return words.gettext("Now: %(name)s, %(dates)s (%(questions)s)") % values
    return words.gettext("Next: %(name)s, %(dates)s (%(questions)s)") % values


def _render(
    mail: Mailing,
    session: Session,
    space: Space,
    posts: list[Post],
    language: str,
    mode: str,
    part: tuple[int, int],
    announcements: list[dict],
) -> tuple[str, str, str]:
    base = mail.settings.site.base_url
    words = mail.words(language)
    translated = _translations(session, posts, language)
    values = {
        "space": space,
        "sections": sections(mail, session, space, posts, language),
        "count": len(posts),
        "url": lambda post: post_url(base, space.slug, post.message_id),
        "reply": lambda post: reply_link(mail, space, post),
        "attachment_url": lambda post, index: attachment_url(base, space.slug, post, index),
        "translation": lambda post: translated.get(post.id),
        "body_text": lambda post: _body_text(post, translated, words),
        "body_html": lambda post: _body_html(post, translated, words),
        "closes": long_date(space.closes, language) if space.closes and space.closes > mail.now else "",
        "phase": _phase_line(mail, space, language),
        "title": title_in(mail.settings, space, language),
        "unsubscribe": unsubscribe_mark(mail, space.slug),
        "mode": mode,
        "announcements": announcements,
        "countdown": countdown(mail.settings.space(space.slug), mail.now)
        if mail.settings.space(space.slug)
        else None,
        "now": mail.now,
        "part": part[0],
        "parts": part[1],
    }
    subject, text = mail.render("digest.txt", language, wrap_lines=False, **values)
    return subject, text, mail.render_html("digest.html", language, **values)
