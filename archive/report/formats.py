"""The report as HTML (inline SVG charts, A4 print styles), Markdown, CSV (a row per contribution), JSON."""

from __future__ import annotations

import csv
import io
import json

import jinja2
from markupsafe import Markup

from archive.record.participation import bar_chart
from archive.report.contents import Report

FORMATS = ("html", "md", "csv", "json")
CSV_COLUMNS = (
    "question",
    "author",
    "address",
    "organisation",
    "date",
    "language",
    "subject",
    "text",
    "attachments",
)


def render_report(report: Report, fmt: str, templates: jinja2.Environment) -> str:
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(report)
    if fmt == "md":
        return templates.get_template("report/report.md").render(report=report)
    if fmt == "html":
        return templates.get_template("report/report.html").render(report=report, charts=_charts(report))
    raise ValueError(f"{fmt!r} is not a report format ({', '.join(FORMATS)})")


def _csv(report: Report) -> str:
    """A row per contribution; then, for each language some contribution was translated into, the
    translation and who made it ("machine:NAME" for a machine's): text_fr, text_fr_by."""
    out = io.StringIO()
    writer = csv.writer(out)
    languages = sorted({language for c in report.contributions for language in c.translations})
    writer.writerow([*CSV_COLUMNS, *(f"text_{x}{part}" for x in languages for part in ("", "_by"))])
    for c in report.contributions:
        files = " ".join(a["url"] for a in c.attachments)
        row = [c.question or "", c.author, c.address, c.organisation, c.date, c.language, c.subject, c.text]
        translated = [c.translations.get(x, {}).get(part, "") for x in languages for part in ("text", "by")]
        writer.writerow([*map(_inert, row), files, *map(_inert, translated)])
    return out.getvalue()


def _inert(value: object) -> object:
    """A contributor's text opened in a spreadsheet must not run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _charts(report: Report) -> dict[str, Markup]:
    """pygal's SVG has no script (removed) and escapes every label: safe to inline."""
    contributions = {k: v["contributions"] for k, v in report.per_question.items()}
    organisations = {k: v["contributions"] for k, v in list(report.per_organisation.items())[:15]}
    figures = {
        "Contributions per question": (contributions, False),
        "Contributions per week": (report.per_week, False),
        "Contributions per organisation": (organisations, True),
        "Share of contributions per language (%)": (
            {k: round(v * 100, 1) for k, v in report.languages.items()},
            False,
        ),
    }
    return {
        title: Markup(bar_chart(title, data, horizontal, inline=True, counts="%" not in title).decode())
        for title, (data, horizontal) in figures.items()
    }
