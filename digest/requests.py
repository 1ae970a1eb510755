"""Mail to S-request@domain: subscribe, unsubscribe, language, status, help; confirmations by reply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from babel.support import NullTranslations
from sqlmodel import Session

from archive.record.allowance import confirmations, hold_address, may_send, request_answers
from archive.record.commandlines import command_lines, english_words, translated_verbs, verb_table
from archive.record.mailing import Mailing
from archive.record.members import role_of
from archive.record.models import Space
from archive.record.outgoing import Letter, queue
from archive.record.parsing import ParsedMessage
from archive.record.spaces import space_row, title_in
from archive.record.store import command_seen, record_command
from archive.record.urls import space_url
from config.errors import N_
from config.spaces import is_address, is_language
from config.tokens import InvalidToken, check_token, make_token, peek
from digest.models import MODES, Subscriber
from digest.roster import find_subscriber

CONFIRM_DAYS = 7
SUBSCRIPTION = ("confirm", "unsubscribe")  # the kinds of token a -request reply or link may carry
MAX_LINES = 5  # a request is a few command lines; a letter to -request gets the help


class Verb(StrEnum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    LANGUAGE = "language"
    STATUS = "status"
    HELP = "help"


VERBS = frozenset(Verb)


def verb_words(words: NullTranslations) -> dict[str, str]:
    """The commands and delivery modes in a catalog's language; the English ones always work too."""
    return {
        "subscribe": words.pgettext("command", "subscribe"),
        "unsubscribe": words.pgettext("command", "unsubscribe"),
        "language": words.pgettext("command", "language"),
        "status": words.pgettext("command", "status"),
        "help": words.pgettext("command", "help"),
        "each": words.pgettext("command", "each"),
        "daily": words.pgettext("command", "daily"),
        "weekly": words.pgettext("command", "weekly"),
    }


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
        outcome = _commands(mail, session, space, message)
    record_command(session, "request", message, raw, outcome, mail.now)
    return outcome


def request_lines(message: ParsedMessage, override_dir=None) -> list[list[str]]:
    """Each line of the Subject and the typed text that starts with a command, as English words."""
    table = verb_table(verb_words, override_dir)
    found = []
    for line in command_lines(message.subject, message.body_text, message.body_html, 20):
        words = english_words(line.lower(), table)
        if words and words[0] in VERBS and len(found) < MAX_LINES:
            found.append(words)
    return found


def _commands(mail: Mailing, session: Session, space: Space, message: ParsedMessage) -> str:
    """Each command line in order ("subscribe daily", then "language fr"); one reply for them all."""
    lines = request_lines(message, mail.settings.templates_path)
    address = message.from_addr
    hold_address(session, address)  # before the subscriber row: the web form takes them in this order
    subscriber = find_subscriber(session, space.id, address)
    said_of: list[Said] = []
    for verb, *args in lines or [["help"]]:
        if verb == Verb.HELP:
            return _help(mail, session, space, address, subscriber, understood=bool(lines))
        if verb == Verb.SUBSCRIBE:
            subscriber, said = _subscribe(mail, session, space, subscriber, address, message.from_name, args)
        elif verb == Verb.LANGUAGE:
            said = _language(space, subscriber, args)
        elif verb == Verb.UNSUBSCRIBE and subscriber and subscriber.status == "active":
            said = Said(Did.UNSUBSCRIBE_ASKED)
        elif verb == Verb.UNSUBSCRIBE:
            said = Said(Did.NOT_SUBSCRIBED)
        else:
            said = Said(
                Did.STATUS, subscriber.status if subscriber else "", subscriber.mode if subscriber else ""
            )
        said_of.append(said)
    asks = {ASKS[s.did] for s in said_of if s.did in ASKS}
    asked_by = f"a mail to {space.slug}-request, Message-ID <{message.message_id}>"
    # Once each, in the language the message asked for, if any; nothing at all past the allowance.
    if not all([_ask(mail, session, space, subscriber, kind, asked_by) for kind in sorted(asks)]):
        return f"not answered: {address} had all the confirmation mail allowed for today"
    answers = [s for s in said_of if s.did not in ASKS]
    if answers:
        _answer(mail, session, space, address, subscriber, answers)
    return "; ".join(str(s) for s in said_of)


class Did(StrEnum):
    CONFIRM_SENT = "confirmation sent"
    MODE_SET = "delivery set"
    MEMBERS_ONLY = "members only"
    LANGUAGE_SET = "language set"
    LANGUAGE_UNKNOWN = "language not offered"
    NOT_SUBSCRIBED = "not subscribed"
    UNSUBSCRIBE_ASKED = "unsubscribe confirmation sent"
    STATUS = "status"


ASKS = {Did.CONFIRM_SENT: "confirm", Did.UNSUBSCRIBE_ASKED: "unsubscribe"}  # confirmed by the mailbox


@dataclass(frozen=True)
class Said:
    """What one command line did; made into words in the subscriber's language for the reply."""

    did: Did
    status: str = ""  # status, or the language code (language set / not offered)
    mode: str = ""

    def __str__(self) -> str:
        return f"{self.did} {self.status} {self.mode}".strip()

    def words(self, words: NullTranslations, space: Space) -> str:
        values = {"status": self.status, "mode": mode_word(self.mode, words),
                  "languages": ", ".join(space.languages)}  # fmt: skip
        text = {
            Did.MODE_SET: words.gettext("Delivery set to %(mode)s."),
            Did.MEMBERS_ONLY: words.gettext("This space only takes its members as subscribers."),
            Did.LANGUAGE_SET: words.gettext("Language set to %(status)s."),
            Did.LANGUAGE_UNKNOWN: words.gettext("This space is not in %(status)s; it offers %(languages)s."),
            Did.NOT_SUBSCRIBED: words.gettext("This address is not subscribed."),
        }.get(self.did)
        if self.did == Did.STATUS:
            text = (words.gettext("Your subscription: %(mode)s.") if self.status == "active"
                    else words.gettext("This address is not subscribed."))  # fmt: skip
        return (text or str(self)) % values


def mode_word(mode: str, words: NullTranslations) -> str:
    return {
        "each": words.gettext("each post"),
        "daily": words.gettext("daily digest"),
        "weekly": words.gettext("weekly digest"),
    }.get(mode, mode)


def _subscribe(
    mail: Mailing,
    session: Session,
    space: Space,
    subscriber: Subscriber | None,
    address: str,
    name: str,
    args: list[str],
) -> tuple[Subscriber | None, Said]:
    mode = args[0] if args and args[0] in MODES else "weekly"
    if space.visibility == "private" and role_of(session, mail.settings, space, address) is None:
        return subscriber, Said(Did.MEMBERS_ONLY)
    if subscriber is None:
        subscriber = Subscriber(space_id=space.id, address=address, name=name, mode=mode, status="pending")
    elif subscriber.status == "active":
        subscriber.mode = mode  # changing how often is harmless; joining is what needs consent
        session.add(subscriber)
        return subscriber, Said(Did.MODE_SET, mode=mode)
    subscriber.mode, subscriber.status = mode, "pending"
    session.add(subscriber)
    session.flush()
    return subscriber, Said(Did.CONFIRM_SENT, mode=mode)


def _language(space: Space, subscriber: Subscriber | None, args: list[str]) -> Said:
    wanted = args[0] if args else ""
    if subscriber is None:
        return Said(Did.NOT_SUBSCRIBED)
    if not (is_language(wanted) and wanted in space.languages):
        return Said(Did.LANGUAGE_UNKNOWN, wanted)
    subscriber.language = wanted
    return Said(Did.LANGUAGE_SET, wanted)


def _ask(
    mail: Mailing, session: Session, space: Space, subscriber: Subscriber, kind: str, asked_by: str
) -> bool:
    """Double opt-in: only the mailbox itself can say yes, by replying or following the link.
    False when the address had its confirmations for the day (archive.record.allowance): none is sent."""
    if not may_send(session, confirmations(mail.settings), subscriber.address, asked_by):
        return False
    expires = mail.now + dt.timedelta(days=CONFIRM_DAYS)
    token = make_token(mail.settings.site.secret_key, kind, subscriber.id, subscriber.address, expires, kind)
    language = _language_of(mail, space, subscriber)
    subject, text = mail.render(
        f"request_{kind}.txt",
        language,
        title=title_in(mail.settings, space, language),
        mode=subscriber.mode,
        url=f"{mail.settings.site.base_url.rstrip('/')}/{space.slug}/{kind}/{token}",
    )
    letter = Letter(
        to=subscriber.address,
        subject=subject,
        text=text,
        sender=mail.space_address(space.slug, "-request"),
        reply_to=mail.space_address(space.slug, f"-request+{token}"),
    )
    queue(session, f"request-{kind}", letter, mail.settings.site.domain)
    return True


def _language_of(mail: Mailing, space: Space, subscriber: Subscriber | None) -> str:
    return (subscriber.language if subscriber else "") or (space.languages or [mail.settings.site.language])[
        0
    ]


def token_subscriber(
    mail: Mailing, session: Session, space: Space, token: str, kinds: tuple[str, ...] = SUBSCRIPTION
) -> Subscriber:
    """The subscriber of this space a genuine confirm or unsubscribe token (of `kinds`) names;
    InvalidToken otherwise."""
    claims = peek(token, kinds=kinds)
    subscriber = session.get(Subscriber, claims.target)
    if subscriber is None or subscriber.space_id != space.id:
        raise InvalidToken(N_("this link names no subscription here"))
    secret = mail.settings.site.secret_key
    check_token(secret, token, subscriber.address, mail.now, claims.kind, kinds=kinds)
    return subscriber


def apply_token(
    mail: Mailing, session: Session, space: Space, token: str, kinds: tuple[str, ...] = SUBSCRIPTION
) -> str:
    """Confirm a subscription or an unsubscription (by reply or web link): "confirm" or "unsubscribe"
    for what was done; InvalidToken if the token is not genuine."""
    subscriber = token_subscriber(mail, session, space, token, kinds)
    kind = peek(token, kinds=kinds).kind
    if kind == "confirm":
        if subscriber.status != "active":
            subscriber.status, subscriber.confirmed_at = "active", mail.now
            subscriber.cursor_at, subscriber.cursor_id = mail.now, 0  # from now on, nothing older
    else:
        subscriber.status = "left"
    session.add(subscriber)
    return kind


def _confirm(mail: Mailing, session: Session, space: Space, token: str, message: ParsedMessage) -> str:
    try:
        done = apply_token(mail, session, space, token)
    except InvalidToken as exc:
        return f"refused: {exc}"
    return (
        f"{message.from_addr or 'the token holder'}: {'subscribed' if done == 'confirm' else 'unsubscribed'}"
    )


def _answer(
    mail: Mailing, session: Session, space: Space, to: str, subscriber: Subscriber | None, said: list[Said]
) -> None:
    if not may_send(session, request_answers(mail.settings), to):
        return
    language = _language_of(mail, space, subscriber)
    words = mail.words(language)
    subject, text = mail.render(
        "request_done.txt",
        language,
        title=title_in(mail.settings, space, language),
        results=[s.words(words, space) for s in said],
        request_address=mail.space_address(space.slug, "-request"),
    )
    _reply(mail, session, space, to, subject, text)


def _help(
    mail: Mailing, session: Session, space: Space, to: str, subscriber: Subscriber | None, understood: bool
) -> str:
    """Every command with the full addresses, and how to take part, in the subscriber's language."""
    if not may_send(session, request_answers(mail.settings), to):
        return "help not sent: the address had all the answers allowed for today"
    language = _language_of(mail, space, subscriber)
    config = mail.settings.space(space.slug)
    subject, text = mail.render(
        "request_help.txt",
        language,
        title=title_in(mail.settings, space, language),
        understood=understood,
        request_address=mail.space_address(space.slug, "-request"),
        space_address=mail.space_address(space.slug),
        space_languages=", ".join(space.languages),
        space_languages_list=list(space.languages),
        questions=[
            {
                "number": q.number,
                "text": q.text_in(language, config.languages[0]),
                "address": mail.space_address(space.slug, f"+q{q.number}"),
            }
            for q in (config.questions if config else ())
        ],
        archive_url=space_url(mail.settings.site.base_url, space.slug),
        translated_verbs=translated_verbs(verb_words, mail.words(language)),
    )
    _reply(mail, session, space, to, subject, text)
    return "help sent" if understood else "help sent (no command found)"


def _reply(mail: Mailing, session: Session, space: Space, to: str, subject: str, text: str) -> None:
    sender = mail.space_address(space.slug, "-request")
    letter = Letter(to=to, subject=subject, text=text, sender=sender, reply_to=sender)
    queue(session, "request-reply", letter, mail.settings.site.domain)


def web_subscribe(mail: Mailing, session: Session, space: Space, address: str, mode: str) -> None:
    """The space page's form: the same confirmation mail, within the same allowance; the page says
    the same whatever happens, so it tells nobody who is subscribed."""
    address = address.strip().lower()
    if not is_address(address) or mode not in MODES or space.visibility == "private":
        return
    hold_address(session, address)  # from here on: two forms for one address at once make one row
    subscriber = find_subscriber(session, space.id, address)
    if subscriber is not None and subscriber.status == "active":
        return
    subscriber = subscriber or Subscriber(space_id=space.id, address=address)
    subscriber.mode, subscriber.status = mode, "pending"
    session.add(subscriber)
    session.flush()
    _ask(mail, session, space, subscriber, "confirm", f"the subscribe form of {space.slug}")
