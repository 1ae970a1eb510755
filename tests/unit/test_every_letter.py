"""Every kind of letter hubmail sends, made from hostile names, subjects and space titles, reads back
exactly under a strict parser (issue 11): one scenario runs each kind through its real code path."""

from __future__ import annotations

import datetime as dt
import email.policy
import itertools
import json
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from archive.record import wire
from archive.record.bodies import letter_bytes
from archive.record.headers import clean_text
from archive.record.mailing import Mailing
from archive.record.models import OutgoingMail, Post
from archive.record.spaces import space_row
from archive.web.signin import request_link
from config import load_settings
from config.database import session_scope
from digest import roster
from digest.announcing import send_announcements
from digest.bounces import handle_bounce
from digest.delivery import send_digests, send_each
from digest.headers import bounce_address
from digest.models import Subscriber
from gateway.hub import open_hub
from gateway.jobs import summaries
from gateway.spool import Envelope
from gateway.worker import Worker
from tests.configs import config_text
from tests.moderation_helpers import decide, reply

STRICT = email.policy.default.clone(raise_on_defect=True)
SLUG, DOMAIN = "unece-review", "hub.example.org"
MIA, IVANA = "mia@un.example", "ivana@un.example"
KINDS = {
    "hold-notice", "receipt-received", "receipt-published", "moderation-results", "moderation-update",
    "moderation-refusal", "post", "digest", "request-confirm", "request-reply", "owner-forward", "calendar",
    "refusal", "moderation-summary", "signin", "bounce-notice", "receipt-reviewed", "moderation-review",
    "announcement",
}  # fmt: skip
MEMBERS_ONLY = """
[[spaces]]
slug = "members-only"
title = "Members only"
posting = "members"
moderators = ["mia@un.example"]

[[spaces]]
slug = "reviewed"
title = "UNECE GCM Regional Review"  # the hostile title too
moderators = ["mia@un.example", "ivana@un.example"]
review = { approvals = 2 }
"""
TITLES = [
    "Revue régionale : migrations, Genève",
    "Региональный обзор: «миграция», 2024",
    'المراجعة الإقليمية: الهجرة "2024" <عالمي>',
]
SCRIPTS = ["Rosa Díaz", "Ана Иванова", "Ελένη", "محمد", "李明", "à Genève et à Liège", "x" * 80]
TEXT = st.lists(st.sampled_from([*SCRIPTS, *':,;"@<>()', " ", "=?", "\u202e"]), min_size=1, max_size=12).map(
    "".join
)


class Scenario:
    """A hub whose space has a hostile title, and a clock that moves a day per run."""

    def __init__(self, folder, title: str) -> None:
        text = config_text(extra=MEMBERS_ONLY).replace('"UNECE GCM Regional Review"', json.dumps(title))
        (folder / "hubmail.toml").write_text(text, "utf-8")
        self.hub = open_hub(load_settings(folder / "hubmail.toml", env={}))
        self.title, self.now, self.count = (
            title,
            dt.datetime(2024, 1, 20, 9, tzinfo=dt.UTC),
            itertools.count(),
        )
        self.worker = Worker(self.hub.settings, self.hub.engine, self.hub.spool, clock=lambda: self.now)

    def deliver(self, raw: bytes, to: str, sender: str) -> None:
        self.hub.spool.put(Envelope(sender, [to], "smtp", received_at=self.now.isoformat()), raw)
        self.worker.process_pending()

    def mail(self, sender: str, name: str, subject: str, to: str, text: str = "Text.") -> str:
        """Deliver a message; returns its Message-ID."""
        n = next(self.count)
        raw = (
            f"From: {wire.mailbox('From', wire.display_name(clean_text(name, 200)), sender)}\r\n"
            f"To: {to}\r\nSubject: {wire.unstructured('Subject', clean_text(subject, 400))}\r\n"
            f"Message-ID: <m{n}@ngo.example>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        ).encode()
        self.deliver(raw, to, sender)
        return f"m{n}@ngo.example"

    def run(self, name: str, subject: str) -> dict[str, list[bytes]]:
        """Every kind of letter, through the code that sends it; returns this run's outbox by kind."""
        self.now += dt.timedelta(days=2)
        with session_scope(self.hub.engine) as session:
            first = session.exec(select(OutgoingMail.id).order_by(OutgoingMail.id.desc())).first() or 0
        n = next(self.count)
        reader, follower = f"each{n}@ngo.example", f"week{n}@ngo.example"
        with session_scope(self.hub.engine) as session:
            space = space_row(session, SLUG)
            roster.add(session, space, reader, mode="each", now=self.now)
            roster.add(session, space, follower, mode="weekly", language="ru", now=self.now)
        post = self.mail(f"ana{n}@ngo.example", name, subject, f"{SLUG}+q1@{DOMAIN}")  # its own receipt
        self.mail("ana@ngo.example", name, subject, f"{SLUG}+q2@{DOMAIN}")  # left held for the summary
        notice = self.notice(MIA, post)
        self.deliver(reply(notice, MIA, "help", f"h{n}@un.example")[1], self.reply_to(notice), MIA)
        eve = f"eve{n}@evil.example"  # answers are rate-limited per sender by the wall clock: one each
        self.deliver(reply(notice, eve, "approve", f"e{n}@x")[1], self.reply_to(notice), eve)
        self.deliver(reply(notice, MIA, "approve", f"a{n}@un.example")[1], self.reply_to(notice), MIA)
        self.mail(f"bo{n}@ngo.example", "Bo", "subscribe daily", f"{SLUG}-request@{DOMAIN}")
        self.mail(f"bo{n}@ngo.example", "Bo", "status", f"{SLUG}-request@{DOMAIN}")
        reviewed = self.mail(f"rv{n}@ngo.example", name, subject, f"reviewed@{DOMAIN}")  # issue 16
        notice = self.notice(MIA, reviewed)
        self.deliver(reply(notice, MIA, "approve", f"r{n}@un.example")[1], self.reply_to(notice), MIA)
        summary = self.mail(MIA, "Mia", subject, f"{SLUG}+summary@{DOMAIN}")  # announced (issue 16)
        with session_scope(self.hub.engine) as session:
            held = session.exec(select(Post).where(Post.message_id == summary)).one()
            decide(session, self.hub.settings, held, self.now)
        self.mail("ana@ngo.example", name, subject, f"{SLUG}-owner@{DOMAIN}")
        self.mail(f"late{n}@ngo.example", name, subject, f"closed-space@{DOMAIN}")
        self.mail(f"out{n}@ngo.example", name, subject, f"members-only@{DOMAIN}")
        self.later_letters(follower)
        with session_scope(self.hub.engine) as session:
            rows = session.exec(select(OutgoingMail).where(OutgoingMail.id > first)).all()
            found: dict[str, list[bytes]] = {}
            for row in rows:
                found.setdefault(row.kind, []).append(letter_bytes(session, row))
        return found

    def later_letters(self, follower: str) -> None:
        mail = Mailing.at(self.hub.settings, self.now)
        with session_scope(self.hub.engine) as session:
            send_each(mail, session)
            send_announcements(mail, session)
            send_digests(mail, session, "weekly")
            request_link(mail, session, follower, "ar")
            subscriber = session.exec(select(Subscriber).where(Subscriber.address == follower)).one()
            token = bounce_address(mail, subscriber).partition("+")[2].partition("@")[0]
            for _ in range(3):
                handle_bounce(mail, session, token, b"", hard=True)
        summaries(self.hub, self.now + dt.timedelta(days=2))

    def notice(self, moderator: str, message_id: str) -> bytes:
        with session_scope(self.hub.engine) as session:
            post = session.exec(select(Post).where(Post.message_id == message_id)).one()
            query = select(OutgoingMail).where(
                OutgoingMail.kind == "hold-notice", OutgoingMail.recipient == moderator
            )
            letters = [letter_bytes(session, r) for r in session.exec(query.order_by(OutgoingMail.id.desc()))]
            return next(raw for raw in letters if f"#{post.id} " in self.parse(raw)["Subject"])

    @staticmethod
    def reply_to(notice: bytes) -> str:
        return str(Scenario.parse(notice)["Reply-To"])

    @staticmethod
    def parse(raw: bytes):
        assert b"\x00" not in raw
        for line in raw.split(b"\r\n"):
            assert len(line) <= 998 and b"\r" not in line and b"\n" not in line
        return BytesParser(policy=STRICT).parsebytes(raw)


@pytest.fixture(scope="module", params=TITLES)
def scenario(request, tmp_path_factory):
    scenario = Scenario(tmp_path_factory.mktemp("letters"), request.param)
    yield scenario
    scenario.hub.engine.dispose()


# Each example runs every kind through the worker (about a second): no shrinking, the failing
# example is printed as it was found.
@settings(
    max_examples=10,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=TEXT, subject=TEXT)
@example(name="Rosa Díaz", subject="Genève " * 80)  # a Subject longer than the 400 characters kept
def test_every_kind_reads_back_exactly(scenario, name, subject):
    letters = scenario.run(name, subject)
    assert set(letters) >= KINDS, f"kinds not sent: {KINDS - set(letters)}"
    name, subject = wire.display_name(clean_text(name, 200)), clean_text(subject, 400)
    title = wire.display_name(scenario.title)
    for kind, raws in letters.items():
        for raw in raws:
            message = scenario.parse(raw)
            for header in ("From", "To", "Subject", "Reply-To", "List-Id", "In-Reply-To", "References"):
                assert message[header] is None or message[header].defects == (), (kind, header)
            [sender] = message["From"].addresses
            assert sender.addr_spec.endswith("@" + DOMAIN), kind
            shown = str(message["Subject"])
            if kind in ("hold-notice", "receipt-received", "receipt-published", "owner-forward", "refusal",
                        "calendar", "receipt-reviewed"):  # fmt: skip
                assert subject[:300] in shown, (kind, subject, shown)  # a Subject is cut at 400 characters
            if kind == "post":
                if name:
                    assert sender.display_name == wire.display_name(clean_text(f"{name} via {title}", 200))
                else:  # a name that cleans away: the address's local part
                    assert sender.display_name.startswith("ana") and sender.display_name.endswith(
                        f" via {title}"
                    )
                assert shown == clean_text(f"[{SLUG}] {subject or '(no subject)'}", 400)
            if kind in ("digest", "announcement"):
                assert sender.display_name == title
            if kind == "announcement":
                assert subject[:300] in shown and message["List-Unsubscribe"], (kind, subject, shown)
            if kind == "hold-notice":
                assert sender.display_name == f"{title} moderation"
