"""What a mail client hides of an HTML part: elements no reader sees, by style, attribute or kind.

An HTML-only reply is read for commands, so text its writer could not see must not be read (issue
14: a `reject` under display:none was taken as a command). Hidden: display:none, visibility:hidden,
the hidden attribute, a closed <details> (but its <summary>), <template>, <head>, <style>,
<script>, Outlook's mso-hide:all, a font too small to read, near-zero opacity, off-screen offsets,
boxes of no size that clip what they hold, scale(0), and text in the colour of its background.

Stylesheets count too (Apple Mail, Gmail and Outlook apply <style>): css-inline (already used for
our HTML mail) applies their rules to each element's style attribute with a real selector engine,
and parses as a browser does (HTML5 tree building), so that every element ends where a client
would end it. Rules inside @media and other at-rules are made to apply always, with only their
hiding declarations kept: seeing too little costs a moderator a "no command found" answer, seeing
hidden text would obey a command nobody wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import css_inline

HIDDEN_TAGS = {"template", "head", "style", "script", "title"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr", "param", "keygen"}  # fmt: skip
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
LENGTH = re.compile(r"^(-?\d*\.?\d+)([a-z%]*)$")
PX_PER = {"": 1, "px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "vw": 10, "vh": 10, "cm": 38, "mm": 3.8,
          "in": 96, "pc": 16, "ex": 8, "ch": 8}  # fmt: skip
# A percentage in pixels: of a 16px font, of a 600px-wide message; a box's own size in percent
# hides only at 0 (the factor 0 makes any percentage 0: never "1px or less" but for 0%).
FONT_PERCENT, BOX_PERCENT = 0.16, 6
NAMED = {"white": "#ffffff", "black": "#000000", "transparent": "transparent"}
WHITE, BLACK = "#ffffff", "#000000"  # a client's defaults (dark mode aside: hiding more is safe)
OFFSETS = ("left", "top", "right", "bottom", "text-indent", "margin-left", "margin-top")
SIZES = ("height", "max-height", "width", "max-width")


@dataclass(frozen=True)
class Box:
    """An open element: whether it is hidden, and the colours its text is drawn in and on."""

    tag: str
    hidden: bool = False
    closed_details: bool = False  # a <details> without `open`: only its <summary> shows
    color: str = BLACK
    background: str = WHITE
    tiny_font: bool = False  # inherited, like the colour: a child may set a readable size again

    @property
    def text_hidden(self) -> bool:
        return (
            self.hidden
            or self.closed_details
            or self.tiny_font
            or self.color in ("transparent", self.background)
        )


ROOT = Box("#root")


def inline_styles(html: str) -> str:
    """The markup as a browser would build it, each element's stylesheet rules in its style
    attribute; "" when it cannot be read (then nothing in it counts)."""
    extra = "\n".join(_always(block) for block in STYLE_BLOCK.findall(html))
    try:
        inliner = css_inline.CSSInliner(
            keep_style_tags=False,
            load_remote_stylesheets=False,  # no mail client fetches them for a reply; nor do we
            resolve_css_variables=True,
            extra_css=extra.strip() or None,
        )
        return inliner.inline(html)
    except Exception:  # a bug or a limit in the inliner must not make hidden text readable
        return ""


def child_box(parent: Box, tag: str, attrs: list[tuple[str, str | None]]) -> Box:
    """The box an element opens inside `parent`."""
    values = {name.lower(): value or "" for name, value in attrs}
    style = declarations(values.get("style", ""))
    hidden = (
        parent.hidden
        or (parent.closed_details and tag != "summary")
        or tag in HIDDEN_TAGS
        or "hidden" in values
        or hides(style)
    )
    own = _color(style.get("color", "")) or (_color(values.get("color", "")) if tag == "font" else None)
    background = _background(style) or _color(values.get("bgcolor", ""))
    if background in (None, "transparent"):
        background = parent.background
    closed = tag == "details" and "open" not in values
    tiny = _tiny_font(parent, style.get("font-size"))
    return Box(tag, hidden, closed, own or parent.color, background, tiny)


def declarations(style: str) -> dict[str, str]:
    """An inline style's declarations, the last of each property winning, `!important` dropped."""
    found = {}
    for part in COMMENT.sub("", style).split(";"):
        name, colon, value = part.partition(":")
        if colon:
            found[name.strip().lower()] = " ".join(value.lower().replace("!important", "").split())
    return found


def hides(style: dict[str, str]) -> bool:
    """Whether these declarations hide an element and all it holds."""
    overflow = {style.get(k, "") for k in ("overflow", "overflow-x", "overflow-y")}
    return (
        style.get("display") == "none"
        or style.get("visibility") in ("hidden", "collapse")
        or style.get("mso-hide") == "all"
        or _number(style.get("opacity", ""), 1) < 0.1
        or any(_pixels(style.get(k, ""), 0, BOX_PERCENT) <= -100 for k in OFFSETS)
        or (bool(overflow & {"hidden", "clip"}) and any(_pixels(style.get(k, ""), 99, 0) <= 1 for k in SIZES))
        or style.get("clip", "").replace(" ", "").startswith("rect(0")
        or "scale(0" in style.get("transform", "").replace(" ", "")
    )


def _tiny_font(parent: Box, size: str | None) -> bool:
    """Too small to read (under 2px); a size relative to a tiny one stays tiny."""
    if size is None:
        return parent.tiny_font
    relative = (size.endswith(("em", "%")) and not size.endswith("rem")) or size == "smaller"
    return (relative and parent.tiny_font) or _pixels(size, 99, FONT_PERCENT) < 2


def _hiding(name: str, value: str) -> bool:
    return hides({name: value}) or (name == "font-size" and _tiny_font(ROOT, value))


def _always(stylesheet: str) -> str:
    """The hiding declarations of the rules inside at-rules (@media, @supports...), as rules that
    always apply and win."""
    rules, preludes, text = [], [], ""
    for piece in re.split(r"([{}])", COMMENT.sub("", stylesheet)):
        if piece == "{":
            preludes.append(text.rpartition(";")[2].strip())
        elif piece == "}" and preludes:
            selector = preludes.pop()
            if any(p.startswith("@") for p in preludes) and not selector.startswith("@"):
                kept = [f"{k}: {v} !important" for k, v in declarations(text).items() if _hiding(k, v)]
                rules += [f"{selector} {{ {'; '.join(kept)} }}"] if kept else []
        text = "" if piece in "{}" else piece
    return "\n".join(rules)


def _number(value: str, default: float) -> float:
    value = value.strip()
    try:
        return float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return default


def _pixels(value: str, default: float, percent: float) -> float:
    """A length in CSS pixels (em as 16px, a percentage as `percent` px); `default` for anything
    else (auto, calc(), keywords)."""
    match = LENGTH.match(value.strip())
    unit = match.group(2) if match else "?"
    if unit == "%" and percent == 0:
        return 0 if float(match.group(1)) == 0 else default
    if unit != "%" and unit not in PX_PER:
        return default
    return float(match.group(1)) * (percent if unit == "%" else PX_PER[unit])


def _background(style: dict[str, str]) -> str | None:
    if "background-color" in style:
        return _color(style["background-color"])
    words = re.findall(r"#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|[a-z]+", style.get("background", ""))
    return next((c for c in map(_color, words) if c), None)


def _color(value: str) -> str | None:
    """#rrggbb, "transparent", or None when it is not a colour we know (then it hides nothing)."""
    value = value.strip().lower()
    if value in NAMED:
        return NAMED[value]
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:])
    if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", value):
        return "transparent" if value[7:] == "00" else value[:7]
    match = re.fullmatch(r"rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)(?:[\s,/]+([\d.]+%?))?\s*\)", value)
    if not match:
        return None
    if match.group(4) is not None and _number(match.group(4), 1) == 0:
        return "transparent"
    return "#" + "".join(f"{min(int(c), 255):02x}" for c in match.groups()[:3])
