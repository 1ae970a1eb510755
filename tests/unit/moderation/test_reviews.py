"""Review by several moderators (issue 16): reviews until the space's rule is met, then one decision."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from archive.record.models import Post, Review
from config.database import session_scope
from config.review import ReviewConfig
from gateway.hub import open_hub
from gateway.spool import Envelope
from gateway.worker import Worker
from moderation.commands import Command, Verb
from moderation.context import Moderation
from moderation.decisions import Actor, apply
from moderation.outcomes import Outcome
from moderation.reviews import state_of
from moderation.sentences import describe
from moderation.trust import is_trusted
from tests.configs import IVANA, MIA, OLA, SAM, make_settings, review_space
from tests.moderation_helpers import body, flat, outbox

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
EVERYONE = (MIA, IVANA, OLA, SAM)
POST = (
    "From: Ana Pérez <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@ngo.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops.\r\n"
).encode()
RULE = ReviewConfig(2, ("un", "others"), 1, {"un": (MIA, IVANA), "others": (OLA, SAM)})


def reviews(*pairs: tuple[str, str]) -> list[Review]:
    return [Review(post_id=1, moderator=who, verdict=verdict) for who, verdict in pairs]


def test_state_two_un_approvals_leave_others_missing():
    state = state_of(RULE, reviews((MIA, "approve"), (IVANA, "approve")), EVERYONE)
    assert (state.done, state.needed, state.missing_groups, state.published) == (2, 3, ("others",), False)
    state = state_of(RULE, reviews((MIA, "approve"), (IVANA, "approve"), (SAM, "approve")), EVERYONE)
    assert state.published and state.missing_groups == ()


def test_state_counts_what_is_still_possible():
    assert state_of(RULE, [], EVERYONE).needed == 2
    assert state_of(RULE, reviews((MIA, "approve")), EVERYONE).needed == 2
    two_of_three = ReviewConfig(2, (), 2, {})
    state = state_of(two_of_three, reviews((MIA, "reject")), EVERYONE)
    assert (state.needed, state.rejected, state.rejected_by) == (2, False, (MIA,))
    assert state_of(two_of_three, reviews((MIA, "reject"), (OLA, "reject")), EVERYONE).rejected


class Flow:
    def __init__(self, tmp_path, database, more: str = "") -> None:
        extra = review_space(more)
        self.hub = open_hub(make_settings(tmp_path, database=database, extra=extra))
        self.worker = Worker(self.hub.settings, self.hub.engine, self.hub.spool, clock=lambda: NOW)
        envelope = Envelope(
            "ana@ngo.example", ["practices@hub.example.org"], "smtp", received_at=NOW.isoformat()
        )
        self.hub.spool.put(envelope, POST)
        self.worker.process_pending()

    def command(self, who: str, verb: str = "approve", source: str = "", **how):
        actor = Actor(who, source or f"email <{who}-{len(outbox(self.hub))}>")
        with session_scope(self.hub.engine) as session:
            post = session.exec(select(Post)).one()
            return apply(
                Moderation.at(self.hub.settings, NOW), session, post, Command(Verb(verb), **how), actor
            )

    def post(self) -> Post:
        with session_scope(self.hub.engine) as session:
            return session.exec(select(Post)).one()

    def sent(self, kind: str) -> list[str]:
        return [row.recipient for row in outbox(self.hub, kind)]


@pytest.fixture()
def flow(tmp_path, database):
    flow = Flow(tmp_path, database)
    yield flow
    flow.hub.engine.dispose()


def test_the_notice_states_the_rule(flow):
    [notice] = [row for row in outbox(flow.hub, "hold-notice") if row.recipient == OLA]
    text = flat(body(notice.raw))
    assert "Review: Publishing needs 2 approvals from different moderators." in text
    assert "Review: At least one approval from each group: un, others." in text


def test_two_un_approvals_do_not_publish_the_third_from_others_does(flow):
    first = flow.command(MIA)
    assert (first.outcome, first.done, first.needed) == (Outcome.REVIEWED, 1, 2)
    assert describe(first) == "#1 “Our practice”: your approval is recorded, 1 of 2 reviews done; still held"
    assert flow.post().status == "held"
    [receipt] = outbox(flow.hub, "receipt-reviewed")
    assert receipt.recipient == "ana@ngo.example" and "1 of 2 reviews done" in flat(body(receipt.raw))
    assert sorted(flow.sent("moderation-review")) == sorted([IVANA, OLA, SAM])  # not Mia herself
    update = flat(body(outbox(flow.hub, "moderation-review")[0].raw))
    assert f"approved by {MIA}" in update and f"Approved so far: {MIA}" in update
    assert "Still needed: 1 approval." in update

    second = flow.command(IVANA)
    assert (second.outcome, second.done, second.needed) == (Outcome.REVIEWED, 2, 3)  # "others" missing
    assert flow.post().status == "held"
    later = outbox(flow.hub, "moderation-review")[3:]
    assert sorted(r.recipient for r in later) == [OLA, SAM]  # Mia approved: no further notice for it
    assert "Still needed: 1 approval. At least one from: others." in flat(body(later[0].raw))
    assert "2 of 3 reviews done" in flat(body(outbox(flow.hub, "receipt-reviewed")[-1].raw))

    third = flow.command(OLA)
    assert (third.outcome, third.status, flow.post().status) == (Outcome.DECIDED, "published", "published")
    assert flow.post().decided_by == OLA
    assert flow.sent("receipt-published") == ["ana@ngo.example"]
    assert flow.sent("moderation-update") == [SAM]  # the approvers are not told again
    late = flow.command(SAM)
    assert late.outcome == Outcome.ALREADY_DECIDED and late.by == OLA


def test_a_moderator_cannot_approve_twice(flow):
    flow.command(MIA)
    again = flow.command(MIA, "approve")
    assert again.outcome == Outcome.ALREADY_REVIEWED and not again.changed
    assert describe(again).startswith("#1: you already approved it, 20 January 2024")
    changed_mind = flow.command(MIA, "reject", reason="off-topic")
    assert changed_mind.outcome == Outcome.ALREADY_REVIEWED and flow.post().status == "held"
    with session_scope(flow.hub.engine) as session:
        assert [(r.moderator, r.verdict) for r in session.exec(select(Review))] == [(MIA, "approve")]
    assert len(outbox(flow.hub, "receipt-reviewed")) == 1


def test_a_reject_with_a_reason_ends_the_review(flow):
    flow.command(MIA)
    result = flow.command(OLA, "reject", reason="off-topic")
    assert result.outcome == Outcome.DECIDED and flow.post().status == "rejected"
    assert flow.post().reason == "off-topic"
    [receipt] = outbox(flow.hub, "receipt-rejected")
    assert "off-topic" in body(receipt.raw)
    assert sorted(flow.sent("moderation-update")) == [IVANA, SAM]


def test_discard_is_immediate(flow):
    flow.command(MIA)
    assert flow.command(SAM, "discard").outcome == Outcome.DECIDED and flow.post().status == "discarded"


def test_the_operator_at_the_shell_decides_at_once(flow):
    result = flow.command("root", "approve", source="cli")
    assert result.outcome == Outcome.DECIDED and flow.post().status == "published"


def test_trust_needs_every_approval_to_ask_for_it(flow):
    flow.command(MIA, trust=True)
    result = flow.command(OLA, trust=True)
    assert result.trusted
    with session_scope(flow.hub.engine) as session:
        assert is_trusted(session, flow.post().space_id, "ana@ngo.example")


def test_trust_asked_by_one_approver_only_is_not_granted(flow):
    flow.command(MIA)
    result = flow.command(OLA, trust=True)
    assert result.outcome == Outcome.DECIDED and not result.trusted


def test_reject_needs_two(tmp_path, database):
    flow = Flow(tmp_path, database, more=", reject_needs = 2")
    try:
        first = flow.command(MIA, "reject", reason="too long")
        assert (first.outcome, first.done, first.needed) == (Outcome.REVIEWED, 1, 2)
        assert outbox(flow.hub, "receipt-reviewed") == []  # the author is told of approvals only
        assert flow.command(OLA, "reject", reason="off-topic").outcome == Outcome.DECIDED
        assert flow.post().reason == "too long; off-topic"
    finally:
        flow.hub.engine.dispose()


def test_the_summary_shows_the_review_and_spares_those_who_approved(flow):
    from gateway.jobs import summaries

    flow.command(MIA)
    summaries(flow.hub, NOW + dt.timedelta(days=2))
    letters = {row.recipient: flat(body(row.raw)) for row in outbox(flow.hub, "moderation-summary")}
    assert MIA not in letters  # she approved the only hold
    assert "#1 " in letters[OLA] and f"Approved so far: {MIA}. Still needed: 1 approval." in letters[OLA]
    assert "At least one approval from each group: un, others." in letters[OLA]


def test_holds_json_shows_the_review(flow):
    from gateway import listings

    flow.command(MIA)
    [hold] = listings.holds(flow.hub, "practices")
    review = hold["review"]
    assert (review["approvals_done"], review["approvals_needed"], review["approved_by"]) == (1, 2, [MIA])
    assert review["reviews"][0]["moderator"] == MIA and review["reviews"][0]["verdict"] == "approve"
    assert [d["action"] for d in hold["decisions"]] == ["review"]


def test_two_approvals_at_once_publish_once_and_keep_both_reviews(tmp_path, postgres_url):
    """Both transactions read the held post before either counts its review: without the row lock each
    saw one approval of two, and the post stayed held with both (issue 16). PostgreSQL only: SQLite
    serializes writers itself (BEGIN IMMEDIATE), so nothing runs at once there."""
    import threading

    from moderation.models import Decision
    from tests.conftest import fresh_postgres_database

    flow = Flow(tmp_path, fresh_postgres_database(postgres_url))
    both_read = threading.Barrier(2, timeout=20)
    results = {}

    def approve(who: str) -> None:
        with session_scope(flow.hub.engine, writes=True) as session:
            post = session.exec(select(Post)).one()
            both_read.wait()
            command, actor = Command(Verb.APPROVE), Actor(who, f"email <{who}>")
            results[who] = apply(Moderation.at(flow.hub.settings, NOW), session, post, command, actor)

    try:
        threads = [threading.Thread(target=approve, args=(who,)) for who in (MIA, OLA)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(r.outcome for r in results.values()) == [Outcome.DECIDED, Outcome.REVIEWED]
        assert flow.post().status == "published"
        with session_scope(flow.hub.engine) as session:
            assert len(session.exec(select(Review)).all()) == 2
            actions = sorted(d.action for d in session.exec(select(Decision)))
            assert actions == ["approve", "review"]
        assert len(outbox(flow.hub, "receipt-published")) == 1
    finally:
        flow.hub.engine.dispose()
