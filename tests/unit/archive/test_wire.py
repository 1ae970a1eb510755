"""Every header hubmail writes reads back exactly, without a defect, under a strict parser."""

from __future__ import annotations

import email.policy
from email.parser import BytesParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from archive.record import wire
from archive.record.headers import clean_text
from archive.record.outgoing import Letter, compose

STRICT = email.policy.default.clone(raise_on_defect=True)
HOSTILE = [*':,;"@<>()[]\\.=?_- \t', "=?", "=?utf-8?q?x?=", "  ", "\r\n", "\x00", "\u202e"]
SCRIPTS = [
    "Rosa Díaz", "Ана Иванова", "Ελένη Παπαδοπούλου", "محمد العلي", "李明", "Pratiques prometteuses à Genève",
    "Очень длинное название площадки для обсуждения региональных обзоров", "قضايا الهجرة 2024",
]  # fmt: skip
# Latin with accents, Cyrillic, Greek, Arabic, Chinese, the specials, long runs and mixtures of them.
TEXT = st.lists(
    st.one_of(st.sampled_from(HOSTILE + SCRIPTS), st.text(max_size=4), st.just("x" * 90)), max_size=25
).map("".join)
ORIGINAL = b"From: Ana <ana@ngo.example>\r\nSubject: Gen\xc3\xa8ve\r\nMessage-ID: <p1@x>\r\n\r\nText\r\n"


def strict_parse(raw: bytes):
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998 and b"\r" not in line and b"\n" not in line
    assert b"\x00" not in raw
    return BytesParser(policy=STRICT).parsebytes(raw)


def read_back(name: str, subject: str, title: str, original: bytes | None = ORIGINAL):
    letter = Letter(
        to="reader@ngo.example",
        subject=subject,
        text="Body\x00 with a bare\rCR",
        html="<p>Body</p>",
        sender="unece-review@hub.example.org",
        sender_name=name,
        reply_to="moderate+h1-abc@hub.example.org",
        in_reply_to="p1@ngo.example",
        references=("root@ngo.example",),
        list_id=(title, "unece-review.hub.example.org"),
        original=original,
    )
    return strict_parse(compose(letter, "hub.example.org")[1])


@settings(max_examples=400, deadline=None)
@given(name=TEXT, subject=TEXT, title=TEXT)
@example(
    name="Rosa Díaz via UNECE GCM Regional Review: Stakeholder Discussion",
    subject="Pratiques prometteuses à Genève et à Liège",
    title="UNECE GCM Regional Review: Stakeholder Discussion",
)
@example(name="mod@hub.example <attacker@evil.example>", subject="Hi =?UTF-8?Q?there=0ABcc:_x@evil.example?=",
         title="")  # fmt: skip
def test_names_and_subjects_read_back_exactly(name, subject, title):
    message = read_back(name, subject, title)
    for header in ("From", "To", "Subject", "Reply-To", "List-Id", "References", "In-Reply-To"):
        assert message[header].defects == (), header
    [sender] = message["From"].addresses
    assert sender.display_name == wire.display_name(clean_text(name, 200))
    assert sender.addr_spec == "unece-review@hub.example.org"
    assert str(message["Subject"]) == clean_text(subject, 400)
    assert message["Bcc"] is None and len(message["To"].addresses) == 1
    raw_list_id = dict(message.raw_items())["List-Id"].replace("\r\n", "")
    phrase, _, list_id = raw_list_id.rpartition(" ")
    assert list_id == "<unece-review.hub.example.org>"
    assert display_name_of(phrase) == wire.display_name(clean_text(title, 200))
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Body with a bare\nCR\n"


def display_name_of(phrase: str) -> str:
    """The name a List-Id's phrase carries, read as the display name of an address."""
    if not phrase:
        return ""
    header = STRICT.header_factory("from", f"{phrase} <list@hub.example.org>")
    assert header.defects == ()
    return header.addresses[0].display_name


def test_the_measured_cases_read_back():
    message = read_back(
        "Rosa Díaz via UNECE GCM Regional Review: Stakeholder Discussion",
        "Pratiques prometteuses à Genève et à Liège",
        "Revue régionale",
    )
    assert message["From"].addresses[0].display_name.endswith("Review: Stakeholder Discussion")
    assert str(message["Subject"]) == "Pratiques prometteuses à Genève et à Liège"


def nested(depth: int) -> bytes:
    head = b"From: a@b.example\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    return head + b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * depth


def test_a_hostile_original_travels_as_an_opaque_file():
    for original in (nested(1000), ORIGINAL.replace(b"Text", b"T\x00ext"), ORIGINAL.replace(b"Text", b"a\rb"),
                     ORIGINAL + b"x" * 2000 + b"\r\n"):  # fmt: skip
        message = read_back("Ana", "s", "t", original)
        [part] = [p for p in message.iter_attachments() if p.get_filename() == "original.eml"]
        assert part.get_content_type() == "application/octet-stream"
        assert part.get_content() == original  # nothing lost: the moderator can still open it


def test_a_sound_original_travels_as_a_message():
    message = read_back("Ana", "s", "t")
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    assert part.get_content()["Message-ID"] == "<p1@x>"
    assert str(part.get_content()["Subject"]) == "Genève"


def test_headers_stay_within_the_line_length():
    message = read_back("Ана " * 40, "à " * 150, "t")
    assert message["Subject"] is not None
    raw_head = compose(Letter(to="a@b.example", subject="é" * 300, text="t", sender="s@h.example"), "h")[1]
    assert all(len(line) <= 78 for line in raw_head.split(b"\r\n\r\n")[0].split(b"\r\n"))
