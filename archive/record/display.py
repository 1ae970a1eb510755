"""Post bodies made safe to show: HTML by an allow-list (nh3), text escaped with links and quotes."""

from __future__ import annotations

import html
import re

import nh3
from babel.support import NullTranslations

# What ordinary mail formatting needs, and nothing that runs, submits, frames or escapes its box.
TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
URL = re.compile(r"\b(https?://[^\s<>\"')\]]+[^\s<>\"'.,;:!?)\]])", re.IGNORECASE)


def sanitize_html(source: str) -> str:
    """Allow-listed HTML; images keep no src (remote images load nothing without consent)."""
    return nh3.clean(
        source,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def text_to_html(text: str) -> str:
    """Escaped text with links made clickable and runs of quoted lines folded into <details>."""
    blocks: list[str] = []
    quoted: list[str] = []
    # Blank lines at the end (most mail has some) would show as empty lines under the text, which
    # is shown with its line breaks kept (white-space: pre-wrap).
    for line in text.replace("\r\n", "\n").rstrip().split("\n"):
        if line.lstrip().startswith(">"):
            quoted.append(line)
            continue
        if quoted:
            blocks.append(_quote(quoted))
            quoted = []
        blocks.append(_linkify(line))
    if quoted:
        blocks.append(_quote(quoted))
    return '<div class="text">' + "\n".join(blocks) + "</div>"


def _linkify(line: str) -> str:
    """Escape the line; URLs become links (found before escaping, so '&' and '<' stay text)."""
    parts, last = [], 0
    for match in URL.finditer(line):
        url = html.escape(match.group(1), quote=True)
        parts += [
            html.escape(line[last : match.start()]),
            f'<a href="{url}" rel="nofollow noopener">{url}</a>',
        ]
        last = match.end()
    return "".join(parts) + html.escape(line[last:])


def _quote(lines: list[str]) -> str:
    inner = "\n".join(_linkify(line) for line in lines)
    said = "1 quoted line" if len(lines) == 1 else f"{len(lines)} quoted lines"  # as QUOTE_SUMMARY reads
    return f'<details class="quote"><summary>{said}</summary>{inner}</details>'


def quotes_in(display_html: str, words: NullTranslations) -> str:
    """A post's stored HTML with its quote summaries in the reader's language: the HTML is made
    once, in English, when the post is stored; a sender's own text never matches (it is escaped)."""

    def summary(match: re.Match) -> str:
        count = int(match.group(1))
        said = words.ngettext("%(count)s quoted line", "%(count)s quoted lines", count) % {"count": count}
        return f'<details class="quote"><summary>{html.escape(said)}</summary>'

    return QUOTE_SUMMARY.sub(summary, display_html)


QUOTE_SUMMARY = re.compile(r'<details class="quote"><summary>(\d+) quoted lines?</summary>')


def collapse_quotes(text: str, words: NullTranslations) -> str:
    """Quoted lines folded into one marker each run, so the reader reads what is new: a moderator
    deciding on a post, a subscriber reading a digest that carries the posts quoted."""
    lines, hidden = [], 0

    def marker() -> str:
        return words.ngettext("[%(count)s quoted line hidden]", "[%(count)s quoted lines hidden]", hidden) % {
            "count": hidden
        }

    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            hidden += 1
            continue
        if hidden:
            lines.append(marker())
            hidden = 0
        lines.append(line)
    if hidden:
        lines.append(marker())
    return "\n".join(lines).strip()


def mail_html(post, words: NullTranslations | None = None) -> str:
    """A post's body for HTML mail: its text with line breaks kept and quotes as blockquotes (mail
    clients show no <details>), or its sanitized HTML. With `words`, each run of quoted lines is
    one marker in the reader's language instead (collapse_quotes)."""
    if not post.body_text.strip():
        return post.display_html or sanitize_html(post.body_html or "")
    return text_mail_html(post.body_text, words)


def text_mail_html(text: str, words: NullTranslations | None = None) -> str:
    """mail_html for a text (a post's, or its translation's)."""
    text = collapse_quotes(text, words) if words is not None else text
    blocks, quoted = [], []
    for line in [*text.replace("\r\n", "\n").strip("\n").split("\n"), None]:
        if line is not None and line.lstrip().startswith(">"):
            quoted.append(_linkify(line.lstrip()[1:].lstrip()))
            continue
        if quoted:
            blocks.append("<blockquote>" + "<br>\n".join(map(_fold, quoted)) + "</blockquote>")
            quoted = []
        if line is not None:
            blocks.append(_fold(_linkify(line)) + "<br>")
    return "\n".join(blocks)


def _fold(line: str, width: int = 200) -> str:
    """A long paragraph's HTML broken at spaces, which HTML reads as the same space: lines past
    SMTP's 998 octets force the whole part into quoted-printable, three times the size in Cyrillic
    or Arabic. Safe for what _linkify writes: inside its tags a space only separates attributes
    or rel tokens, where a line break is the same white space."""
    if len(line) <= width:
        return line
    lines, current = [], []
    size = 0
    for word in line.split(" "):
        if current and size + len(word) > width:
            lines.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += len(word) + 1
    lines.append(" ".join(current))
    return "\n".join(lines)


def body_html(body_text: str, body_html_source: str) -> str:
    """What a page shows for a post: its text when it has one, else its sanitized HTML."""
    if body_text.strip():
        return text_to_html(body_text)
    return sanitize_html(body_html_source) if body_html_source else ""
