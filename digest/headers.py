"""List headers (RFC 2369, 2919, 5064, 8058), return paths, a subscriber as a shared letter's recipient."""

from __future__ import annotations

import datetime as dt

from archive.record.bodies import Recipient, mark
from archive.record.mailing import Mailing
from archive.record.outgoing import Letter
from archive.record.urls import space_url
from config.tokens import make_token
from digest.models import Subscriber

TOKEN_DAYS = 400  # an unsubscribe link in an old digest should still work
UNSUBSCRIBE = "unsubscribe"  # the marker of a subscriber's own link in a shared letter


def unsubscribe_token(mail: Mailing, subscriber: Subscriber) -> str:
    expires = mail.now + dt.timedelta(days=TOKEN_DAYS)
    # The binding names the action, so a confirmation token can never serve as this one.
    return make_token(
        mail.settings.site.secret_key,
        "unsubscribe",
        subscriber.id,
        subscriber.address,
        expires,
        "unsubscribe",
    )


def unsubscribe_url(mail: Mailing, slug: str, subscriber: Subscriber) -> str:
    return f"{space_url(mail.settings.site.base_url, slug)}unsubscribe/{unsubscribe_token(mail, subscriber)}"


def bounce_address(mail: Mailing, subscriber: Subscriber) -> str:
    """VERP: a bounce names the subscriber it came back from, signed so a forgery only counts as noise."""
    expires = mail.now + dt.timedelta(days=60)
    token = make_token(mail.settings.site.secret_key, "bounce", subscriber.id, subscriber.address, expires)
    return f"bounces+{token}@{mail.settings.site.domain}"


def list_bounce_address(mail: Mailing, slug: str) -> str:
    """Without personalisation: one return path for the space; reports are read to tell whom they name."""
    return f"bounces+{slug}@{mail.settings.site.domain}"


def recipient(mail: Mailing, slug: str, subscriber: Subscriber) -> Recipient:
    """A subscriber as the recipient of a shared letter: its own unsubscribe link and bounce address,
    or (personalize = false) only its address."""
    if not mail.settings.delivery.personalize:
        return Recipient(subscriber.address, list_bounce_address(mail, slug))
    link = unsubscribe_url(mail, slug, subscriber)
    return Recipient(subscriber.address, bounce_address(mail, subscriber), {UNSUBSCRIBE: link})


def unsubscribe_mark(mail: Mailing, slug: str) -> str:
    """Where a letter says how to leave: the subscriber's own link, or the S-request address."""
    if mail.settings.delivery.personalize:
        return mark(UNSUBSCRIBE)
    return f"mailto:{slug}-request@{mail.settings.site.domain}?subject=unsubscribe"


def list_letter(mail: Mailing, space, title: str, subject: str, text: str, html: str) -> Letter:
    """A letter the space sends to its subscribers as a list (a digest, an announcement): from and
    replying to the space's address, with List-Id and the list headers; To is the subscriber's,
    put in per recipient."""
    return Letter(
        to=mail.space_address(space.slug),
        subject=subject,
        text=text,
        html=html,
        sender=mail.space_address(space.slug),
        sender_name=title,
        reply_to=mail.space_address(space.slug),
        auto_submitted="",
        list_id=(title, f"{space.slug}.{mail.settings.site.domain}"),
        extra=list_headers(mail, space.slug),
    )


def list_headers(mail: Mailing, slug: str, archived_at: str = "") -> dict:
    """The ASCII list headers; List-Id, which carries the space's title, is the Letter's list_id."""
    domain, base = mail.settings.site.domain, mail.settings.site.base_url
    by_mail = f"<mailto:{slug}-request@{domain}?subject=unsubscribe>"
    headers = {
        "List-Post": f"<mailto:{slug}@{domain}>",
        "List-Archive": f"<{space_url(base, slug)}>",
        "List-Help": f"<mailto:{slug}-request@{domain}?subject=help>",
        "List-Unsubscribe": by_mail,
        "Precedence": "list",
    }
    if mail.settings.delivery.personalize:  # one-click needs the subscriber's own link (RFC 8058)
        headers["List-Unsubscribe"] = f"<{mark(UNSUBSCRIBE)}>, {by_mail}"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if archived_at:
        headers["Archived-At"] = f"<{archived_at}>"
    return headers
