"""Participation figures for a space, and their charts as SVG (pygal; no JavaScript needed)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import pygal
from pygal.style import CleanStyle
from sqlmodel import Session, col, select

from archive.record.models import Post, PostStatus, Question
from archive.record.thread_list import organisation, organisations_of

CHARTS = ("weeks", "questions", "organisations")
SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)


@dataclass
class Participation:
    per_week: dict[dt.date, int]  # the Monday of each ISO week with contributions
    per_question: dict[str, int]
    per_organisation: dict[str, int]  # the member's organisation where given, else the domain
    participants: int
    posts: int


def participation(session: Session, space_id: int) -> Participation:
    query = (
        select(Post.received_at, Post.from_addr, Question.number)
        .join(Question, col(Post.question_id) == Question.id, isouter=True)
        .where(Post.space_id == space_id, Post.status == PostStatus.PUBLISHED)
    )
    rows = session.exec(query).all()
    weeks = Counter(week_of(when) for when, _, _ in rows)
    questions = Counter(f"Q{number}" if number else "—" for _, _, number in rows)
    known = organisations_of(session, space_id, {address for _, address, _ in rows if address})
    organisations = Counter(organisation(address, known) or "?" for _, address, _ in rows)
    return Participation(
        dict(sorted(weeks.items())),
        dict(sorted(questions.items())),
        dict(organisations.most_common(15)),
        len({a for _, a, _ in rows if a}),
        len(rows),
    )


def week_of(when: dt.datetime) -> dt.date:
    """The Monday that starts `when`'s ISO week."""
    day = when.date()
    return day - dt.timedelta(days=day.weekday())


def chart(figures: Participation, name: str, title: str, labels: Callable[[object], str] = str) -> bytes:
    """One of CHARTS; labels writes a week (a date) or other key as the reader's language does."""
    data = {
        "weeks": figures.per_week,
        "questions": figures.per_question,
        "organisations": figures.per_organisation,
    }[name]
    data = {labels(key): count for key, count in data.items()}
    return bar_chart(title, data, horizontal=name == "organisations", rotate=name == "weeks")


def bar_chart(
    title: str,
    data: dict,
    horizontal: bool = False,
    rotate: bool = False,
    inline: bool = False,
    counts: bool = True,
) -> bytes:
    """A bar chart as SVG, titled and described for screen readers (every figure in its <desc>);
    counts: the axis shows whole numbers only (no "0.2 posts"). inline=True leaves out the XML
    declaration, for embedding in HTML."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    axis = {"y_labels": whole_steps(max(data.values(), default=0))} if counts else {}
    graph = kind(
        title=title,
        style=CleanStyle,
        show_legend=False,
        js=[],
        disable_xml_declaration=inline,
        width=720,
        height=360,
        x_label_rotation=30 if rotate else 0,
        **axis,
    )
    graph.x_labels = list(data)
    graph.add(title, list(data.values()))
    # pygal always writes an inline config <script> for its tooltips; a static chart needs none.
    rendered = graph.render()  # str without the XML declaration, bytes with it
    svg = SCRIPT.sub(b"", rendered.encode() if isinstance(rendered, str) else rendered)
    return _described(svg, title, data)


def whole_steps(top: int | float) -> list[int]:
    """The value axis's ticks: whole numbers from 0 past the top, at most about eight of them."""
    step = max(1, math.ceil(top / 8))
    return list(range(0, int(top) + step + 1, step))


def _described(svg: bytes, title: str, data: dict) -> bytes:
    """The chart as an image with a name and a description a screen reader reads out."""
    figures = ", ".join(f"{label}: {value}" for label, value in data.items())
    described = f"<title>{escape(title)}</title><desc>{escape(figures)}</desc>".encode()
    opening = svg.index(b">", svg.index(b"<svg")) + 1
    head = svg[:opening].replace(b"<svg ", b'<svg role="img" ', 1)
    return head + described + svg[opening:]
