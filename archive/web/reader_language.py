"""Which language a reader gets: ?lang=, then Accept-Language, then the space's first language."""

from __future__ import annotations


def choose_language(requested: str | None, accept_language: str, offered: tuple[str, ...]) -> str:
    """The first of ?lang=, Accept-Language (by q), the space's first language, that we offer."""
    if requested and requested in offered:
        return requested
    for language in _by_preference(accept_language):
        if language in offered:
            return language
    return offered[0] if offered else "en"


def _by_preference(header: str) -> list[str]:
    ranked = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if tag:
            ranked.append((-q, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]
