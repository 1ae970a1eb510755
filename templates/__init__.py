"""The words people read: jinja2 templates (mail/, web/, report/) and gettext catalogs (locale/).

One catalog per language, `locale/<lang>/LC_MESSAGES/hubmail.po`, managed with Babel
(`pybabel extract/update`, see the README). The .po files are read directly (compiled in
memory once per process), so a language is added by dropping in a .po file, no build step.
A site's templates_dir may hold templates and catalogs of its own; they win over the shipped ones.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import jinja2
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "hubmail"
SHIPPED = Path(__file__).parent
SOURCE_LANGUAGE = "en"  # the msgids are English


def catalog_path(root: Path, language: str) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def languages(override_dir: Path | None = None) -> tuple[str, ...]:
    """Every language with a catalog, shipped or the site's; English first."""
    found = {p.parent.parent.name for p in (SHIPPED / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    if override_dir is not None:
        found |= {p.parent.parent.name for p in (override_dir / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


@lru_cache(maxsize=64)
def translations(language: str, override_dir: Path | None = None) -> NullTranslations:
    """The language's catalog (its base language's for fr-CA), with the site's entries on top."""
    base = language.split("-")[0].split("_")[0].lower()
    found: NullTranslations = NullTranslations()
    for root in (SHIPPED, override_dir):
        path = catalog_path(root, base) if root is not None else None
        if path is not None and path.is_file():
            loaded = _compile(path, base)
            if isinstance(found, Translations):
                found.merge(loaded)
            else:
                found = loaded
    return found


def _compile(path: Path, language: str) -> Translations:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@lru_cache(maxsize=64)
def locale(language: str) -> Locale:
    """CLDR data for dates and numbers; English as international organisations write it (en_GB)."""
    tag = "en_GB" if language in ("en", "") else language.replace("-", "_")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def direction(language: str) -> str:
    """rtl for Arabic and other right-to-left scripts, else ltr (the dir attribute of pages and mail)."""
    return "rtl" if locale(language).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=64)
def environment(override_dir: Path | None = None, language: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    """Templates from override_dir first (a site's own), then the shipped ones, speaking `language`.

    HTML templates are autoescaped; text mail templates are not (they are never HTML).
    `{% trans %}`, `_()`, `ngettext` and `pgettext` read the language's catalog; the filters
    date, datetime, number, size and language_name write as that language does (Babel, CLDR).
    """
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("templates", ".")]
    if override_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(override_dir)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are package data: no stat() of every file at every page
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language, override_dir), newstyle=True)
    from templates import dates  # it reads locale() from this module

    env.filters.update(
        date=lambda value: dates.long_date(value, language),
        short_date=lambda value: dates.short_date(value, language),
        day_month=lambda value: dates.day_month(value, language),
        short_datetime=lambda value: dates.short_datetime(value, language),
        datetime=lambda value: dates.date_and_time(value, language),
        span=lambda first, last: dates.span(first, last, language),
        number=lambda value: dates.number(value, language),
        size=lambda value: dates.size(value, language),
        language_name=lambda code: dates.language_name(code, language),
        until=lambda when, now: dates.until(when, now, language),
    )
    env.globals.update(lang=language, direction=direction(language))
    return env


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract` where it is defined; it is translated where it is shown."""
    return message
