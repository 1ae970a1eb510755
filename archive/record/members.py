"""Roles per space (moderator, member, reader) and who a viewer is: the inputs of visibility."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from archive.record.models import Member, Space
from archive.record.visibility import Viewer
from config import Settings
from config.spaces import SpaceConfig, is_address

ROLES = ("moderator", "member", "reader")
# Asked of every new post: written once, run with values.
ROLE = select(Member.role).where(
    Member.space_id == bindparam("space"), Member.address == bindparam("address")
)


def moderators_of(session: Session, config: SpaceConfig) -> tuple[str, ...]:
    """Everyone who moderates a space: the configuration's, then those given the role by
    `hubmail members add --role moderator`. Notices, commands and summaries all ask here."""
    query = (
        select(Member.address)
        .join(Space, col(Space.id) == Member.space_id)
        .where(Space.slug == config.slug, Member.role == "moderator")
        .order_by(Member.address)
    )
    listed = [a for a in session.exec(query).all() if a not in config.moderators]
    return (*config.moderators, *listed)


def role_of(session: Session, settings: Settings, space: Space, address: str) -> str | None:
    """The configuration's moderators are moderators whatever the table says."""
    address = address.strip().lower()
    config = settings.space(space.slug)
    if config is not None and address in config.moderators:
        return "moderator"
    values = {"space": space.id, "address": address}
    return session.connection().execute(ROLE, values).scalar()


def viewer_for(session: Session, settings: Settings, address: str) -> Viewer:
    """Someone who proved their address (a sign-in link, a confirmed subscription): registered,
    and a member of each space where they hold any role."""
    address = address.strip().lower()
    spaces = {s.slug for s in settings.spaces if address in s.moderators}
    query = select(Space.slug).join(Member, col(Member.space_id) == Space.id).where(Member.address == address)
    spaces |= set(session.exec(query).all())
    return Viewer(address=address, registered=True, member_of=frozenset(spaces))


def add_member(
    session: Session, space: Space, address: str, role: str, by: str, name: str = "", organisation: str = ""
) -> str:
    """'added', 'changed' or 'unchanged'; ValueError names what is wrong with the input."""
    address = address.strip().lower()
    if not is_address(address):
        raise ValueError(f"{address!r} is not an email address")
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role ({', '.join(ROLES)})")
    row = session.exec(select(Member).where(Member.space_id == space.id, Member.address == address)).first()
    if row is not None and (row.role, row.name, row.organisation) == (
        role,
        name or row.name,
        organisation or row.organisation,
    ):
        return "unchanged"
    outcome = "changed" if row else "added"
    row = row or Member(space_id=space.id, address=address, role=role, added_by=by)
    row.role, row.name, row.organisation = role, name or row.name, organisation or row.organisation
    session.add(row)
    return outcome


def remove_member(session: Session, space: Space, address: str) -> bool:
    row = session.exec(
        select(Member).where(Member.space_id == space.id, Member.address == address.strip().lower())
    ).first()
    if row is None:
        return False
    session.delete(row)
    return True


def members(session: Session, space: Space) -> list[Member]:
    return list(session.exec(select(Member).where(Member.space_id == space.id).order_by(Member.address)))
