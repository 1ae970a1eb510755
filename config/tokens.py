"""Signed tokens: what they act on, who they were issued to, until when (HMAC-SHA256).

A token is the local part's detail in moderate+TOKEN@domain, so it is short (RFC 5321 caps a
local part at 64 octets), lower-case (some MTAs fold case) and made of [a-z0-9-] only:
``h<target>-<expiry>-<mac>`` with base-36 numbers and a 128-bit base-32 MAC. The MAC also
covers the moderator's address and a binding (the hold's content hash), which are not in the
token: a forwarded notice or a changed post makes it fail.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass

from config.errors import N_, Reason, Refusal

TOKEN = re.compile(r"^([hscubla])([0-9a-z]{1,12})-([0-9a-z]{1,10})-([a-z2-7]{26})$")
# hold notice, moderators' summary, subscription confirmation, unsubscribe link, bounce (VERP),
# sign-in link (emailed, used once), signed-in session (the cookie)
KINDS = {
    "h": "hold",
    "s": "summary",
    "c": "confirm",
    "u": "unsubscribe",
    "b": "bounce",
    "l": "signin",
    "a": "session",
}


# What each kind is for, said when a token of one kind is offered where another is wanted (issue 14:
# a bounce or sign-in token issued to a moderator must never pass as a reply to a hold notice).
USES = {
    "hold": Reason(N_("replying to a hold notice")),
    "summary": Reason(N_("replying to a summary of holds")),
    "confirm": Reason(N_("confirming a subscription")),
    "unsubscribe": Reason(N_("leaving a space")),
    "bounce": Reason(N_("reporting undelivered mail")),
    "signin": Reason(N_("signing in")),
    "session": Reason(N_("a signed-in session")),
}


class InvalidToken(Refusal):
    """The token is malformed, forged, for someone else, or expired; the reason says which."""


@dataclass(frozen=True)
class Claims:
    kind: str  # one of KINDS' values
    target: int  # a post id (hold) or a space id (summary)
    expires: dt.datetime


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _mac(secret: str, body: str, moderator: str, binding: str) -> str:
    message = f"{body}|{moderator.strip().lower()}|{binding}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def make_token(
    secret: str, kind: str, target: int, moderator: str, expires: dt.datetime, binding: str = ""
) -> str:
    letter = {v: k for k, v in KINDS.items()}[kind]
    body = f"{letter}{_b36(target)}-{_b36(int(expires.timestamp()))}"
    return f"{body}-{_mac(secret, body, moderator, binding)}"


def peek(token: str, *, kinds: Collection[str]) -> Claims:
    """What a token claims to be, before anyone has checked it (to look up its binding); InvalidToken
    unless it is of one of `kinds`, the ones the caller accepts."""
    match = TOKEN.match(token.strip().lower())
    if not match:
        raise InvalidToken(N_("this address is not one we issued"))
    letter, target, expiry, _ = match.groups()
    when = dt.datetime.fromtimestamp(int(expiry, 36), dt.UTC)
    claims = Claims(KINDS[letter], int(target, 36), when)
    if claims.kind not in kinds:
        use, wanted = USES[claims.kind], USES[next(iter(kinds))]
        raise InvalidToken(
            N_("this address or link is for %(use)s, not for %(wanted)s"), use=use, wanted=wanted
        )
    return claims


def check_token(
    secret: str, token: str, moderator: str, now: dt.datetime, binding: str = "", *, kinds: Collection[str]
) -> Claims:
    """The claims of a genuine, unexpired token of one of `kinds` issued to `moderator`; InvalidToken
    otherwise."""
    claims = peek(token, kinds=kinds)
    body, _, mac = token.strip().lower().rpartition("-")
    if not hmac.compare_digest(mac, _mac(secret, body, moderator, binding)):
        raise InvalidToken(N_("this reply address was not issued to you for this message"))
    if now > claims.expires:
        raise InvalidToken(
            N_("this reply address expired on %(date)s"), date=claims.expires.date().isoformat()
        )
    return claims
