"""HTML mail in few lines: the same text to a browser, <pre> as written, markers on lines of their own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive.record.marks import mark
from archive.record.mime import PACKED_LINE, packed_html


def words(html: str) -> list[str]:
    return html.split()


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
                        max_size=300), max_size=60))  # fmt: skip
def test_lines_are_joined_with_the_white_space_a_browser_reads_the_same(lines):
    html = "\n".join(lines)
    packed = packed_html(html)
    assert words(packed) == words(html)
    assert all(len(line.encode()) <= max(PACKED_LINE, *(len(x.encode()) for x in [*lines, ""]))
               for line in packed.split("\n"))  # fmt: skip


def test_a_digest_sized_part_comes_down_to_a_tenth_of_its_lines():
    html = "\n".join(f'<li><a href="#p{i}">Subject {i}</a> — Author {i}</li>' for i in range(1000))
    assert html.count("\n") == 999 and packed_html(html).count("\n") < 100


def test_pre_and_textarea_are_kept_line_for_line():
    html = "<p>a\nb</p>\n<PRE class=x>one\n  two\n</PRE>\n<textarea>x\ny</textarea>\nc\nd"
    packed = packed_html(html)
    assert "<PRE class=x>one\n  two\n</PRE>" in packed and "<textarea>x\ny</textarea>" in packed
    assert "<p>a b</p>" in packed and packed.endswith("c d")


def test_a_line_with_a_marker_stays_a_line_of_its_own():
    html = "\n".join(["before"] * 3 + [f'<a href="{mark("unsubscribe")}">Unsubscribe</a>'] + ["after"] * 3)
    lines = packed_html(html).split("\n")
    assert lines == [
        "before before before",
        f'<a href="{mark("unsubscribe")}">Unsubscribe</a>',
        "after after after",
    ]
