"""Addresses to destinations (DESIGN.md "Addresses"), checked at RCPT time and again by the worker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from config import Settings
from config.tokens import KINDS, InvalidToken, peek

QUESTION = re.compile(r"^q([1-9][0-9]{0,2})$")


class Kind(StrEnum):
    """What an address is for (DESIGN.md "Addresses")."""

    POST = "post"  # S@ and S+qN@
    SUMMARY = "summary"  # S+summary@
    MODERATE = "moderate"  # moderate+TOKEN@
    REQUEST = "request"  # S-request@ and S-request+TOKEN@
    OWNER = "owner"  # S-owner@
    BOUNCE = "bounce"  # bounces+TOKEN@


@dataclass(frozen=True)
class Route:
    """Where a recipient address leads: a kind, the space it belongs to, and any detail."""

    kind: Kind
    space: str | None = None
    question: int | None = None
    detail: str = ""  # the token of moderate+TOKEN


class Unroutable(ValueError):
    """The address is not one of ours; the text says why, for a 550 reply."""


def route(address: str, settings: Settings) -> Route:
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != settings.site.domain.lower():
        raise Unroutable(f"not a mail domain of this hub: {domain or address!r}")
    base, _, detail = local.lower().partition("+")
    return _destination(base, detail, settings)


def _check_form(token: str) -> None:
    """Only the form: whether a token is genuine, and of the kind wanted, is for the worker to say, by
    mail (a refusal at RCPT would reach the moderator only as a bounce)."""
    try:
        peek(token, kinds=KINDS.values())
    except InvalidToken as exc:
        raise Unroutable(str(exc)) from None


def _destination(base: str, detail: str, settings: Settings) -> Route:
    for suffix, kind in (("-request", Kind.REQUEST), ("-owner", Kind.OWNER)):
        if base.endswith(suffix) and settings.space(base[: -len(suffix)]):
            if detail and kind == Kind.REQUEST:
                _check_form(detail)  # a confirmation reply: S-request+TOKEN
            elif detail:
                raise Unroutable(f"no such address: {base}+{detail}")
            return Route(kind, base[: -len(suffix)], detail=detail)
    if base == "moderate" and detail:
        _check_form(detail)
        return Route(Kind.MODERATE, detail=detail)
    if base == "bounces" and detail:
        return Route(Kind.BOUNCE, detail=detail)  # any form: a bounce is never refused, only counted
    space = settings.space(base)
    if space is None:
        raise Unroutable(f"no discussion space called {base!r}")
    if not detail:
        return Route(Kind.POST, space.slug)
    if detail == "summary":
        return Route(Kind.SUMMARY, space.slug)
    match = QUESTION.match(detail)
    if not match:
        raise Unroutable(f"no such address: {base}+{detail} (questions are +q1, +q2, ...)")
    number = int(match.group(1))
    if space.question(number) is None:
        raise Unroutable(f"space {space.slug!r} has no question {number}")
    return Route(Kind.POST, space.slug, number)
