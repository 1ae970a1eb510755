"""The list headers every subscriber's mail carries (RFC 2369, 2919, 5064, 8058) and the VERP sender."""

from __future__ import annotations

import datetime as dt

from archive.mailing import Mailing
from archive.urls import space_url
from config.tokens import make_token
from digest.models import Subscriber

TOKEN_DAYS = 400  # an unsubscribe link in an old digest should still work


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


def list_headers(mail: Mailing, slug: str, subscriber: Subscriber, archived_at: str = "") -> dict:
    """The ASCII list headers; List-Id, which carries the space's title, is the Letter's list_id."""
    domain, base = mail.settings.site.domain, mail.settings.site.base_url
    headers = {
        "List-Post": f"<mailto:{slug}@{domain}>",
        "List-Archive": f"<{space_url(base, slug)}>",
        "List-Help": f"<mailto:{slug}-request@{domain}?subject=help>",
        "List-Unsubscribe": f"<{unsubscribe_url(mail, slug, subscriber)}>, "
        f"<mailto:{slug}-request@{domain}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "list",
    }
    if archived_at:
        headers["Archived-At"] = f"<{archived_at}>"
    return headers
