"""Bounces to bounces+TOKEN@domain: a hard failure scores, past the threshold delivery is suspended."""

from __future__ import annotations

import email

from flufl.bounce import all_failures
from sqlmodel import Session

from archive.mailing import Mailing
from archive.members import moderators_of
from archive.models import Space
from archive.outgoing import Letter, queue
from config.errors import N_
from config.tokens import InvalidToken, check_token, peek
from digest.models import Subscriber

HARD, SOFT, THRESHOLD = 1.0, 0.0, 3.0  # one bounce alone never unsubscribes anyone (as Mailman)


def handle_bounce(mail: Mailing, session: Session, token: str, raw: bytes, hard: bool | None = None) -> str:
    """Score the subscriber the VERP token names; a forged or unknown token only counts as noise."""
    try:
        claims = peek(token)
        subscriber = session.get(Subscriber, claims.target) if claims.kind == "bounce" else None
        if subscriber is None:
            raise InvalidToken(N_("names no subscriber"))
        check_token(mail.settings.site.secret_key, token, subscriber.address, mail.now)
    except InvalidToken as exc:
        return f"ignored bounce: {exc}"
    hard = _is_hard(raw) if hard is None else hard
    subscriber.bounce_score += HARD if hard else SOFT
    outcome = f"{'hard' if hard else 'soft'} bounce for {subscriber.address}, score {subscriber.bounce_score}"
    if subscriber.status == "active" and subscriber.bounce_score >= THRESHOLD:
        subscriber.status = "suspended"
        _tell_moderators(mail, session, subscriber)
        outcome += "; delivery suspended"
    session.add(subscriber)
    return outcome


def _is_hard(raw: bytes) -> bool:
    try:
        _temporary, permanent = all_failures(email.message_from_bytes(raw))  # flufl returns (temp, perm)
    except (RecursionError, Exception):  # a report we cannot read counts as soft: never unsubscribe on doubt
        return False
    return bool(permanent)


def _tell_moderators(mail: Mailing, session: Session, subscriber: Subscriber) -> None:
    space = session.get(Space, subscriber.space_id)
    config = mail.settings.space(space.slug)
    moderators = moderators_of(session, config) if config else []
    working = config.languages[0] if config else mail.settings.site.language
    # The subscriber too, in case the address works again: then it knows why mail stopped.
    for recipient, language in [
        *((m, working) for m in moderators),
        (subscriber.address, subscriber.language),
    ]:
        subject, text = mail.render(
            "bounce_notice.txt",
            language or working,
            slug=space.slug,
            address=subscriber.address,
            score=int(subscriber.bounce_score),
            request_address=mail.space_address(space.slug, "-request"),
        )
        letter = Letter(
            to=recipient,
            subject=subject,
            text=text,
            sender=mail.owner_address(space.slug),
            auto_submitted="auto-generated",
        )
        queue(session, "bounce-notice", letter, mail.settings.site.domain)


def refused_by_relay(mail: Mailing, session: Session, envelope_from: str) -> str:
    """A 5xx from our own relay for a subscriber's mail counts as a hard bounce for that subscriber."""
    local = envelope_from.partition("@")[0]
    if not local.startswith("bounces+"):
        return "not subscriber mail"
    return handle_bounce(mail, session, local.removeprefix("bounces+"), b"", hard=True)
