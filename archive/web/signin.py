"""Sign-in by an emailed one-time link (no passwords); the session is a signed cookie."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session

from archive.record.allowance import may_send, signin_links
from archive.record.mailing import Mailing
from archive.record.members import viewer_for
from archive.record.models import SignIn
from archive.record.outgoing import Letter, queue
from archive.record.visibility import ANONYMOUS, Viewer
from config.spaces import is_address
from config.tokens import InvalidToken, check_token, make_token, peek

LINK_LIFETIME = dt.timedelta(hours=1)
SESSION_LIFETIME = dt.timedelta(days=30)
COOKIE = "hubmail_session"


def request_link(mail: Mailing, session: Session, address: str, language: str) -> None:
    """Mail a link to the address; says nothing to the page about whether it went (no probing)."""
    address = address.strip().lower()
    if not is_address(address) or not may_send(session, signin_links(mail.settings), address):
        return
    row = SignIn(address=address, created_at=mail.now)
    session.add(row)
    session.flush()
    token = make_token(mail.settings.site.secret_key, "signin", row.id, address, mail.now + LINK_LIFETIME)
    link = f"{mail.settings.site.base_url.rstrip('/')}/signin/{token}"
    subject, text = mail.render(
        "signin.txt", language, link=link, hours=int(LINK_LIFETIME.total_seconds() // 3600)
    )
    letter = Letter(to=address, subject=subject, text=text, sender=f"hubmail@{mail.settings.site.domain}")
    queue(session, "signin", letter, mail.settings.site.domain)


def use_link(secret: str, session: Session, token: str, now: dt.datetime) -> str | None:
    """The session cookie's value for a genuine, unexpired, unused link; None otherwise."""
    row = _genuine(secret, session, token, "signin", now)
    if row is None or row.used_at is not None:
        return None
    # A conditional update: of two requests with the same link at once, exactly one signs in.
    used = session.execute(
        update(SignIn).where(SignIn.id == row.id, SignIn.used_at.is_(None)).values(used_at=now)
    )
    if used.rowcount != 1:
        return None
    return make_token(secret, "session", row.id, row.address, now + SESSION_LIFETIME)


def viewer_of(secret: str, session: Session, settings, cookie: str | None, now: dt.datetime) -> Viewer:
    """Who the cookie says is looking; anonymous for no cookie, a forged one, or an ended session."""
    row = _genuine(secret, session, cookie or "", "session", now)
    if row is None or row.ended_at is not None:
        return ANONYMOUS
    return viewer_for(session, settings, row.address)


def end_session(secret: str, session: Session, cookie: str | None, now: dt.datetime) -> None:
    """Ends the session the cookie names, if the cookie is genuine: nobody can sign out someone else."""
    row = _genuine(secret, session, cookie or "", "session", now)
    if row is not None and row.ended_at is None:
        row.ended_at = now  # a copied cookie is worthless from now on
        session.add(row)


def _genuine(secret: str, session: Session, token: str, kind: str, now: dt.datetime) -> SignIn | None:
    """The sign-in row a token names, only when the token is ours, of that kind, and unexpired."""
    try:
        row = session.get(SignIn, peek(token, kinds=(kind,)).target)
        if row is None:
            return None
        check_token(secret, token, row.address, now, kinds=(kind,))
    except InvalidToken:
        return None
    return row
