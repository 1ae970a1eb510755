"""Writing and moderating on the web (issue 15), in headless Chromium against a real `hubmail serve`:
a post written on the web goes the way of mail (spooled, held, noticed, receipted, published once
approved), a moderator decides on the web through the same code, and other sites' forms do nothing."""

from __future__ import annotations

import email
import email.policy

import httpx2
import pytest

from archive.record.urls import message_hash
from archive.web.signin import COOKIE
from tests.support.browser import browser, fits_a_phone, shoot
from tests.support.hubserver import HubServer, Sink, wait_for
from tests.support.signin import sign_in, sign_in_link

AUTHOR, MODERATOR = "ana@ngo.example", "mia@un.example"
SUBJECT = "Pratiques à Genève: guichets uniques"
REPORT = b"%PDF-1.4\n" + bytes(range(256)) * 40  # binary, every byte value
EVIL = "http://evil.example"


@pytest.fixture()
def hub(tmp_path):
    with Sink() as sink:
        server = HubServer(tmp_path, sink.port).start()
        try:
            yield server, sink
        finally:
            server.stop()


def mail_to(sink: Sink, address: str, words: str, after: int = 0) -> email.message.EmailMessage:
    """The first mail to `address` (from the `after`th on) whose Subject contains `words`."""

    def found():
        for _, recipients, raw in list(sink.messages)[after:]:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if address in recipients and words in str(message["Subject"]):
                return message
        return None

    return wait_for(found, 30, what=f"mail to {address} about {words!r}")


def own_pages(server: HubServer) -> httpx2.Client:
    """A client whose forms say, as a browser's do, that they come from the hub's own pages."""
    return httpx2.Client(base_url=server.web_url, timeout=60, headers={"Origin": server.web_url})


def browser_sign_in(server: HubServer, sink: Sink, context, address: str):
    """A page of `context` signed in as `address` by the emailed link, as a person would."""
    with httpx2.Client(base_url=server.web_url, timeout=30) as asker:
        path = sign_in_link(server, sink, asker, address)
    page = context.new_page()
    page.goto(server.web_url + path)
    page.click("main button")
    page.wait_for_url(server.web_url + "/")
    return page


def serious_accessibility_issues(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [v["id"] for v in found if v["impact"] in ("serious", "critical")]


def test_a_post_written_on_the_web_is_held_noticed_approved_on_the_web_and_published(hub):
    server, sink = hub
    with browser() as chromium:
        author = browser_sign_in(server, sink, chromium.new_context(), AUTHOR)
        author.goto(server.web_url + "/unece-review/q/1/")
        author.click("text=Write a contribution on the web")
        assert serious_accessibility_issues(author) == []
        assert fits_a_phone(author)
        shoot(author, "write-390")
        author.fill("#name", "Ana Pérez")
        author.fill("#subject", SUBJECT)
        author.fill("#body", "Des guichets uniques dans chaque ville.\nПривет, 你好.")
        author.set_input_files("#files", files=[{"name": "rapport é.pdf", "mimeType": "application/pdf",
                                                  "buffer": REPORT}])  # fmt: skip
        author.click("form.write button[type=submit]")
        author.wait_for_url("**/unece-review/received/**")
        assert "once a moderator approves it" in author.content()

        receipt = mail_to(sink, AUTHOR, SUBJECT)  # in French, the language the post is written in
        assert "P" in receipt["Subject"] and receipt["Auto-Submitted"]
        notice = mail_to(sink, MODERATOR, "held for moderation")
        assert SUBJECT in str(notice["Subject"])
        [post] = server.wait_for_posts(1)
        assert (post["status"], post["from"], post["from_name"], post["question"]) == (
            "held", AUTHOR, "Ana Pérez", 1)  # fmt: skip
        assert post["subject"] == SUBJECT and post["attachments"][0]["filename"] == "rapport é.pdf"
        assert post["message_id"].startswith("web-")

        moderator = browser_sign_in(server, sink, chromium.new_context(), MODERATOR)
        moderator.goto(server.web_url + "/unece-review/moderation/")
        held = moderator.locator(f"#held-{post['id']}")
        assert serious_accessibility_issues(moderator) == []
        assert fits_a_phone(moderator)  # a moderator decides from a phone
        shoot(moderator, "moderation-390")
        assert SUBJECT in held.inner_text() and "rapport é.pdf" in held.inner_text()
        assert "first post from this sender" in held.inner_text()
        before = len(sink.messages)
        held.locator("button[value=approve]").click()
        moderator.wait_for_load_state("load")
        assert "approved" in moderator.locator("p.done").inner_text()
        assert "No contribution is waiting" in moderator.content()
        assert mail_to(sink, AUTHOR, SUBJECT, after=before) is not None  # published, with its link
        update = mail_to(sink, "ivana@un.example", f"#{post['id']}", after=before)  # the other moderator
        assert f"approved by {MODERATOR}" in str(update["Subject"])
        [decided] = server.posts()
        assert decided["status"] == "published" and decided["decided_by"] == MODERATOR
        assert decided["decisions"][0]["source"] == "web"

        digest = message_hash(post["message_id"])
        author.goto(server.web_url + f"/unece-review/thread/{digest}/")
        assert SUBJECT in author.content()
        link = author.locator("ul.attachments a")
        assert link.locator(".name").inner_text() == "rapport é.pdf" and "PDF" in link.inner_text()
        with httpx2.Client(base_url=server.web_url, timeout=30) as anyone:
            assert anyone.get(link.get_attribute("href")).content == REPORT

        # A reply from the web joins the thread.
        author.click("text=Reply on the web")
        assert author.input_value("#subject") == f"Re: {SUBJECT}"
        author.fill("#body", "And in rural areas too.")
        author.click("form.write button[type=submit]")
        author.wait_for_url("**/unece-review/received/**")
        reply = wait_for(lambda: next((p for p in server.posts() if p["id"] != post["id"]), None),
                         what="the reply")  # fmt: skip
        assert reply["parent_id"] == post["id"] and reply["thread_id"] == post["id"]
        assert reply["parent_message_id"] == post["message_id"] and reply["question"] == 1

        # The author is no moderator: the page shows nothing held.
        answer = author.goto(server.web_url + "/unece-review/moderation/")
        assert answer.status == 403 and "And in rural areas" not in author.content()


def test_moderation_page_is_for_the_spaces_moderators_only(hub):
    server, sink = hub
    with own_pages(server) as anyone:
        assert anyone.get("/unece-review/moderation/").status_code == 303  # to sign-in
        assert (
            anyone.post("/unece-review/moderation/", data={"post": "1", "action": "approve"}).status_code
            == 403
        )
        sign_in(server, sink, anyone, AUTHOR)
        assert anyone.get("/unece-review/moderation/").status_code == 403
        assert anyone.get("/nosuchspace/moderation/").status_code == 404


def write(client: httpx2.Client, subject: str, body: str, files=None, **headers) -> httpx2.Response:
    data = {"subject": subject, "body": body, "name": "Ana"}
    files = files or {"files": ("", b"", "application/octet-stream")}  # no file chosen, as a browser sends it
    return client.post("/unece-review/q/1/write/", data=data, files=files, headers=headers)


def test_a_refused_post_keeps_what_was_typed_and_a_forged_one_does_nothing(hub):
    server, sink = hub
    with own_pages(server) as ana:
        sign_in(server, sink, ana, AUTHOR)
        # 1.6 MB is 2.1 MB in base64: over this hub's 2,000,000-byte max_message_bytes, as for mail.
        big = {"files": ("big.pdf", b"x" * 1_600_000, "application/pdf")}
        answer = write(ana, "Too big", "My long text, kept.", big)
        assert answer.status_code == 413 and "My long text, kept." in answer.text
        assert "choose your files again" in answer.text
        assert write(ana, "", "No subject").status_code == 400
        for forged in ({"Origin": EVIL}, {"Origin": "null"}, {"Referer": f"{EVIL}/page"}):
            with httpx2.Client(base_url=server.web_url, timeout=30, headers=forged) as victim:
                victim.cookies.set(COOKIE, ana.cookies[COOKIE])  # the signed-in reader's browser
                answer = write(victim, "Forged", "Sent from another site")
                assert answer.status_code == 403 and "another site" in answer.text, forged
        assert write(ana, "Fits", "A small one.").status_code == 303
    [post] = server.wait_for_posts(1)
    assert post["subject"] == "Fits"  # nothing of the refused or forged ones was spooled


def test_anonymous_writers_are_sent_to_sign_in(hub):
    server, _ = hub
    with httpx2.Client(base_url=server.web_url, timeout=30) as anyone:
        page = anyone.get("/unece-review/q/1/")
        assert "Write a contribution on the web" not in page.text
        answer = anyone.get("/unece-review/q/1/write/")
        assert answer.status_code == 303 and answer.headers["location"] == "/signin"
        assert COOKIE not in anyone.cookies


def test_a_web_post_wakes_the_worker_at_once(tmp_path, monkeypatch):
    """The web process tells serve, which wakes the worker: no wait for [worker] poll_seconds."""
    monkeypatch.setenv("HUBMAIL_WORKER_POLL_SECONDS", "120")
    with Sink() as sink:
        server = HubServer(tmp_path, sink.port).start()
        try:
            with own_pages(server) as ana:
                sign_in(server, sink, ana, AUTHOR)
                assert write(ana, "At once", "Stored now, not in two minutes.").status_code == 303
                [post] = server.wait_for_posts(1, timeout=15)
            assert post["subject"] == "At once" and post["status"] == "held"
        finally:
            # A worker waiting out its long poll is woken by serve's stop, not left to its 30 s limit.
            assert server.stop(timeout=15) == 0
