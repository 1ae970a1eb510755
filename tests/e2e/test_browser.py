"""The archive in headless Chromium: nesting shows, XSS vectors run nothing, axe finds nothing serious."""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from archive.record.urls import message_hash
from tests.support.browser import browser
from tests.support.hubserver import HubServer, Sink

XSS = Path(__file__).resolve().parents[3] / "shared" / "xss"
VECTOR_FILES = (
    "patt_xss_payloads_quick.txt",
    "patt_RSNAKE_XSS.txt",
    "h5sc_vectors.txt",
    "patt_XSS_Polyglots.txt",
    "patt_port_swigger_xss_cheatsheet_event_handlers.txt",
)


def vectors(name: str) -> list[str]:
    path = XSS / name
    if not path.exists():
        pytest.skip(f"the shared XSS vectors are not beside this checkout ({XSS})")
    return [
        line for line in path.read_text(errors="replace").splitlines() if line and not line.startswith("####")
    ]


def message(
    mid: str, subject: str, text: str = "", html: str = "", parent: str = "", filename: str = ""
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ana Pérez <ana@ngo.example>"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = "Sat, 20 Jan 2024 10:00:00 +0000"
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
    msg.set_content(text) if text else msg.set_content(html, subtype="html")
    if filename:
        msg.add_attachment(b"payload", maintype="application", subtype="octet-stream", filename=filename)
    return msg


def build_mboxes(ordinary: Path, hostile: Path) -> None:
    box = mailbox.mbox(str(ordinary))
    box.add(message("root@x", "Our practice", "One-stop shops for migrants.\n> an old quote"))
    box.add(message("reply@x", "Re: Our practice", "We agree.", parent="root@x"))
    box.add(
        message(
            "format@x",
            "Formatting",
            html="<p>Plain <b>bold</b> and <i>italic</i>, a "
            '<a href="https://example.org/">link</a>, a list:</p><ul><li>one</li></ul>',
        )
    )
    box.flush()
    box.close()
    box = mailbox.mbox(str(hostile))
    for n, name in enumerate(VECTOR_FILES):
        lines = vectors(name)
        box.add(message(f"html{n}@x", f"Vectors {n}", html="<p>" + "</p>\n<p>".join(lines) + "</p>"))
        box.add(message(f"text{n}@x", f"Text {n}", text="\n".join(lines)))
    for n, line in enumerate(vectors("patt_xss_payloads_quick.txt")[:15]):
        box.add(message(f"subj{n}@x", line[:200], text="subject vector", filename=line[:100]))
    box.flush()
    box.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    build_mboxes(folder / "ordinary.mbox", folder / "vectors.mbox")
    with Sink() as sink:
        hub = HubServer(folder / "hub", sink.port)
        for name, question in (("ordinary.mbox", "1"), ("vectors.mbox", "2")):
            hub.cli(
                "archive",
                "import",
                str(folder / name),
                "--space",
                "unece-review",
                "--question",
                question,
                "--publish",
            )
        hub.start()
        try:
            yield hub
        finally:
            hub.stop()


def pages(hub: HubServer) -> list[str]:
    posts = hub.posts("--space", "unece-review")
    return [
        "/",
        "/unece-review/",
        "/unece-review/q/1/",
        "/unece-review/q/2/",
        "/search?q=vectors",
        *(f"/unece-review/message/{message_hash(p['message_id'])}/" for p in posts),
    ]


def test_no_vector_runs_script_and_formatting_survives(archive):
    with browser() as chromium:
        page = chromium.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path in pages(archive):
            page.goto(archive.web_url + path)
            page.wait_for_load_state("load")
            # Fire what event-handler vectors wait for, on every element of the page's content.
            page.evaluate(
                "for (const el of document.querySelectorAll('main *')) {"
                " for (const type of ['mouseover', 'mouseenter', 'focus', 'click', 'animationstart'])"
                " { if (el.tagName !== 'A') el.dispatchEvent(new Event(type, {bubbles: true})); } }"
            )
            assert page.evaluate("document.scripts.length") == 0  # our pages carry no script at all
            assert (
                page.evaluate(
                    "document.querySelectorAll('article iframe, article form, article object, "
                    "article embed, article svg, article [onerror], article [onload]').length"
                )
                == 0
            )
            assert (
                page.evaluate(
                    "[...document.querySelectorAll('main a')].filter(a => "
                    "/^\\s*(javascript|data|vbscript):/i.test(a.getAttribute('href') || '')).length"
                )
                == 0
            )
        assert dialogs == []
        page.goto(archive.web_url + f"/unece-review/message/{message_hash('format@x')}/")
        assert page.inner_text("main .body b") == "bold"
        assert page.get_attribute("main .body a", "href") == "https://example.org/"


def test_question_page_lists_the_thread_and_its_page_shows_nesting(archive):
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(archive.web_url + "/unece-review/q/1/")
        row = page.locator("li.thread-row", has_text="Our practice")
        assert row.count() == 1 and "1 reply" in row.inner_text() and "We agree." not in row.inner_text()
        row.locator("a").first.click()
        assert page.url.endswith(f"/unece-review/thread/{message_hash('root@x')}/")
        root = page.locator("li.depth-0", has_text="One-stop shops")
        reply = page.locator("li.depth-1", has_text="We agree.")
        assert root.count() == 1 and reply.count() == 1
        assert reply.bounding_box()["x"] > root.bounding_box()["x"]  # indented
        assert "in reply to" in reply.inner_text()


def test_a_french_page_keeps_french_and_its_dates_on_the_next_click(archive):
    months = "janv.|févr.|mars|avr.|mai|juin|juil.|août|sept.|oct.|nov.|déc."
    with browser() as chromium:
        page = chromium.new_page()  # the browser asks for English
        page.goto(archive.web_url + "/unece-review/?lang=fr")
        page.locator("a[href='/unece-review/q/1/']").first.click()
        assert page.url.endswith("/unece-review/q/1/") and page.get_attribute("html", "lang") == "fr"
        assert "Dernière activité" in page.inner_text("main")
        assert re.fullmatch(rf"\d+ ({months}) \d{{4}}, \d\d:\d\d UTC", page.inner_text("li.thread-row time"))
        page.locator("nav.languages a[hreflang='en']").click()
        assert page.get_attribute("html", "lang") == "en" and "Last activity" in page.inner_text("main")


def test_pages_pass_axe(archive):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    with browser() as chromium:
        page = chromium.new_page()
        serious = {}
        for path in [
            "/",
            "/unece-review/",
            "/unece-review/q/1/",
            "/search?q=agree",
            "/unece-review/stats/",
            f"/unece-review/thread/{message_hash('root@x')}/",
            f"/unece-review/message/{message_hash('root@x')}/",
            f"/unece-review/thread/{message_hash('root@x')}/?lang=ar",  # right to left
            "/signin",
            "/no-such-space/",  # the 404 page
        ]:
            page.goto(archive.web_url + path)
            found = [
                v["id"]
                for v in axe.run(page).response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if found:
                serious[path] = found
        assert serious == {}
