"""Spaces and questions from the configuration, kept in step with the database at start."""

from __future__ import annotations

from sqlmodel import Session, select

from archive.record.models import Question, Space
from config import Settings
from config.spaces import SpaceConfig


def sync_spaces(session: Session, configured: tuple[SpaceConfig, ...]) -> None:
    """Add and update configured spaces; a space no longer configured is kept, marked retired."""
    rows = {row.slug: row for row in session.exec(select(Space))}
    for config in configured:
        row = rows.get(config.slug) or Space(slug=config.slug, title=config.title)
        row.title, row.visibility, row.posting = config.title, config.visibility, config.posting
        row.languages, row.opens, row.closes = list(config.languages), config.opens, config.closes
        row.retired = False
        session.add(row)
        session.flush()
        _sync_questions(session, row, config)
    wanted = {c.slug for c in configured}
    for slug, row in rows.items():
        if slug not in wanted and not row.retired:
            row.retired = True
            session.add(row)


def _sync_questions(session: Session, space: Space, config: SpaceConfig) -> None:
    rows = {q.number: q for q in session.exec(select(Question).where(Question.space_id == space.id))}
    for question in config.questions:
        row = rows.get(question.number) or Question(space_id=space.id, number=question.number)
        row.text, row.retired = dict(question.text), False
        session.add(row)
    numbers = {q.number for q in config.questions}
    for number, row in rows.items():
        if number not in numbers:
            row.retired = True
            session.add(row)


def space_row(session: Session, slug: str) -> Space | None:
    return session.exec(select(Space).where(Space.slug == slug)).first()


def question_row(session: Session, space_id: int, number: int) -> Question | None:
    query = select(Question).where(Question.space_id == space_id, Question.number == number)
    return session.exec(query).first()


def title_in(settings: Settings, space: Space, language: str) -> str:
    """A space's title in a language where the configuration gives one, else as stored."""
    config = settings.space(space.slug)
    return config.title_in(language) if config else space.title
