"""What code that writes mail needs at hand: settings, templates and the time, passed explicitly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jinja2

from config import Settings
from templates import environment


@dataclass
class Mailing:
    settings: Settings
    now: dt.datetime
    templates: jinja2.Environment

    @classmethod
    def at(cls, settings: Settings, now: dt.datetime):
        return cls(settings, now, environment())

    def render(self, template_name: str, language: str = "en", **values) -> tuple[str, str]:
        """(subject, text) of a mail template whose first line is 'Subject: ...'."""
        template = self.templates.select_template(
            [f"mail/{language}/{template_name}", f"mail/en/{template_name}", f"mail/{template_name}"]
        )
        text = template.render(site_name=self.settings.site.name, **values)
        first, _, rest = text.partition("\n")
        return first.removeprefix("Subject:").strip(), rest.lstrip("\n")

    def render_html(self, template_name: str, **values) -> str:
        return self.templates.get_template(f"mail/{template_name}").render(**values)

    def owner_address(self, slug: str) -> str:
        return f"{slug}-owner@{self.settings.site.domain}"

    def space_address(self, slug: str, detail: str = "") -> str:
        return f"{slug}{detail}@{self.settings.site.domain}"
