"""Machine translation, plugged in: a provider is a function (text, source, target) -> str, installed
as an entry point of the group `hubmail.translators` (none ships with hubmail).

A distribution declares one in its pyproject.toml:

    [project.entry-points."hubmail.translators"]
    deepl = "hubmail_deepl:translate"

`source` is the post's detected language ("" when unknown), `target` one of the site's languages;
the function returns the translated text or raises. Its translation is kept as a machine's: marked
"Machine translation" wherever it shows, and never replacing a moderator's (archive.record.translations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib.metadata import entry_points

from sqlmodel import Session

from archive.record.models import Post
from archive.record.translations import Saved, save_translation, translations_in

GROUP = "hubmail.translators"
Translator = Callable[[str, str, str], str]


class NoTranslator(LookupError):
    """No provider of that name is installed (or none at all, or several and none named)."""


def installed() -> dict[str, object]:
    """name -> entry point of every provider installed."""
    return {point.name: point for point in entry_points(group=GROUP)}


def translator(name: str = "") -> tuple[str, Translator]:
    """The provider called `name`, or the only one installed when no name is given."""
    found = installed()
    if name and name in found:
        return name, found[name].load()
    if not name and len(found) == 1:
        [(only, point)] = found.items()
        return only, point.load()
    raise NoTranslator(", ".join(sorted(found)))


def machine_translate(
    session: Session, post: Post, target: str, now: dt.datetime, name: str = ""
) -> tuple[Saved, str]:
    """Translate the post's text (as published) into `target` with a provider; (what became of it,
    the provider's name). A moderator's translation into `target` is kept: then the provider is
    not asked at all."""
    earlier = translations_in(session, [post.id], target).get(post.id)
    if earlier is not None and not earlier.machine:
        return Saved.KEPT_MODERATORS, name
    name, translate = translator(name)
    text = (translate(post.body_text, post.language, target) or "").strip()
    if not text:
        raise ValueError(f"{name} gave no text")
    return save_translation(session, post, target, text, f"machine:{name}", now, machine=True), name
