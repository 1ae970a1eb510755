"""Jinja2 templates shipped as package data: mail/ for notices and receipts, web/ for pages."""

from __future__ import annotations

from pathlib import Path

import jinja2


def environment(override_dir: Path | None = None) -> jinja2.Environment:
    """Templates from override_dir first (a site's own), then the shipped ones.

    HTML templates are autoescaped; text mail templates are not (they are never HTML).
    """
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("templates", ".")]
    if override_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(override_dir)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are package data: no stat() of every file at every page
    )
