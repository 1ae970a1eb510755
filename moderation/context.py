"""What moderation code needs at hand: settings, templates and the time, passed explicitly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jinja2
from sqlmodel import Session

from archive.models import Post, Question, Space
from config import Settings
from config.spaces import SpaceConfig
from templates import environment


@dataclass
class Moderation:
    settings: Settings
    now: dt.datetime
    templates: jinja2.Environment

    @classmethod
    def at(cls, settings: Settings, now: dt.datetime) -> Moderation:
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

    def space_of(self, session: Session, post: Post) -> tuple[Space, SpaceConfig | None]:
        space = session.get(Space, post.space_id)
        return space, self.settings.space(space.slug)

    def question_text(self, session: Session, post: Post, space: SpaceConfig | None) -> str:
        if post.question_id is None:
            return ""
        question = session.get(Question, post.question_id)
        language = space.languages[0] if space else self.settings.site.language
        return f"Q{question.number}: " + (question.text.get(language) or next(iter(question.text.values())))

    def owner_address(self, slug: str) -> str:
        return f"{slug}-owner@{self.settings.site.domain}"
