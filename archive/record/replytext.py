"""The part of a reply its writer typed: HTML made text, quotes, quoted notices and signatures cut."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from archive.record.hidden import ROOT, VOID_TAGS, child_box, inline_styles

MAX_CHARS = 65_536
# mail-parser-reply knows these clients' quote headers; Russian, which it lacks, is added below.
LANGUAGES = ["en", "fr", "es", "de", "it", "nl", "pl", "sv", "da", "cs"]
QUOTE_HEADER = re.compile(
    r"^\s*(-{2,}\s*(original message|message d'origine|mensaje original|исходное сообщение)"
    r"|_{10,}|.*\b(wrote|a écrit|escribió|schrieb|пишет|написал[аи]?)\s*:\s*$"
    r"|.*<[^<>\s]+@[^<>\s]+>\)?\s*:\s*$"  # Gmail in every locale: "..., Name <addr>:"
    r"|(from|de|von|от)\s*:.*@|>)",
    re.IGNORECASE,
)
SIGNATURE = re.compile(r"^(--\s*|sent from my .*|envoyé de mon .*|enviado desde mi .*)$", re.IGNORECASE)
# Outlook, Gmail, Thunderbird and Apple Mail mark where the quoted message starts in HTML.
HTML_QUOTE_START = re.compile(
    r"divRplyFwdMsg|appendonsend|gmail_quote|moz-cite-prefix|OLK_SRC_BODY_SECTION|"
    r"AppleOriginalContents|yahoo_quoted",
    re.IGNORECASE,
)
HEADINGS = {f"h{n}" for n in range(1, 7)}
BLOCKS = {"p", "div", "br", "li", "tr", "pre", "table", "hr", "details", "summary", *HEADINGS}  # end a line


class _TextOfHtml(HTMLParser):
    """Visible text with line breaks at blocks; stops at the first quote marker or blockquote.

    Reads markup as css-inline wrote it back (archive.record.hidden.inline_styles): every element closed
    where a browser closes it, its stylesheet rules in its style attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.boxes = [ROOT]
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marker = " ".join(value or "" for _, value in attrs)
        if tag == "blockquote" or HTML_QUOTE_START.search(marker) or (tag == "hr" and self.parts):
            self.stopped = True
        if tag not in VOID_TAGS:
            self.boxes.append(child_box(self.boxes[-1], tag, attrs))
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        open_tags = [box.tag for box in self.boxes]
        if tag in open_tags[1:]:
            del self.boxes[len(open_tags) - 1 - open_tags[::-1].index(tag) :]
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.stopped and not self.boxes[-1].text_hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text a mail client shows of an HTML part, hidden elements left out (archive.record.hidden)."""
    parser = _TextOfHtml()
    try:
        parser.feed(inline_styles(html[:MAX_CHARS]))
        parser.close()
    except (AssertionError, ValueError):  # hopelessly broken markup: keep what was read
        pass
    return re.sub(r"[ \t\xa0]+", " ", "".join(parser.parts))


def own_lines(text: str, limit: int = 100) -> list[str]:
    """The writer's lines before the first quote header or signature, quoted lines left out: the
    quick cut that language detection needs (typed_lines also runs the reply parser)."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n")[:limit]:
        stripped = line.strip()
        if SIGNATURE.match(line.rstrip()) or (QUOTE_HEADER.match(stripped) and not stripped.startswith(">")):
            break
        if not stripped.startswith(">"):
            lines.append(stripped)
    return lines


def typed_lines(text: str, limit: int = 200) -> list[str]:
    """The writer's own lines, in order, up to the first quote header or signature."""
    text = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    # A bug in the reply parser must not cost the command: the line scan below still applies.
    with contextlib.suppress(Exception):
        text = EmailReplyParser(languages=LANGUAGES).parse_reply(text=text) or text
    lines: list[str] = []
    for line in text.split("\n")[:limit]:
        stripped = line.strip()
        if SIGNATURE.match(line.rstrip()) or QUOTE_HEADER.match(stripped):
            break
        lines.append(stripped)
    return lines
