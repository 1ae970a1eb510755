"""`hubmail deliver`: a Postfix/Exim pipe transport into the spool, answered with sysexits codes."""

from __future__ import annotations

import logging
import os

from archive.record.parsing import MessageRefused, ParseLimits, check_acceptable
from config import Settings
from gateway.routing import Unroutable, route
from gateway.spool import Envelope, Spool

log = logging.getLogger("hubmail.deliver")
EX_OK, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = os.EX_OK, os.EX_DATAERR, os.EX_NOUSER, os.EX_TEMPFAIL


def deliver(settings: Settings, spool: Spool, recipient: str, sender: str, raw: bytes) -> tuple[int, str]:
    """(exit code, message for the MTA's log). 75 makes the MTA try again later: nothing is lost."""
    try:
        route(recipient, settings)
    except Unroutable as exc:
        return EX_NOUSER, f"unknown address: {exc}"
    if len(raw) > settings.smtp.max_message_bytes:
        return EX_DATAERR, f"message larger than {settings.smtp.max_message_bytes} bytes"
    try:
        check_acceptable(raw, ParseLimits(**vars(settings.limits)))
    except MessageRefused as exc:
        return EX_DATAERR, f"message refused: {exc}"
    try:
        name = spool.put(Envelope(mail_from=sender, recipients=[recipient], source="pipe"), raw)
    except OSError as exc:
        return EX_TEMPFAIL, f"could not store the message: {exc}"
    return EX_OK, f"queued as {name}"
