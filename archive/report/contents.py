"""The report for the analysis paper: every published contribution, then participation figures."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from urllib.parse import quote

from sqlmodel import Session, col, func, select

from archive.record.models import Member, Post, PostStatus, Question, Review, Space
from archive.record.replytext import html_to_text
from archive.record.translations import space_translations
from archive.record.urls import post_url
from config import Settings
from config.calendar import PhaseConfig
from config.spaces import SpaceConfig


class ReportError(ValueError):
    """What is wrong with the request (an unknown space or phase, nothing to report)."""


@dataclass
class Contribution:
    question: int | None
    author: str
    address: str
    organisation: str
    date: str
    language: str
    subject: str
    text: str
    url: str
    attachments: list[dict] = field(default_factory=list)  # filename, size, url
    translations: dict[str, dict] = field(default_factory=dict)  # language -> text, by, machine


@dataclass
class Report:
    space: str
    title: str
    phase: str
    generated_at: str
    questions: dict[int, str]  # number -> text, in the space's first language
    contributions: list[Contribution]
    per_question: dict[str, dict[str, int]]  # "Q1" -> contributions, contributors
    per_week: dict[str, int]
    per_organisation: dict[str, dict[str, int]]
    languages: dict[str, float]  # share of contributions, 0..1
    attachments: dict[str, int]  # files, bytes
    moderation: dict  # held, approved, rejected, discarded, median hours, reviews per moderator

    def as_dict(self) -> dict:
        return asdict(self)


def build_report(
    session: Session,
    settings: Settings,
    slug: str,
    phase_number: int | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> Report:
    config = settings.space(slug)
    space = session.exec(select(Space).where(Space.slug == slug)).first()
    if config is None or space is None:
        raise ReportError(f"no space {slug!r} in the configuration")
    phase = _phase(config, phase_number)
    numbers = set(phase.questions) if phase else None
    questions = {q.number: q for q in session.exec(select(Question).where(Question.space_id == space.id))}
    by_id = {q.id: q.number for q in questions.values()}
    organisations = _directory(session, space.id)
    contributions, posts = [], _published(session, space.id)
    translated = space_translations(session, space.id)
    for post in posts:
        number = by_id.get(post.question_id)
        if numbers is None or number in numbers:
            contribution = _contribution(settings, slug, post, number, organisations)
            contribution.translations = {
                language: {"text": t.text, "by": t.by, "machine": t.machine}
                for language, t in translated.get(post.id, {}).items()
            }
            contributions.append(contribution)
        progress(1)
    if not contributions:
        scope = f"phase {phase.number} of {slug!r}" if phase else repr(slug)
        raise ReportError(f"{scope} has no published contributions to report on yet")
    language = config.languages[0]
    shown = sorted(n for n in questions if numbers is None or n in numbers)
    return Report(
        space=slug,
        title=config.title,
        phase=phase.name_in(language, language) if phase else "",
        generated_at=(now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        questions={
            n: questions[n].text.get(language) or next(iter(questions[n].text.values()), "") for n in shown
        },
        contributions=contributions,
        **_indicators(contributions),
        moderation=_moderation(session, space.id, numbers, by_id),
    )


def _phase(config: SpaceConfig, number: int | None) -> PhaseConfig | None:
    if number is None:
        return None
    phase = config.phase(number)
    if phase is None:
        have = ", ".join(str(p.number) for p in config.phases) or "none"
        raise ReportError(f"space {config.slug!r} has no phase {number} (its phases: {have})")
    return phase


# every post read, once
_CONTRIBUTIONS = (Post.status == PostStatus.PUBLISHED, col(Post.is_summary).is_(False))


_READ = (
    Post.id,
    Post.question_id,
    Post.message_id,
    Post.from_name,
    Post.from_addr,
    Post.published_at,
    Post.received_at,
    Post.language,
    Post.subject,
    Post.body_text,
    Post.body_html,
    Post.attachments,
)


def _published(session: Session, space_id: int) -> list:
    """Only the columns a report shows, as plain rows: no raw message, no ORM objects to build."""
    query = (
        select(*_READ)
        .where(Post.space_id == space_id, *_CONTRIBUTIONS)
        .order_by(col(Post.question_id), col(Post.published_at), col(Post.id))
    )
    return list(session.exec(query))


def _directory(session: Session, space_id: int) -> dict[str, str]:
    """Organisations named with `hubmail members` win over the sender's domain."""
    rows = session.exec(select(Member.address, Member.organisation).where(Member.space_id == space_id))
    return {address: organisation for address, organisation in rows if organisation}


def _contribution(settings: Settings, slug: str, post, number: int | None, organisations) -> Contribution:
    """post: a row of _published."""
    url = post_url(settings.site.base_url, slug, post.message_id)
    return Contribution(
        question=number,
        author=post.from_name or post.from_addr,
        address=post.from_addr,
        organisation=organisations.get(post.from_addr) or post.from_addr.partition("@")[2] or "?",
        date=(post.published_at or post.received_at).strftime("%Y-%m-%d"),
        language=post.language or "?",
        subject=post.subject,
        text=(post.body_text or html_to_text(post.body_html)).strip(),
        url=url,
        attachments=[
            {
                "filename": a["filename"],
                "size": a.get("size", 0),
                "url": f"{url}{index}/{quote(a['filename'])}",
            }
            for index, a in enumerate(post.attachments)
        ],
    )


def _indicators(contributions: list[Contribution]) -> dict:
    by_question = _group(contributions, lambda c: _label(c.question))
    by_organisation = _group(contributions, lambda c: c.organisation)
    per_question = {label: by_question[label] for label in sorted(by_question)}
    weeks = Counter(_week(c.date) for c in contributions)
    organisations = dict(sorted(by_organisation.items(), key=lambda item: -item[1]["contributions"]))
    languages = Counter(c.language for c in contributions)
    files = [a for c in contributions for a in c.attachments]
    return {
        "per_question": per_question,
        "per_week": dict(sorted(weeks.items())),
        "per_organisation": organisations,
        "languages": {k: round(v / len(contributions), 4) for k, v in languages.most_common()},
        "attachments": {"files": len(files), "bytes": sum(a["size"] for a in files)},
    }


def _group(contributions: list[Contribution], key) -> dict[str, dict[str, int]]:
    """Contributions and distinct contributors per key, in one pass."""
    counts: Counter = Counter()
    people: dict[str, set[str]] = {}
    for c in contributions:
        counts[key(c)] += 1
        people.setdefault(key(c), set()).add(c.address)
    return {k: {"contributions": n, "contributors": len(people[k])} for k, n in counts.items()}


def _label(number: int | None) -> str:
    return f"Q{number}" if number is not None else "—"


@lru_cache(maxsize=4096)  # a few hundred distinct days at most
def _week(date: str) -> str:
    year, week, _ = dt.date.fromisoformat(date).isocalendar()
    return f"{year}-W{week:02d}"


def _moderation(session: Session, space_id: int, numbers: set[int] | None, by_id: dict) -> dict:
    query = select(Post.id, Post.status, Post.question_id, Post.received_at, Post.decided_at,
                   Post.published_at, Post.decided_by).where(
        Post.space_id == space_id, col(Post.is_summary).is_(False)
    )  # fmt: skip
    rows = [r for r in session.exec(query) if numbers is None or by_id.get(r[2]) in numbers]
    counts = Counter(row[1] for row in rows)
    waits = [
        (decided - received).total_seconds() / 3600
        for _, status, _, received, decided, _, _ in rows
        if decided is not None and status in ("published", "rejected")
    ]
    # Issue 16: how long a contribution waited to be public (imports were public before they came).
    published = [
        (published - received).total_seconds() / 3600
        for _, status, _, received, _, published, by in rows
        if status == "published" and published is not None and by != "import"
    ]
    return {
        "held": counts["held"],
        "approved": counts["published"],
        "rejected": counts["rejected"],
        "discarded": counts["discarded"],
        "median_hours_to_decision": _median(waits),
        "median_hours_to_publication": _median(published),
        "reviews_per_moderator": _reviews_per_moderator(session, space_id, {row[0] for row in rows}),
    }


def _median(hours: list[float]) -> float | None:
    return round(statistics.median(hours), 1) if hours else None


def _reviews_per_moderator(session: Session, space_id: int, post_ids: set[int]) -> dict[str, dict[str, int]]:
    """Each moderator's reviews of these posts: approvals and rejections (issue 16)."""
    query = select(Review.post_id, Review.moderator, Review.verdict).join(
        Post, col(Post.id) == Review.post_id
    )
    query = query.where(Post.space_id == space_id)
    found: dict[str, dict[str, int]] = {}
    for post_id, moderator, verdict in session.exec(query):
        if post_id in post_ids:
            counts = found.setdefault(moderator, {"approve": 0, "reject": 0})
            counts[verdict] = counts.get(verdict, 0) + 1
    return dict(sorted(found.items()))


def count_published(session: Session, slug: str) -> int:
    """For the progress bar's total."""
    query = select(func.count()).select_from(Post).join(Space, col(Space.id) == Post.space_id)
    query = query.where(Space.slug == slug, *_CONTRIBUTIONS)
    return session.exec(query).one()
