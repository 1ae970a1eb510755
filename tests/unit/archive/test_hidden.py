"""HTML made text as a mail client shows it: nothing hidden is read as a command (issue 14)."""

from __future__ import annotations

import pytest

from archive.record.hidden import declarations, hides
from archive.record.replytext import html_to_text
from moderation.commands import Verb, read_commands

HIDDEN = {
    "display:none": '<div style="display: none !important">reject spam</div>',
    "visibility": '<div style="visibility:hidden">reject spam</div>',
    "hidden attribute": "<div hidden>reject spam</div>",
    "template": "<template>reject spam</template>",
    "head": "<html><head><title>reject spam</title></head><body></body></html>",
    "script": "<script>reject spam</script>",
    "style element": "<style>reject spam</style>",
    "zero font": '<span style="font-size:0px">reject spam</span>',
    "tiny font": '<span style="font-size:0.05em">reject spam</span>',
    "relative to a zero font": '<div style="font-size:0"><b style="font-size:1.2em">reject spam</b></div>',
    "zero opacity": '<span style="opacity:0">reject spam</span>',
    "off screen": '<div style="position:absolute; left:-9999px">reject spam</div>',
    "text-indent": '<div style="text-indent:-10000px">reject spam</div>',
    "clipped box": '<div style="max-height:0; overflow:hidden">reject spam</div>',
    "outlook": '<div style="mso-hide:all">reject spam</div>',
    "scale 0": '<div style="transform: scale(0)">reject spam</div>',
    "white on white": '<span style="color:#FFF">reject spam</span>',
    "font colour": '<font color="white">reject spam</font>',
    "black on black": '<table><tr><td bgcolor="#000"><span style="color:rgb(0,0,0)">reject spam</span>'
    "</td></tr></table>",
    "transparent": '<span style="color:rgba(0,0,0,0)">reject spam</span>',
    "class rule": "<style>.q { display: none }</style><p class=q>reject spam</p>",
    "descendant rule": "<style>div .q span { font-size: 0 }</style>"
    "<div><p class=q><span>reject spam</span></p></div>",
    "media rule": "<style>@media screen { .q { display: none; color: red } }</style>"
    "<p class=q>reject spam</p>",
    "nested in hidden": '<div style="display:none"><p><b>reject spam</b></p></div>',
    "closed details": "<details><summary>Notes</summary>reject spam</details>",
    "unclosed hidden p": '<p style="display:none"><b>reject spam',
}


@pytest.mark.parametrize("html", HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_text_is_not_read(html):
    assert "reject" not in html_to_text(html)
    reading = read_commands("Re: held", "", f"{html}<p>approve</p>")
    assert [c.verb for c in reading.commands] == [Verb.APPROVE]


SHOWN = {
    "plain": "<p>reject spam</p>",
    "a browser closes the hidden p": '<p style="display:none">x<div>reject spam</div>',
    "a later rule shows it": "<style>.q{display:none} .q{display:block}</style><p class=q>reject spam</p>",
    "a print rule does not hide on screen, nor unhide": "<style>@media print { .q { color: red } }</style>"
    "<p class=q>reject spam</p>",
    "the summary of details": "<details><summary>reject spam</summary>more</details>",
    "open details": "<details open><summary>x</summary>reject spam</details>",
    "dark background": '<div style="background-color:#222"><span style="color:#fff">reject spam</span></div>',
    "a wide clipped box": '<div style="width:50%; overflow:hidden">reject spam</div>',
    "a small but readable font": '<span style="font-size:9pt">reject spam</span>',
    # A layout trick of HTML mail (no gaps between inline blocks): the child's own size shows.
    "a readable font inside a zero one": '<div style="font-size:0"><p style="font-size:14px">reject spam</p>',
}


@pytest.mark.parametrize("html", SHOWN.values(), ids=SHOWN.keys())
def test_visible_text_is_read(html):
    assert [c.verb for c in read_commands("Re: held", "", html).commands] == [Verb.REJECT]


def test_a_print_rule_cannot_unhide_what_the_screen_hides():
    html = (
        "<style>.q{display:none} @media print { .q { display: block !important } }</style><p class=q>reject"
    )
    assert "reject" not in html_to_text(html)


def test_remote_stylesheets_are_not_fetched():
    html = '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>approve</p>'
    assert html_to_text(html).strip() == "approve"  # no connection attempted, no error


def test_declarations_last_wins_and_hides():
    style = declarations("display:none; DISPLAY: block /* shown */; opacity: 5%")
    assert style == {"display": "block", "opacity": "5%"} and hides(style)
