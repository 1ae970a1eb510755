"""What code that writes mail needs at hand: settings, the time, and templates in each language."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import css_inline
import jinja2
from babel.support import NullTranslations

from config import Settings
from templates import environment, translations

INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
T = TypeVar("T")
WIDTH = 72  # text mail paragraphs are wrapped here; indented lines (commands, links) never are


@dataclass
class Mailing:
    settings: Settings
    now: dt.datetime
    memo: dict = field(default_factory=dict)  # what a batch of messages asks again and again

    @classmethod
    def at(cls, settings: Settings, now: dt.datetime):
        return cls(settings, now)

    def remember(self, key: tuple, make: Callable[[], T]) -> T:
        """make(), once per context: the worker keeps one context for a batch (a space's row,
        its moderators), so a burst does not ask the database the same thing for every message."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    def templates(self, language: str) -> jinja2.Environment:
        return environment(self.settings.templates_path, language or self.settings.site.language)

    def words(self, language: str) -> NullTranslations:
        """The catalog, for sentences made in code (gettext, ngettext, pgettext)."""
        return translations(language or self.settings.site.language, self.settings.templates_path)

    def render(
        self, template_name: str, language: str = "", wrap_lines: bool = True, **values
    ) -> tuple[str, str]:
        """(subject, text) of a mail template whose first line is 'Subject: ...'.

        wrap_lines=False leaves people's own words (posts in copies and digests) as they wrote them."""
        template = self.templates(language).get_template(f"mail/{template_name}")
        text = template.render(site_name=self.settings.site.name, **values)
        first, _, rest = text.partition("\n")
        rest = rest.lstrip("\n")
        return first.removeprefix("Subject:").strip(), wrap(rest) if wrap_lines else rest

    def render_html(self, template_name: str, language: str = "", **values) -> str:
        """An HTML mail with its styles inlined: many mail clients drop <style> blocks."""
        template = self.templates(language).get_template(f"mail/{template_name}")
        return INLINER.inline(template.render(site_name=self.settings.site.name, **values))

    def owner_address(self, slug: str) -> str:
        return f"{slug}-owner@{self.settings.site.domain}"

    def space_address(self, slug: str, detail: str = "") -> str:
        return f"{slug}{detail}@{self.settings.site.domain}"


def wrap(text: str) -> str:
    """Long paragraph lines wrapped at WIDTH, so translations need no line breaks of their own."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= WIDTH or line[:1].isspace():
            lines.append(line)
        else:
            lines.extend(textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False) or [""])
    return "\n".join(lines)
