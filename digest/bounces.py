"""Bounces to bounces+TOKEN@domain: a hard failure scores, past the threshold delivery is suspended."""

from __future__ import annotations

import email

from flufl.bounce import all_failures
from sqlmodel import Session

from archive.record.mailing import Mailing
from archive.record.members import moderators_of
from archive.record.models import Space
from archive.record.outgoing import Letter, queue
from archive.record.spaces import space_row
from config.errors import N_
from config.tokens import InvalidToken, check_token, peek
from digest.models import Subscriber
from digest.roster import find_subscriber

HARD, SOFT, THRESHOLD = 1.0, 0.0, 3.0  # one bounce alone never unsubscribes anyone (as Mailman)


def handle_bounce(mail: Mailing, session: Session, token: str, raw: bytes, hard: bool | None = None) -> str:
    """Score the subscriber the VERP token names; a forged or unknown token only counts as noise.

    bounces+SLUG@ (personalize = false: one return path for a space) names no subscriber: the
    report itself is read for the addresses that failed."""
    if mail.settings.space(token) is not None:
        return _space_bounce(mail, session, token, raw)
    try:
        claims = peek(token, kinds=("bounce",))
        subscriber = session.get(Subscriber, claims.target)
        if subscriber is None:
            raise InvalidToken(N_("names no subscriber"))
        check_token(mail.settings.site.secret_key, token, subscriber.address, mail.now, kinds=("bounce",))
    except InvalidToken as exc:
        return f"ignored bounce: {exc}"
    return _score(mail, session, subscriber, _is_hard(raw) if hard is None else hard)


def _space_bounce(mail: Mailing, session: Session, slug: str, raw: bytes, recipient: str = "") -> str:
    """A report to a space's shared return path: each failed address of a subscriber of it scores."""
    space = space_row(session, slug)
    temporary, permanent = ({recipient}, set()) if recipient else _failures(raw)
    outcomes = []
    for address, hard in [*((a, False) for a in temporary), *((a, True) for a in permanent)]:
        subscriber = find_subscriber(session, space.id, address)
        if subscriber is not None:
            outcomes.append(_score(mail, session, subscriber, hard or bool(recipient)))
    return "; ".join(outcomes) or "ignored bounce: it names no subscriber of the space"


def _score(mail: Mailing, session: Session, subscriber: Subscriber, hard: bool) -> str:
    subscriber.bounce_score += HARD if hard else SOFT
    outcome = f"{'hard' if hard else 'soft'} bounce for {subscriber.address}, score {subscriber.bounce_score}"
    if subscriber.status == "active" and subscriber.bounce_score >= THRESHOLD:
        subscriber.status = "suspended"
        _tell_moderators(mail, session, subscriber)
        outcome += "; delivery suspended"
    session.add(subscriber)
    return outcome


def _is_hard(raw: bytes) -> bool:
    return bool(_failures(raw)[1])


def _failures(raw: bytes) -> tuple[set[str], set[str]]:
    """(temporary, permanent) failed addresses of a delivery report, lower-case."""
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw))  # flufl returns (temp, perm)
    except (RecursionError, Exception):  # a report we cannot read counts as soft: never unsubscribe on doubt
        return set(), set()

    def readable(found) -> set[str]:
        return {
            a.decode("utf-8", "replace").lower() if isinstance(a, bytes) else str(a).lower() for a in found
        }

    return readable(temporary), readable(permanent)


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


def refused_by_relay(mail: Mailing, session: Session, envelope_from: str, recipient: str) -> str:
    """A 5xx from our own relay for a subscriber's mail counts as a hard bounce for that subscriber."""
    local = envelope_from.partition("@")[0]
    if not local.startswith("bounces+"):
        return "not subscriber mail"
    detail = local.removeprefix("bounces+")
    if mail.settings.space(detail) is not None:
        return _space_bounce(mail, session, detail, b"", recipient)
    return handle_bounce(mail, session, detail, b"", hard=True)
