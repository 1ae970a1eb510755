"""Issue 14 against a running `hubmail serve`: tokens of another kind, a replayed old edit, an edit that
left the original public, and commands hidden in HTML."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import httpx2
from sqlalchemy import update

from archive.record.models import Post
from archive.record.urls import message_hash
from config import load_settings
from config.database import make_engine, session_scope
from tests.e2e.test_moderation import ANA, MIA, POST, held_post, mail_to, send, wait_mail
from tests.moderation_helpers import body, flat, parse, reply
from tests.support.hubserver import wait_for

SECRET = "555-0100 (Ana's private line)"  # what the moderators' edit takes out
SECOND = POST.replace(b"e2e-1@", b"e2e-2@").replace(b"Our practice", b"Another practice")


def reply_to(server, address: str, text: str, message_id: str, sender: str = MIA) -> None:
    raw = (
        f"From: {sender}\r\nTo: {address}\r\nSubject: Re: held\r\nMessage-ID: <{message_id}>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()
    send(server, sender, address, raw)


def outcome_logged(server, message_id: str) -> str:
    """The worker's log line for a reply: what it did with it."""
    pattern = rf"<{re.escape(message_id)}> [^:]*: (.*)"
    return wait_for(
        lambda: (found := re.search(pattern, server.log.read_text())) and found.group(1),
        what=f"the outcome of {message_id}",
    )


def tokens_issued_to_mia(server, sink) -> dict[str, str]:
    """A bounce (VERP) token, a sign-in link's token and a session cookie, all genuine, all Mia's."""
    server.cli("subscribers", "add", "--space", "unece-review", "--mode", "each", MIA)
    notices = held_post(server, sink)
    send(server, MIA, *reply(notices[MIA], MIA, "approve", "first-approve@un.example"))
    envelope = wait_for(
        lambda: next((f for f, to, _ in list(sink.messages) if MIA in to and f.startswith("bounces+")), None),
        what="the published post's delivery to Mia",
    )
    tokens = {"bounce": envelope.partition("+")[2].partition("@")[0]}
    with httpx2.Client(base_url=server.web_url, timeout=30, follow_redirects=False) as browser:
        browser.post("/signin", data={"address": MIA})
        [link] = wait_mail(sink, MIA, "sign-in link")
        tokens["signin"] = re.search(rb"/signin/([a-z0-9-]+)", link).group(1).decode()
        browser.post(f"/signin/{tokens['signin']}")
        tokens["session"] = browser.cookies["hubmail_session"]
    return tokens


def test_tokens_of_another_kind_do_not_moderate(server, sink):
    tokens = tokens_issued_to_mia(server, sink)
    send(server, ANA, "unece-review+q1@hub.example.org", SECOND)
    wait_mail(sink, MIA, "held for moderation: Another practice")
    for kind, token in tokens.items():
        reply_to(server, f"moderate+{token}@hub.example.org", "approve 2", f"{kind}-attack@un.example")
        said = outcome_logged(server, f"{kind}-attack@un.example")
        assert said.startswith("refused: this address or link is for ") and "not for replying" in said
    [refusal] = wait_mail(sink, MIA, "not accepted")  # one refusal an hour: the first attack's
    assert "is for reporting undelivered mail, not for replying to a hold notice" in flat(body(refusal))
    held = [p for p in server.posts() if p["subject"] == "Another practice"]
    assert [p["status"] for p in held] == ["held"] and held[0]["decisions"] == []


def age_decision(server, post_id: int, days: int) -> None:
    """Time travel: the post was decided (and published) `days` ago, as the record will say then."""
    engine = make_engine(load_settings(server.config).database_url)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with session_scope(engine) as session:
        session.execute(update(Post).where(Post.id == post_id).values(decided_at=when, published_at=when))
    engine.dispose()


def test_a_replayed_old_edit_or_move_is_refused_after_edit_days(server, sink):
    notices = held_post(server, sink)
    address, raw = reply(notices[MIA], MIA, "approve", "approve-1@un.example")
    send(server, MIA, address, raw)
    wait_mail(sink, ANA, "Published")
    rewrite = "move q2\nedit\n---begin---\nRewritten by a replay.\n---end---"
    age_decision(server, 1, 8)
    reply_to(server, address, rewrite, "replay-8-days@un.example")
    assert "too late to move it by mail" in outcome_logged(server, "replay-8-days@un.example")
    [post] = server.posts()
    assert post["question"] == 1 and [d["action"] for d in post["decisions"]] == ["approve"]
    assert "too late to edit it by mail" in flat(body(wait_mail(sink, MIA, "Results", 2)[-1]))
    age_decision(server, 1, 6)
    reply_to(server, address, rewrite, "replay-6-days@un.example")
    assert outcome_logged(server, "replay-6-days@un.example").startswith("#1: moved to question 2; #1: text")
    [post] = server.posts()
    assert post["question"] == 2 and [d["action"] for d in post["decisions"]] == ["approve", "move", "edit"]


def post_with_a_file() -> bytes:
    return (
        f"From: Ana Pérez <{ANA}>\r\nSubject: Our practice\r\nMessage-ID: <e2e-edit@ngo.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"City-level one-stop shops. Call {SECRET}.\r\n"
        '--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--b1--\r\n"
    ).encode()


def public_copies(server, digest: str) -> dict[str, bytes]:
    """Everything the public can fetch of the post, over HTTP, mbox files decompressed."""
    paths = {
        "page": f"/unece-review/message/{digest}/",
        "thread page": f"/unece-review/thread/{digest}/",
        "question page": "/unece-review/q/1/",
        "raw": f"/unece-review/message/{digest}/raw",
        "question mbox": "/unece-review/q/1/question.mbox.gz",
        "thread mbox": f"/unece-review/thread/{digest}/thread.mbox.gz",
        "space mbox": "/unece-review/space.mbox.gz",
        "feed": "/unece-review/feed.atom",
        "question feed": "/unece-review/q/1/feed.atom",
    }
    with httpx2.Client(base_url=server.web_url, timeout=30) as browser:
        found = {name: browser.get(path) for name, path in paths.items()}
    assert all(r.status_code == 200 for r in found.values()), {n: r.status_code for n, r in found.items()}
    return {n: gzip.decompress(r.content) if n.endswith("mbox") else r.content for n, r in found.items()}


def exported_copies(server, folder: Path) -> dict[str, bytes]:
    server.cli("archive", "export", str(folder))
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    read = {str(p.relative_to(folder)): p.read_bytes() for p in files}
    return {name: gzip.decompress(data) if name.endswith(".gz") else data for name, data in read.items()}


def test_an_edit_leaves_nothing_of_the_original_public(server, sink, tmp_path):
    send(server, ANA, "unece-review+q1@hub.example.org", post_with_a_file())
    notice = wait_mail(sink, MIA, "held for moderation")[0]
    edit = "edit\n---begin---\nCity-level one-stop shops (contact removed).\n---end---\napprove"
    send(server, MIA, *reply(notice, MIA, edit, "edit-1@un.example"))
    wait_mail(sink, ANA, "Published")
    digest = message_hash("<e2e-edit@ngo.example>")
    online, exported = public_copies(server, digest), exported_copies(server, tmp_path / "site")
    for where, content in [*online.items(), *exported.items()]:
        assert b"555-0100" not in content, f"the original text is public in {where}"
    for page in (online["page"], exported[f"unece-review/message/{digest}/index.html"]):
        assert b"contact removed" in page and b"Edited by the moderators on" in page
    for raw in (online["raw"], exported[f"unece-review/message/{digest}/raw"]):
        published = parse(raw)
        assert (
            published["Message-ID"] == "<e2e-edit@ngo.example>"
            and "by the moderators" in published["X-Hubmail-Edited"]
        )
        [pdf] = published.iter_attachments()  # the file stays, as the page still lists it
        assert pdf.get_filename() == "report.pdf" and pdf.get_content().startswith(b"%PDF-1.4")
    assert b"X-Hubmail-Edited" in online["space mbox"] and b"contact removed" in online["thread mbox"]
    original = server.cli("moderate", "original", "1").stdout
    assert SECRET.encode() in original and b"X-Hubmail-Edited" not in original  # still on record


def html_reply(server, address: str, html: str, message_id: str) -> None:
    raw = (
        f"From: {MIA}\r\nTo: {address}\r\nSubject: Re: held\r\nMessage-ID: <{message_id}>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    ).encode()
    send(server, MIA, address, raw)


HIDDEN_COMMANDS = (
    '<div style="display:none">reject off-topic</div>'
    '<div style="visibility:hidden">discard</div>'
    "<div hidden>approve</div>"
    '<span style="font-size:0">approve trust</span>'
    "<template>approve</template>"
)


def test_commands_hidden_in_html_are_not_read(server, sink):
    notices = held_post(server, sink)
    address = str(parse(notices[MIA])["Reply-To"])
    html_reply(server, address, f"<html><body>{HIDDEN_COMMANDS}<p>Looking at it.</p></body></html>", "h-1@un")
    assert outcome_logged(server, "h-1@un") == "no command found"
    assert server.posts()[0]["status"] == "held"
    stylesheet = "<head><style>@media screen { .x { display: none } } .y { color: #fff }</style></head>"
    hidden = '<p class="x">reject off-topic</p><p class="y">discard</p>'
    html_reply(server, address, f"<html>{stylesheet}<body>{hidden}<p>approve</p></body></html>", "h-2@un")
    assert outcome_logged(server, "h-2@un").startswith("#1 “Our practice”: approved")
    [post] = server.posts()
    assert post["status"] == "published" and [d["action"] for d in post["decisions"]] == ["approve"]
    assert not mail_to(sink, ANA, "Not published")
