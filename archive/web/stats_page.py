"""A space's participation page (/{slug}/stats/) and its charts, SVG images that run nothing."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.record.participation import CHARTS, chart, participation
from archive.web.context import NotFound, archive_of
from archive.web.headers import SAFE_HEADERS, SVG_CSP
from config.database import session_scope
from templates import N_, dates, translations

FIGURES = {"weeks": "per_week", "questions": "per_question", "organisations": "per_organisation"}
SVG_HEADERS = {**SAFE_HEADERS, "Content-Security-Policy": SVG_CSP}
CHART_TITLES = {
    "weeks": N_("Posts per week"),
    "questions": N_("Posts per question"),
    "organisations": N_("Posts per organisation"),
}


def stats(request: Request) -> Response:
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        figures = participation(session, row.id)
    return archive.render(
        request,
        "stats.html",
        archive.language(request, row.languages),
        space=row,
        figures=figures,
        charts=[(name, CHART_TITLES[name], getattr(figures, FIGURES[name])) for name in CHARTS],
    )


def stats_chart(request: Request) -> Response:
    name = request.path_params["chart"]
    if name not in CHARTS:
        raise NotFound
    archive = archive_of(request)
    with session_scope(archive.engine) as session:
        row = archive.space_of(session, request)
        figures = participation(session, row.id)
    language = archive.language(request, row.languages)
    title = translations(language, archive.settings.templates_path).gettext(CHART_TITLES[name])
    labels = lambda key: dates.day_month(key, language) if isinstance(key, dt.date) else str(key)  # noqa: E731
    svg = chart(figures, name, title, labels)
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


ROUTES = [
    Route("/{slug}/stats/", stats),
    Route("/{slug}/stats/{chart}.svg", stats_chart),
]
