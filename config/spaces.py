"""Spaces and guiding questions as the configuration file declares them, validated."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import langcodes

from config.calendar import PhaseConfig, check_within, parse_phases
from config.errors import ConfigError
from config.review import ReviewConfig, parse_groups, parse_review
from config.tables import array_of_tables, check_table

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
DOMAIN = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
VISIBILITIES = ("public", "registered", "private")
POSTING = ("anyone", "members", "allowlist")
# Local parts that address hubmail itself, so no space may take them (DESIGN.md "Addresses").
RESERVED_SLUGS = {"moderate", "bounces", "postmaster", "abuse", "mailer-daemon", "hubmail"}
SPACE_KEYS = {
    "slug",
    "title",
    "description",
    "opens",
    "closes",
    "timezone",
    "visibility",
    "posting",
    "moderators",
    "languages",
    "code_of_conduct",
    "digest_day",
    "digest_time",
    "questions",
    "phases",
    "grace_days",
    "reminder_days",
    "allowlist",
    "moderator_groups",
    "review",
}
QUESTION_KEYS = {"number", "text"}


def is_domain(text: str) -> bool:
    return bool(DOMAIN.fullmatch(text))  # fullmatch: "$" would let a trailing newline through


def is_language(text: str) -> bool:
    """A well-formed tag naming a language that exists ("xx" is well-formed and names none)."""
    return bool(LANGUAGE.fullmatch(text)) and langcodes.tag_is_valid(text)


def is_address(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(
        at
        and LOCAL_PART.fullmatch(local)
        and is_domain(domain)
        and ".." not in local
        and not local.startswith(".")
        and not local.endswith(".")
    )


@dataclass(frozen=True)
class QuestionConfig:
    number: int
    text: dict[str, str]

    def text_in(self, language: str, fallback: str) -> str:
        return self.text.get(language) or self.text.get(fallback) or next(iter(self.text.values()))


@dataclass(frozen=True)
class SpaceConfig:
    slug: str
    title: str
    description: str
    opens: dt.datetime | None
    closes: dt.datetime | None
    timezone: str
    visibility: str
    posting: str
    moderators: tuple[str, ...]
    languages: tuple[str, ...]
    code_of_conduct: str
    digest_day: str  # "" means the site's [digest] weekly_day
    digest_time: str  # "" means the site's [digest] weekly_time
    questions: tuple[QuestionConfig, ...]
    phases: tuple[PhaseConfig, ...] = ()
    grace_days: int = 0  # after closes, posts are still held, marked late
    reminder_days: int = 3  # subscribers are reminded this many days before a phase or the space closes
    allowlist: tuple[str, ...] = ()  # posting = "allowlist": these addresses and whole domains
    titles: dict[str, str] = field(default_factory=dict)  # language -> title; `title` is the first's
    descriptions: dict[str, str] = field(default_factory=dict)
    review: ReviewConfig = field(default_factory=ReviewConfig)  # who approves a post (issue 16)

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.title

    def description_in(self, language: str) -> str:
        return self.descriptions.get(language) or self.description

    def allows(self, address: str) -> bool:
        """Is the address, or its domain, on the allowlist?"""
        address = address.lower()
        return address in self.allowlist or address.rpartition("@")[2] in self.allowlist

    def question(self, number: int) -> QuestionConfig | None:
        return next((q for q in self.questions if q.number == number), None)

    def language_for(self, detected: str) -> str:
        """The space's language matching a detected one (a sender's), else its first language."""
        return next((code for code in self.languages if code.split("-")[0] == detected), self.languages[0])

    def phase(self, number: int) -> PhaseConfig | None:
        return next((p for p in self.phases if p.number == number), None)


def parse_spaces(file: str, items: Any, domain: str, language: str) -> tuple[SpaceConfig, ...]:
    if not isinstance(items, list):
        raise ConfigError(file, "spaces", "must be an array of tables: [[spaces]]")
    spaces: list[SpaceConfig] = []
    for index, item in enumerate(items):
        space = _space(file, f"spaces[{index}]", item, language)
        if any(s.slug == space.slug for s in spaces):
            raise ConfigError(file, f"spaces[{index}].slug", f"duplicate slug {space.slug!r}")
        spaces.append(space)
    return tuple(spaces)


def _space(file: str, key: str, item: Any, language: str) -> SpaceConfig:
    check_table(file, key, item, SPACE_KEYS)
    slug = _text(file, f"{key}.slug", item.get("slug"), required=True)
    if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS or slug.endswith(("-request", "-owner")):
        raise ConfigError(
            file,
            f"{key}.slug",
            f"{slug!r} is not a usable slug (lower-case letters, digits and dashes; not a reserved name)",
        )
    key = f"spaces.{slug}"
    opens = _when(file, f"{key}.opens", item.get("opens"), end_of_day=False)
    closes = _when(file, f"{key}.closes", item.get("closes"), end_of_day=True)
    if opens and closes and closes <= opens:
        raise ConfigError(file, f"{key}.closes", f"{closes.isoformat()} is not after opens")
    languages = _languages(file, f"{key}.languages", item.get("languages", [language]))
    questions = _questions(file, f"{key}.questions", item.get("questions", []), languages)
    numbers = {q.number for q in questions}
    phases = parse_phases(
        file, f"{key}.phases", item.get("phases", []), numbers, languages, _when, _question_text
    )
    check_within(file, key, phases, opens, closes)
    if phases:  # a space with phases and no dates of its own runs from its first to its last phase
        opens, closes = opens or phases[0].opens, closes or phases[-1].closes
    titles = _translated(file, f"{key}.title", item.get("title", slug), languages, required=True)
    descriptions = _translated(file, f"{key}.description", item.get("description", ""), languages)
    moderators = _moderators(file, f"{key}.moderators", item.get("moderators"))
    groups = parse_groups(file, f"{key}.moderator_groups", item.get("moderator_groups", {}), moderators)
    grace = item.get("grace_days", 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 365:
        raise ConfigError(file, f"{key}.grace_days", f"{grace!r} is not a number of days from 0 to 365")
    reminder = item.get("reminder_days", 3)
    if not isinstance(reminder, int) or isinstance(reminder, bool) or not 0 <= reminder <= 60:
        raise ConfigError(file, f"{key}.reminder_days", f"{reminder!r} is not a number of days from 0 to 60")
    return SpaceConfig(
        slug=slug,
        title=titles[languages[0]],
        description=descriptions.get(languages[0], ""),
        titles=titles,
        descriptions=descriptions,
        opens=opens,
        closes=closes,
        timezone=_timezone(file, f"{key}.timezone", item.get("timezone", "UTC")),
        visibility=_choice(file, f"{key}.visibility", item.get("visibility", "public"), VISIBILITIES),
        posting=_choice(file, f"{key}.posting", item.get("posting", "anyone"), POSTING),
        moderators=moderators,
        languages=languages,
        code_of_conduct=_text(file, f"{key}.code_of_conduct", item.get("code_of_conduct", "")),
        digest_day=_optional_choice(file, f"{key}.digest_day", item.get("digest_day", ""), WEEKDAYS),
        digest_time=_clock(file, f"{key}.digest_time", item.get("digest_time", "")),
        questions=questions,
        phases=phases,
        grace_days=grace,
        reminder_days=reminder,
        allowlist=_allowlist(file, f"{key}.allowlist", item.get("allowlist", [])),
        review=parse_review(file, f"{key}.review", item.get("review"), moderators, groups),
    )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _optional_choice(file: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    return "" if value == "" else _choice(file, key, value, choices)


def _clock(file: str, key: str, value: Any) -> str:
    if value != "" and not (isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value)):
        raise ConfigError(file, key, f"{value!r} is not HH:MM")
    return value


def _text(file: str, key: str, value: Any, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(file, key, "must be a non-empty string" if required else "must be a string")
    return value.strip()


def _choice(file: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(file, key, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _when(file: str, key: str, value: Any, end_of_day: bool) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ConfigError(file, key, f"{value.isoformat()} needs a time zone, e.g. Z or +01:00")
        return value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        clock = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
        return dt.datetime.combine(value, clock, tzinfo=dt.UTC)
    raise ConfigError(file, key, f"{value!r} is not a date (write e.g. 2024-01-18T00:00:00Z)")


def _timezone(file: str, key: str, value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _text(file, key, value, required=True)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe"
        raise ConfigError(file, key, f"{value!r} is not a time zone name such as Europe/Zurich") from None
    return name


def _languages(file: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(file, key, "must be a non-empty list of language codes")
    for code in value:
        if not isinstance(code, str) or not is_language(code):
            raise ConfigError(file, key, f"{code!r} is not a language code such as en or fr")
    if len(set(value)) != len(value):
        raise ConfigError(file, key, "lists a language twice")
    return tuple(value)


def _translated(file: str, key: str, value: Any, languages: tuple[str, ...], required: bool = False) -> dict:
    """A string (in the space's first language) or a table of language = text; the first is needed."""
    if isinstance(value, str) or not value:
        text = _text(file, key, value or "", required)
        return {languages[0]: text} if text else {}
    texts = _question_text(file, key, value, languages)
    if languages[0] not in texts:
        raise ConfigError(file, key, f"needs a text in the space's first language, {languages[0]}")
    return texts


def _allowlist(file: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(file, key, "must be a list of addresses and domains")
    for entry in value:
        if not isinstance(entry, str) or not (is_address(entry) or is_domain(entry.lstrip("@"))):
            raise ConfigError(file, key, f"{entry!r} is neither an address nor a domain")
    return tuple(entry.lower().lstrip("@") for entry in value)


def _moderators(file: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(file, key, "must list at least one moderator address")
    for address in value:
        if not isinstance(address, str) or not is_address(address):
            raise ConfigError(file, key, f"{address!r} is not an email address")
    return tuple(a.lower() for a in value)


def _questions(file: str, key: str, value: Any, languages: tuple[str, ...]) -> tuple[QuestionConfig, ...]:
    questions: list[QuestionConfig] = []
    for where, item in array_of_tables(file, key, value, "spaces.questions", QUESTION_KEYS, "number, text"):
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 1000:
            raise ConfigError(file, f"{where}.number", f"{number!r} is not a number from 1 to 999")
        if any(q.number == number for q in questions):
            raise ConfigError(file, f"{where}.number", f"question {number} is listed twice")
        questions.append(
            QuestionConfig(number, _question_text(file, f"{key}[{number}].text", item.get("text"), languages))
        )
    return tuple(questions)


def _question_text(file: str, key: str, value: Any, languages: tuple[str, ...]) -> dict[str, str]:
    if isinstance(value, str):
        value = {languages[0]: value}
    if not isinstance(value, dict) or not value:
        raise ConfigError(file, key, "must be a string or a table of language = text")
    for code, text in value.items():
        if not is_language(code):
            raise ConfigError(file, f"{key}.{code}", "is not a language code")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(file, f"{key}.{code}", "must be a non-empty string")
    return {code: text.strip() for code, text in value.items()}
