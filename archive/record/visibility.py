"""The one function that decides who may read a space (pages, feeds, search and exports ask it), and
the one that decides who may post to it (the policy rule for mail, and the web's writing pages)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from archive.record.models import Space
from config.spaces import SpaceConfig


@dataclass(frozen=True)
class Viewer:
    """Who is looking. Anonymous by default; sign-in (a later issue) fills in the rest."""

    address: str | None = None
    registered: bool = False
    member_of: frozenset[str] = field(default_factory=frozenset)


ANONYMOUS = Viewer()


def may_read(space: Space, viewer: Viewer) -> bool:
    if space.visibility == "public":
        return True
    if space.visibility == "registered":
        return viewer.registered
    return space.slug in viewer.member_of  # private: members of the space only


def may_post(space: SpaceConfig, address: str, role: str | None) -> bool:
    """`posting` = anyone, members (a member or moderator role) or allowlist (those, and the
    addresses and domains the space lists). moderation.rules.posting_not_allowed says why not."""
    if space.posting == "anyone" or role in ("moderator", "member"):
        return True
    return space.posting == "allowlist" and bool(address) and space.allows(address)


def gives_raw_mail(space: Space) -> bool:
    """Raw messages (/raw, mbox) carry every address and header: never for a private space's,
    whoever asks. Pages, feeds and attachments follow may_read alone."""
    return space.visibility != "private"


def readable_spaces(session: Session, viewer: Viewer) -> list[Space]:
    spaces = session.exec(select(Space).order_by(col(Space.opens).desc(), Space.slug)).all()
    return [space for space in spaces if may_read(space, viewer)]
