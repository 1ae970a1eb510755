"""The archive's look, in headless Chromium on a real `hubmail serve`: every kind of page at a phone's
width (390 px) and a desktop's (1280 px), light and dark, left-to-right and Arabic (issue 15).

Full-page screenshots are written to $HUBMAIL_ARTIFACTS (else build/screenshots) for people to look
at; the test itself checks what a screenshot would show wrong: a page wider than the phone, the
stylesheet not applied, dark mode not dark, an Arabic reply indented from the left.
"""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

import pytest

from archive.record.urls import message_hash
from tests.support.browser import browser, shoot
from tests.support.hubserver import HubServer, Sink

SPACE, ARAB = "unece-review", "arab-states"
WIDTHS = (390, 1280)
EXTRA = f"""
[[spaces]]
slug = "{ARAB}"
title = {{ ar = "المراجعة الإقليمية للدول العربية", en = "Arab States Regional Review" }}
moderators = ["mia@un.example"]
languages = ["ar", "en"]

[[spaces.questions]]
number = 1
text = {{ ar = "ما هي الممارسات الواعدة في المنطقة؟", en = "What practices show promise in the region?" }}
"""
PEOPLE = {
    "ana": ("Ana Pérez", "ana@ngo.example", "Migrant Rights Network"),
    "lev": ("Lev Orlov", "lev@city.example", "City of Tbilisi"),
    "mia": ("Mia Jensen", "mia@un.example", "UN Network on Migration"),
    "sam": ("Samira Haddad", "samira@ilo.example", ""),
}
LONG = (
    "Our network ran one-stop shops in four cities last year. Each shop brings the municipality, "
    "the employment office and two NGOs under one roof, so that a newcomer can register, ask about "
    "work and get legal advice in a single visit.\n\n"
    "What made the difference was not the building but the shared appointment calendar: nobody was "
    "sent away to come back another day. The evaluation is at "
    "https://example.org/reports/2024/one-stop-shops/evaluation-final-version-with-annexes.pdf\n"
)
QUOTE = "\n> Which services should a one-stop shop offer first?\n> We would like to hear from cities.\n"


def letter(mid: str, who: str, subject: str, text: str, parent: str = "", day: int = 10) -> EmailMessage:
    name, address, _ = PEOPLE[who]
    msg = EmailMessage()
    msg["From"], msg["Subject"] = f"{name} <{address}>", subject
    msg["Message-ID"], msg["Date"] = f"<{mid}@x>", f"Mon, {day:02d} Jun 2024 09:30:00 +0000"
    if parent:
        msg["In-Reply-To"] = msg["References"] = f"<{parent}@x>"
    msg.set_content(text)
    return msg


def english() -> list[EmailMessage]:
    """A deep thread (to see nesting capped on a phone), quotes, an attachment, short threads."""
    root = letter("shops", "ana", "One-stop shops for newcomers", LONG)
    root.add_attachment(
        b"%PDF-1.4\n" + b"0" * 180_000, maintype="application", subtype="pdf",
        filename="one-stop-shops-evaluation-2024.pdf",
    )  # fmt: skip
    chain, parent = [], "shops"
    for depth, person in enumerate(["lev", "ana", "mia", "lev", "sam", "ana"], start=1):
        text = f"Reply at depth {depth}: the calendar matters more than the building, we found too.{QUOTE}"
        subject = "Re: One-stop shops for newcomers"
        chain.append(letter(f"deep{depth}", person, subject, text, parent, 10 + depth))
        parent = f"deep{depth}"
    side = letter("side", "mia", "Re: One-stop shops for newcomers", "Could you share the calendar tool?",
                  parent="shops", day=12)  # fmt: skip
    others = [
        letter(f"t{n}", person, subject, body, day=3 + n)
        for n, (person, subject, body) in enumerate([
            ("lev", "Language classes at the workplace", "Employers in our city fund two hours a week."),
            ("sam", "Recognition of qualifications", "Nurses wait eighteen months for recognition."),
            ("mia", "A short note from the moderators", "Please keep each message to one practice."),
        ])
    ]  # fmt: skip
    return [root, *chain, side, *others]


def arabic() -> list[EmailMessage]:
    root = letter("ar1", "sam", "مراكز الخدمة الموحدة",
                  "افتتحت بلديتنا مركزاً واحداً يقدم التسجيل والاستشارة القانونية والتوظيف.\n"
                  "> ما هي الخدمات التي يجب تقديمها أولاً؟\n")  # fmt: skip
    reply = letter("ar2", "ana", "رد: مراكز الخدمة الموحدة", "نتفق معكم، والتقويم المشترك هو الأهم.",
                   parent="ar1", day=11)  # fmt: skip
    return [root, reply]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("look")
    with Sink() as sink:
        server = HubServer(folder / "hub", sink.port, extra=EXTRA)
        for name, slug, letters in (("en.mbox", SPACE, english()), ("ar.mbox", ARAB, arabic())):
            box = mailbox.mbox(str(folder / name))
            for msg in letters:
                box.add(msg)
            box.close()
            server.cli("archive", "import", str(folder / name), "--space", slug, "--question", "1",
                       "--publish")  # fmt: skip
        for _, address, organisation in PEOPLE.values():
            if organisation:
                server.cli("members", "add", "--space", SPACE, "--organisation", organisation, address)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def pages() -> dict[str, str]:
    """name -> path of each kind of page."""
    thread, deep = message_hash("shops@x"), message_hash("deep3@x")
    return {
        "index": "/",
        "space": f"/{SPACE}/",
        "question": f"/{SPACE}/q/1/",
        "thread": f"/{SPACE}/thread/{thread}/",
        "message": f"/{SPACE}/message/{deep}/",
        "search": "/search?q=calendar",
        "stats": f"/{SPACE}/stats/",
        "signin": "/signin",
        "404": "/no-such-space/",
        "ar-space": f"/{ARAB}/?lang=ar",
        "ar-question": f"/{ARAB}/q/1/?lang=ar",
        "ar-thread": f"/{ARAB}/thread/{message_hash('ar1@x')}/?lang=ar",
    }


def test_every_page_fits_a_phone_and_is_styled(hub):
    with browser() as chromium:
        for width in WIDTHS:
            page = chromium.new_page(viewport={"width": width, "height": 844 if width < 600 else 900})
            for name, path in pages().items():
                answer = page.goto(hub.web_url + path)
                assert answer.status == (404 if name == "404" else 200), path
                shoot(page, f"{name}-{width}")
                # Nothing wider than the screen: no sideways scrolling on a phone.
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
                # Our stylesheet, not the browser's defaults (a serif font, no column).
                assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily"), name
                assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"
            page.close()


def test_dark_mode_is_dark_and_readable(hub):
    with browser() as chromium:
        colours = {}
        for scheme in ("light", "dark"):
            page = chromium.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
            for name in ("thread", "question", "ar-thread"):
                page.goto(hub.web_url + pages()[name])
                shoot(page, f"{name}-390-{scheme}")
            page.goto(hub.web_url + pages()["thread"])
            colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
            page.close()
        assert colours["light"] != colours["dark"]
        assert _luminance(colours["dark"]) < 0.2 < _luminance(colours["light"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_pass_axe_in_both_colour_schemes(hub, scheme):
    """Contrast and the rest (WCAG AA) for the colours of each scheme, the error page and RTL too."""
    from axe_playwright_python.sync_playwright import Axe

    axe, serious = Axe(), {}
    with browser() as chromium:
        page = chromium.new_page(color_scheme=scheme)
        for name in ("index", "space", "question", "thread", "search", "stats", "signin", "404", "ar-thread"):
            page.goto(hub.web_url + pages()[name])
            violations = axe.run(page).response["violations"]
            found = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
            if found:
                serious[name] = found
    assert serious == {}


def test_print_shows_the_posts_without_the_site_around_them(hub):
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.emulate_media(media="print")
        page.goto(hub.web_url + pages()["thread"])
        shoot(page, "thread-1280-print")
        assert page.evaluate("getComputedStyle(document.querySelector('header.site .bar')).display") == "none"
        assert page.locator("p.actions").first.is_hidden() and page.locator("article.post").first.is_visible()


def test_arabic_replies_are_indented_from_the_right(hub):
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        page.goto(hub.web_url + pages()["ar-thread"])
        assert page.get_attribute("html", "dir") == "rtl"
        root, reply = (page.locator(f"li.depth-{d} article.post").bounding_box() for d in (0, 1))
        right = lambda box: box["x"] + box["width"]  # noqa: E731
        assert right(reply) < right(root) and reply["x"] == pytest.approx(root["x"], abs=1)


def test_a_post_card_shows_its_attachment_as_a_chip_with_its_size(hub):
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(hub.web_url + pages()["thread"])
        chip = page.locator("ul.attachments li").first
        assert "one-stop-shops-evaluation-2024.pdf" in chip.inner_text()
        assert "KB" in chip.inner_text() or "kB" in chip.inner_text()
        # The meta line: the sender's organisation (as members gave it) and the post's language.
        assert page.locator("article.post .org").first.inner_text() == "Migrant Rights Network"
        assert page.locator("article.post .lang").first.inner_text() == "English"
        # Replies deep in the thread stay readable on a phone: their indentation is capped.
        page.set_viewport_size({"width": 390, "height": 844})
        deepest = page.locator("li.depth-6 article.post").bounding_box()
        assert deepest["width"] > 390 * 0.6


def test_not_found_is_a_page_of_the_site_with_the_ways_back(hub):
    with browser() as chromium:
        page = chromium.new_page()
        answer = page.goto(hub.web_url + "/no-such-space/?lang=fr")
        assert answer.status == 404
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
        links = page.eval_on_selector_all("main a", "links => links.map(a => a.getAttribute('href'))")
        assert "/" in links and "/search" in links
        assert page.get_attribute("html", "lang") == "fr"


def _luminance(css: str) -> float:
    """Relative luminance (WCAG 2) of an rgb()/rgba() colour as getComputedStyle gives it."""
    parts = [float(p) for p in css[css.index("(") + 1 : -1].replace(",", " ").split()[:3]]
    linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
