"""Participation figures for a space, and their charts as SVG (pygal; no JavaScript needed)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pygal
from pygal.style import CleanStyle
from sqlmodel import Session, col, select

from archive.record.models import Post, PostStatus, Question

CHARTS = ("weeks", "questions", "organisations")
SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)


@dataclass
class Participation:
    per_week: dict[str, int]
    per_question: dict[str, int]
    per_organisation: dict[str, int]
    participants: int
    posts: int


def participation(session: Session, space_id: int) -> Participation:
    query = (
        select(Post.received_at, Post.from_addr, Question.number)
        .join(Question, col(Post.question_id) == Question.id, isouter=True)
        .where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
    )
    rows = session.exec(query).all()
    weeks = Counter(f"{when.isocalendar().year}-W{when.isocalendar().week:02d}" for when, _, _ in rows)
    questions = Counter(f"Q{number}" if number else "—" for _, _, number in rows)
    organisations = Counter(address.partition("@")[2] or "?" for _, address, _ in rows)
    return Participation(
        dict(sorted(weeks.items())),
        dict(sorted(questions.items())),
        dict(organisations.most_common(15)),
        len({a for _, a, _ in rows if a}),
        len(rows),
    )


def chart(figures: Participation, name: str, title: str) -> bytes:
    data = {
        "weeks": figures.per_week,
        "questions": figures.per_question,
        "organisations": figures.per_organisation,
    }[name]
    return bar_chart(title, data, horizontal=name == "organisations", rotate=name == "weeks")


def bar_chart(
    title: str, data: dict, horizontal: bool = False, rotate: bool = False, inline: bool = False
) -> bytes:
    """A bar chart as SVG; inline=True leaves out the XML declaration, for embedding in HTML."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    graph = kind(
        title=title,
        style=CleanStyle,
        show_legend=False,
        js=[],
        disable_xml_declaration=inline,
        width=720,
        height=360,
        x_label_rotation=30 if rotate else 0,
    )
    graph.x_labels = list(data)
    graph.add(title, list(data.values()))
    # pygal always writes an inline config <script> for its tooltips; a static chart needs none.
    rendered = graph.render()  # str without the XML declaration, bytes with it
    return SCRIPT.sub(b"", rendered.encode() if isinstance(rendered, str) else rendered)
