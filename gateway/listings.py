"""What the CLI shows: spaces, posts and status as plain dicts (JSON-ready)."""

from __future__ import annotations

from sqlmodel import col, func, select

from archive.record.models import OutgoingMail, Post, Question, Space
from config.calendar import PhaseConfig, moment
from config.database import session_scope, utcnow
from config.spaces import SpaceConfig
from gateway.hub import Hub

# Each listing loads only the tables it reads (a start-up cost, issue 12): the decisions' and the IMAP
# state's models are imported where they are read.


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def spaces(hub: Hub) -> list[dict]:
    now = utcnow()
    with session_scope(hub.engine, writes=False) as session:
        counts = dict(session.exec(select(Post.space_id, func.count()).group_by(Post.space_id)).all())
        rows = []
        for space in session.exec(select(Space).order_by(Space.slug)):
            questions = session.exec(
                select(Question)
                .where(Question.space_id == space.id, col(Question.retired).is_(False))
                .order_by(Question.number)
            ).all()
            config = hub.settings.space(space.slug)
            here = moment(config, now) if config else None
            rows.append(
                {
                    "slug": space.slug,
                    "title": space.title,
                    "state": "retired" if space.retired or here is None else here.state,
                    "phase": _phase_label(here.phase, config) if here and here.phase else "",
                    "phases": [_phase_row(phase) for phase in config.phases] if config else [],
                    "address": f"{space.slug}@{hub.settings.site.domain}",
                    "opens": _iso(space.opens),
                    "closes": _iso(space.closes),
                    "visibility": space.visibility,
                    "posting": space.posting,
                    "languages": space.languages,
                    "questions": len(questions),
                    "question_texts": {q.number: q.text for q in questions},
                    "posts": counts.get(space.id, 0),
                }
            )
    return rows


def _phase_label(phase: PhaseConfig, config: SpaceConfig) -> str:
    return f"{phase.number}. {phase.name_in(config.languages[0], config.languages[0])}"


def _phase_row(phase: PhaseConfig) -> dict:
    return {
        "number": phase.number,
        "name": phase.name,
        "opens": _iso(phase.opens),
        "closes": _iso(phase.closes),
        "questions": list(phase.questions),
    }


def holds(hub: Hub, space: str | None) -> list[dict]:
    """Undecided posts, oldest first, with their notes and anything already done to them."""
    return posts(hub, space, "held", 0)


def posts(hub: Hub, space: str | None, status: str | None, limit: int) -> list[dict]:
    with session_scope(hub.engine, writes=False) as session:
        query = (
            select(Post, Space.slug, Question.number)
            .join(Space, Post.space_id == Space.id)
            .join(Question, Post.question_id == Question.id, isouter=True)
        )
        if space:
            query = query.where(Space.slug == space)
        if status:
            query = query.where(Post.status == status)
        query = query.order_by(Post.id.desc())
        if limit:
            query = query.limit(limit)
        rows = session.exec(query).all()
        decisions = _decisions(session, [post.id for post, _, _ in rows])
        reviews = _reviews(hub, session, rows)
    return [
        post_dict(post, slug, number, decisions.get(post.id, [])) | {"review": reviews.get(post.id)}
        for post, slug, number in reversed(rows)
    ]


def _reviews(hub: Hub, session, rows) -> dict[int, dict]:
    """Each post's review (issue 16): who approved and rejected, when, and what it still needs."""
    from archive.record.members import moderators_of
    from moderation.reviews import reviews_of, state_of

    found = reviews_of(session, [post.id for post, _, _ in rows])
    moderators: dict[str, tuple[str, ...]] = {}
    states: dict[int, dict] = {}
    for post, slug, _ in rows:
        config = hub.settings.space(slug)
        if config is None:
            continue
        if slug not in moderators:
            moderators[slug] = moderators_of(session, config)
        given = found.get(post.id, [])
        state = state_of(config.review, given, moderators[slug]).as_dict()
        state["reviews"] = [{"moderator": r.moderator, "verdict": r.verdict, "at": _iso(r.at)} for r in given]
        states[post.id] = state
    return states


def _decisions(session, post_ids: list[int]) -> dict[int, list[dict]]:
    from moderation.models import Decision

    found: dict[int, list[dict]] = {}
    query = select(Decision).where(col(Decision.post_id).in_(post_ids)).order_by(col(Decision.id))
    for decision in session.exec(query):
        found.setdefault(decision.post_id, []).append(
            {
                "action": decision.action,
                "moderator": decision.moderator,
                "detail": decision.detail,
                "source": decision.source,
                "decided_at": _iso(decision.decided_at),
            }
        )
    return found


def post_dict(post: Post, slug: str, number: int | None, decisions: list[dict]) -> dict:
    return {
        "id": post.id,
        "space": slug,
        "question": number,
        "status": post.status,
        "message_id": post.message_id,
        "from": post.from_addr,
        "from_name": post.from_name,
        "subject": post.subject,
        "parent_message_id": post.parent_message_id,
        "parent_id": post.parent_id,
        "thread_id": post.thread_id,
        "received_at": _iso(post.received_at),
        "sent_at": _iso(post.sent_at),
        "reason": post.reason,
        "notes": post.notes,
        "defects": post.defects,
        "attachments": post.attachments,
        "decided_by": post.decided_by or None,
        "decided_at": _iso(post.decided_at),
        "published_at": _iso(post.published_at),
        "edited_at": _iso(post.edited_at),
        "decisions": decisions,
    }


def status(hub: Hub) -> dict:
    from gateway.models import ImapState

    with session_scope(hub.engine, writes=False) as session:
        by_status = dict(session.exec(select(Post.status, func.count()).group_by(Post.status)).all())
        outbox = dict(
            session.exec(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all()
        )
        imap = [
            {"account": s.account, "folder": s.folder, "last_uid": s.last_uid, "at": s.updated_at.isoformat()}
            for s in session.exec(select(ImapState).order_by(ImapState.account))
        ]
    from gateway.health import read_health

    return {
        "worker": read_health(hub.settings.data_path) or {"state": "running"},
        "spool_pending": len(hub.spool.pending()),
        "failed": [{"name": e.name, "error": e.error} for e in hub.spool.failed()],
        "posts": by_status,
        "outbox": outbox,
        "imap": imap,
    }
