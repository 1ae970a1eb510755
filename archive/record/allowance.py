"""How much mail of a kind one address may be sent on others' asking: counted in the outbox, per address
whatever space or path asked, and right with several processes at once (issue 14)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from archive.record.models import OutgoingMail
from archive.record.outgoing import is_machine
from config import Settings
from config.database import one_at_a_time, utcnow

log = logging.getLogger("hubmail.limits")
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Allowance:
    """At most `limit` mails of these outbox kinds to one address within `within`."""

    name: str  # for the log
    kinds: tuple[str, ...]
    limit: int
    within: dt.timedelta = DAY


def confirmations(settings: Settings) -> Allowance:
    """Subscribe and unsubscribe confirmations, asked by mail or on a page, in every space."""
    return Allowance(
        "confirmation", ("request-confirm", "request-unsubscribe"), settings.outbound.confirmations_per_day
    )


def request_answers(settings: Settings) -> Allowance:
    """Answers of S-request@ (help, status, what was done) to one address, in every space: a
    forged From must not turn them into a stream to a stranger either."""
    return Allowance("request answer", ("request-reply",), settings.outbound.request_answers_per_day)


def signin_links(settings: Settings) -> Allowance:
    return Allowance("sign-in", ("signin",), settings.outbound.signin_links_per_day)


SENT_SINCE = (
    select(func.count())
    .select_from(OutgoingMail)
    .where(
        col(OutgoingMail.kind).in_(bindparam("kinds", expanding=True)),
        OutgoingMail.recipient == bindparam("recipient"),
        OutgoingMail.created_at >= bindparam("since"),
    )
)


def hold_address(session: Session, address: str) -> None:
    """Until this transaction ends, no other one counts or queues mail for this address: the count
    and the queued mail are one step. PostgreSQL waits here for the other; SQLite has one writer at
    a time (a web form begins with the write lock, the worker retries a stale transaction)."""
    one_at_a_time(session, f"allowance:{address.strip().lower()}")


def may_send(session: Session, allowance: Allowance, recipient: str, asked_by: str = "") -> bool:
    """True if one more such mail may go to `recipient` now; the caller queues it in this same
    transaction. False once the allowance is spent: then nothing at all is sent (neither the mail
    nor a refusal, which would reach the same inbox)."""
    recipient = recipient.strip().lower()
    if is_machine(recipient):
        return False
    hold_address(session, recipient)
    values = {"kinds": list(allowance.kinds), "recipient": recipient, "since": utcnow() - allowance.within}
    sent = session.connection().execute(SENT_SINCE, values).scalar_one()
    if sent + 1 == allowance.limit:  # once per address and period, not once per request
        log.warning(
            "%s mail to %s: %d in %s, the most allowed (this one asked by %s); "
            "further requests for this address are ignored for now",
            allowance.name,
            recipient,
            allowance.limit,
            allowance.within,
            asked_by or "the web form",
        )
    return sent < allowance.limit
