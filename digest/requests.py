"""Mail to S-request@domain: subscribe, unsubscribe, language, status, help; confirmations by reply."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from archive.mailing import Mailing
from archive.members import role_of
from archive.models import Space
from archive.outgoing import Letter, queue, replied_recently
from archive.parsing import ParsedMessage
from archive.replytext import typed_lines
from archive.spaces import space_row
from archive.store import command_seen, record_command
from config.spaces import is_address, is_language
from config.tokens import InvalidToken, check_token, make_token, peek
from digest.models import MODES, Subscriber
from digest.roster import find_subscriber

CONFIRM_DAYS = 7
VERBS = ("subscribe", "unsubscribe", "language", "status", "help")
PREFIX = re.compile(r"^\s*((re|aw|sv|fwd?|tr|rv)\s*:\s*)+", re.IGNORECASE)


def handle_request(
    mail: Mailing, session: Session, slug: str, token: str, message: ParsedMessage, raw: bytes
) -> str:
    """Answer once per Message-ID; returns the outcome for the log and the record."""
    if command_seen(session, "request", message.message_id):
        return "duplicate"
    space = space_row(session, slug)
    if token:
        outcome = _confirm(mail, session, space, token, message)
    elif not message.from_addr:
        outcome = f"ignored: unclear sender ({message.from_problem})"
    else:
        outcome = _command(mail, session, space, message)
    record_command(session, "request", message, raw, outcome, mail.now)
    return outcome


def first_command(message: ParsedMessage) -> list[str]:
    """The first line that starts with a known word, from the Subject or the text the sender typed."""
    candidates = [PREFIX.sub("", message.subject or ""), *typed_lines(message.body_text, 20)]
    for line in candidates:
        words = line.lower().split()
        if words and words[0] in VERBS:
            return words
    return []


def _command(mail: Mailing, session: Session, space: Space, message: ParsedMessage) -> str:
    words = first_command(message)
    address = message.from_addr
    subscriber = find_subscriber(session, space.id, address)
    verb, args = (words[0], words[1:]) if words else ("help", [])
    if verb == "subscribe":
        return _subscribe(mail, session, space, subscriber, address, message.from_name, args)
    if verb == "unsubscribe" and subscriber and subscriber.status == "active":
        _ask(mail, session, space, subscriber, "unsubscribe")
        return "unsubscribe confirmation sent"
    if verb == "language" and subscriber and args and is_language(args[0]) and args[0] in space.languages:
        subscriber.language = args[0]
        session.add(subscriber)
        return _answer(mail, session, space, address, "request_done.txt", f"language set to {args[0]}")
    if verb == "status":
        state = f"{subscriber.status}, {subscriber.mode}" if subscriber else "not subscribed"
        return _answer(mail, session, space, address, "request_done.txt", f"your subscription: {state}")
    return _answer(
        mail, session, space, address, "request_help.txt", f"help sent ({' '.join(words) or 'no command'})"
    )


def _subscribe(
    mail: Mailing,
    session: Session,
    space: Space,
    subscriber: Subscriber | None,
    address: str,
    name: str,
    args: list[str],
) -> str:
    mode = args[0] if args and args[0] in MODES else "weekly"
    if space.visibility == "private" and role_of(session, mail.settings, space, address) is None:
        return _answer(mail, session, space, address, "request_done.txt", "this space only takes its members")
    if subscriber is None:
        subscriber = Subscriber(space_id=space.id, address=address, name=name, mode=mode, status="pending")
    elif subscriber.status == "active":
        subscriber.mode = mode  # changing how often is harmless; joining is what needs consent
        session.add(subscriber)
        return _answer(mail, session, space, address, "request_done.txt", f"delivery set to {mode}")
    subscriber.mode, subscriber.status = mode, "pending"
    session.add(subscriber)
    session.flush()
    _ask(mail, session, space, subscriber, "confirm")
    return f"confirmation sent to {address} ({mode})"


def _ask(mail: Mailing, session: Session, space: Space, subscriber: Subscriber, kind: str) -> None:
    """Double opt-in: only the mailbox itself can say yes, by replying or following the link."""
    expires = mail.now + dt.timedelta(days=CONFIRM_DAYS)
    token = make_token(mail.settings.site.secret_key, kind, subscriber.id, subscriber.address, expires, kind)
    subject, text = mail.render(
        f"request_{kind}.txt",
        space=space,
        mode=subscriber.mode,
        url=f"{mail.settings.site.base_url.rstrip('/')}/{space.slug}/{kind}/{token}",
    )
    letter = Letter(
        to=subscriber.address,
        subject=subject,
        text=text,
        sender=f"{space.slug}-request@{mail.settings.site.domain}",
        reply_to=mail.space_address(space.slug, f"-request+{token}"),
    )
    queue(session, f"request-{kind}", letter, mail.settings.site.domain)


def apply_token(mail: Mailing, session: Session, space: Space, token: str) -> str:
    """Confirm a subscription or an unsubscription (by reply or web link); InvalidToken if not genuine."""
    claims = peek(token)
    subscriber = session.get(Subscriber, claims.target)
    if subscriber is None or subscriber.space_id != space.id or claims.kind not in ("confirm", "unsubscribe"):
        raise InvalidToken("this link names no subscription here")
    check_token(mail.settings.site.secret_key, token, subscriber.address, mail.now, claims.kind)
    if claims.kind == "confirm":
        if subscriber.status != "active":
            subscriber.status, subscriber.confirmed_at = "active", mail.now
            subscriber.cursor_at, subscriber.cursor_id = mail.now, 0  # from now on, nothing older
        result = f"{subscriber.address} subscribed ({subscriber.mode})"
    else:
        subscriber.status = "left"
        result = f"{subscriber.address} unsubscribed"
    session.add(subscriber)
    return result


def _confirm(mail: Mailing, session: Session, space: Space, token: str, message: ParsedMessage) -> str:
    try:
        return apply_token(mail, session, space, token)
    except InvalidToken as exc:
        return f"refused: {exc}"


def _answer(mail: Mailing, session: Session, space: Space, to: str, template: str, result: str) -> str:
    if not replied_recently(session, "request-reply", to, dt.timedelta(hours=1), 5):
        subject, text = mail.render(template, space=space, result=result)
        letter = Letter(
            to=to, subject=subject, text=text, sender=f"{space.slug}-request@{mail.settings.site.domain}"
        )
        queue(session, "request-reply", letter, mail.settings.site.domain)
    return result


def web_subscribe(mail: Mailing, session: Session, space: Space, address: str, mode: str) -> None:
    """The space page's form: the same confirmation mail; the page says the same whatever happens,
    so it tells nobody who is subscribed, and it sends at most three a day to one address."""
    address = address.strip().lower()
    if not is_address(address) or mode not in MODES or space.visibility == "private":
        return
    if replied_recently(session, "request-confirm", address, dt.timedelta(days=1), 3):
        return
    subscriber = find_subscriber(session, space.id, address)
    if subscriber is not None and subscriber.status == "active":
        return
    subscriber = subscriber or Subscriber(space_id=space.id, address=address)
    subscriber.mode, subscriber.status = mode, "pending"
    session.add(subscriber)
    session.flush()
    _ask(mail, session, space, subscriber, "confirm")
