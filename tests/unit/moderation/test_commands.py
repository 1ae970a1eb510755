"""Commands in real reply formats (written from how each client quotes), and what is not a command."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.commands import Command, Why, read_commands

NOTICE_QUOTE = '> A contribution to "UNECE" is waiting for a moderator.\n> approve\n> reject REASON\n'

GMAIL = (
    "approve\n\nOn Sat, Jan 20, 2024 at 10:02 AM UNECE moderation <unece-review-owner@hub.example.org>"
    " wrote:\n\n" + NOTICE_QUOTE
)
GMAIL_WRAPPED = (
    "reject too long, please shorten\n\nOn Sat, Jan 20, 2024 at 10:02 AM UNECE moderation <\n"
    "unece-review-owner@hub.example.org> wrote:\n\n" + NOTICE_QUOTE
)
APPLE = (
    "approve trust\n\nSent from my iPhone\n\n> On 20 Jan 2024, at 10:02, UNECE moderation wrote:\n"
    + NOTICE_QUOTE
)
THUNDERBIRD = "move q2\napprove\n\nOn 20/01/2024 10:02, UNECE moderation wrote:\n" + NOTICE_QUOTE
OUTLOOK_TEXT = (
    "discard\n\n________________________________\nFrom: UNECE moderation <x@hub.example.org>\n"
    "Sent: Saturday, January 20, 2024 10:02\nSubject: held\n\napprove\n"
)
OUTLOOK_HTML = (
    '<html><head><style>p{margin:0}</style></head><body><div dir="ltr">'
    '<p class="MsoNormal">reject off-topic for this space</p></div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
    '<div id="divRplyFwdMsg"><b>From:</b> UNECE moderation<br>approve</div>'
    "<div>approve</div></body></html>"
)
FRENCH = (
    "approve\n\nLe sam. 20 janv. 2024 à 10:02, UNECE moderation <x@hub.example.org> a écrit :\n"
    + NOTICE_QUOTE
)
RUSSIAN = (
    "reject слишком длинно\n\nсб, 20 янв. 2024 г. в 10:02, UNECE moderation <x@hub.example.org>:\n"
    "20.01.2024 10:02, UNECE moderation пишет:\n" + NOTICE_QUOTE
)
SPANISH = (
    "discard\n\nEl sáb, 20 ene 2024 a las 10:02, UNECE moderation (<x@hub.example.org>) escribió:\n"
    + NOTICE_QUOTE
)
SIGNATURE_ONLY = "\n\n-- \nMia Rossi\nUN Network on Migration\n\n" + NOTICE_QUOTE
BELOW_QUOTE = NOTICE_QUOTE + "\napprove\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (GMAIL, [Command("approve")]),
        (GMAIL_WRAPPED, [Command("reject", reason="too long, please shorten")]),
        (APPLE, [Command("approve", trust=True)]),
        (THUNDERBIRD, [Command("move", question=2), Command("approve")]),
        (OUTLOOK_TEXT, [Command("discard")]),
        (FRENCH, [Command("approve")]),
        (RUSSIAN, [Command("reject", reason="слишком длинно")]),
        (SPANISH, [Command("discard")]),
    ],
)
def test_clients_reply_formats(text, expected):
    reading = read_commands("Re: [unece-review] #12 held for moderation: Our practice", text)
    assert reading.commands == expected and reading.problems == []


def test_outlook_html_only_reply():
    reading = read_commands("RE: held", "", OUTLOOK_HTML)
    assert reading.commands == [Command("reject", reason="off-topic for this space")]


@pytest.mark.parametrize("text", [SIGNATURE_ONLY, "", "   \n\n", BELOW_QUOTE])
def test_no_command_above_the_quote_means_no_command(text):
    # A command typed below the quoted notice is not read: quoted text may contain commands.
    assert read_commands("Re: held", text).commands == []


def test_subject_can_carry_the_command():
    assert read_commands("Re: approve", "").commands == [Command("approve")]
    assert read_commands("AW: Re: reject spam", "").commands == [Command("reject", reason="spam")]


def test_unknown_lines_are_reported_and_commands_still_read():
    reading = read_commands("Re: x", "Thanks, looks fine!\napprove\nfrobnicate now")
    assert reading.commands == [Command("approve")]
    assert [str(p) for p in reading.problems] == [
        "'Thanks, looks fine!': not a command",
        "'frobnicate now': not a command",
    ]


def test_summary_commands_carry_ids():
    reading = read_commands("Re: 3 posts", "approve 12\nreject 13 off-topic\nmove 14 q3\ndiscard 15")
    assert reading.commands == [
        Command("approve", 12),
        Command("reject", 13, reason="off-topic"),
        Command("move", 14, question=3),
        Command("discard", 15),
    ]


def test_edit_block():
    text = "edit\n---begin---\nOur city runs one-stop shops.\n\nContact removed.\n---end---\napprove\n"
    reading = read_commands("Re: x", text)
    assert reading.commands == [
        Command("edit", text="Our city runs one-stop shops.\n\nContact removed."),
        Command("approve"),
    ]


def test_edit_without_block_is_a_problem():
    assert read_commands("x", "edit\nnew text").problems[0].why == Why.EDIT_BLOCK


def test_at_most_ten_commands_and_five_prose_lines():
    assert len(read_commands("x", "approve\n" * 50).commands) == 10
    reading = read_commands("x", "word\n" * 50 + "approve\n")
    assert len(reading.problems) == 5 and reading.commands == []


def test_move_needs_a_question():
    assert read_commands("x", "move somewhere").problems[0].why == Why.MOVE_FORM


def test_huge_reply_is_cut_not_choked_on():
    reading = read_commands("x", "approve\n" + "blah " * 400_000)
    assert reading.commands[0] == Command("approve")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=2000), st.text(max_size=500))
def test_no_input_crashes_the_parser(subject, text, html):
    reading = read_commands(subject, text, html)
    assert len(reading.commands) <= 10 and all(c.verb for c in reading.commands)
