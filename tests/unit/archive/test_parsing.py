"""Parsing never raises, records defects, and resists the stdlib traps in RELIABILITY.md."""

import time

import pytest

from archive.record.attachments import safe_filename
from archive.record.headers import single_sender
from archive.record.parsing import MessageRefused, ParseLimits, check_acceptable, parse_message


def test_plain_message_fields():
    raw = (
        b"From: =?utf-8?q?Fran=C3=A7ois_Dupr=C3=A9?= <francois@ngo.example>\r\n"
        b"Subject: =?utf-8?b?UHLDqXNlbnRhdGlvbg==?=\r\n"
        b"Date: Thu, 18 Jan 2024 10:00:00 +0100\r\n"
        b"Message-ID: <abc@ngo.example>\r\nIn-Reply-To: <parent@x.example>\r\n"
        b"References: <root@x.example> <parent@x.example>\r\n\r\nBonjour\r\n"
    )
    m = parse_message(raw)
    assert (m.from_addr, m.from_name) == ("francois@ngo.example", "François Dupré")
    assert m.subject == "Présentation"
    assert m.message_id == "abc@ngo.example"
    assert m.in_reply_to == ["parent@x.example"]
    assert m.references == ["root@x.example", "parent@x.example"]
    assert m.sent_at.isoformat() == "2024-01-18T09:00:00+00:00"
    assert m.body_text.strip() == "Bonjour"
    assert m.defects == []


def test_missing_message_id_is_generated_stably():
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@generated.hubmail.invalid")
    assert any("no Message-ID" in d for d in first.defects)


def test_broken_date_and_unknown_charset_become_defects():
    raw = (
        b"From: a@b.example\r\nDate: yesterday-ish\r\nMessage-ID: <x@y>\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\ncaf\xe9\r\n"
    )
    m = parse_message(raw)
    assert m.sent_at is None
    assert "unreadable Date" in m.defects
    assert "caf" in m.body_text
    assert any("replacement" in d for d in m.defects)


def test_bare_lf_and_8bit_headers():
    raw = "From: José <jose@org.example>\nSubject: Año nuevo\nMessage-ID: <lf@x>\n\nhola\n".encode()
    m = parse_message(raw)
    assert m.subject == "Año nuevo" and m.from_name == "José" and m.body_text.strip() == "hola"


def test_html_and_attachments():
    raw = (
        b"From: a@b.example\r\nMessage-ID: <h@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/html\r\n\r\n<p>Hi <b>there</b></p>\r\n"
        b"--B\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="../../etc/\xe2\x80\xaereport.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--B--\r\n"
    )
    m = parse_message(raw)
    assert "<b>there</b>" in m.body_html
    [attachment] = m.attachments
    assert attachment.data == b"%PDF-1.4"
    assert "/" not in attachment.filename and "\u202e" not in attachment.filename
    assert attachment.filename.endswith("report.pdf")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\nul.txt", "attachment-nul.txt"),
        ("a\x00b.txt", "a_b.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("evil\u202etxt.exe", "evil_txt.exe"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_thousand_nested_multiparts_do_not_crash():
    # RELIABILITY.md 3: 1,000 nested multiparts raise RecursionError in the stdlib parser.
    depth = 1000
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    raw = (
        b"From: a@b.example\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n"
        + head.encode()
        + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    )
    m = parse_message(raw)
    assert m.message_id == "deep@x"
    assert any("nest" in d.lower() for d in m.defects)


def test_from_with_ten_thousand_parens_is_refused_not_raised():
    raw = b"From: " + b"(" * 10000 + b"a@b.example\r\nMessage-ID: <p@x>\r\n\r\nx\r\n"
    m = parse_message(raw)
    assert m.from_addr == "" and m.from_problem


def test_forty_thousand_encoded_words_are_refused_quickly():
    # RELIABILITY.md 4: quadratic decoding; the header cap refuses it before any decoding.
    subject = " ".join(["=?utf-8?q?a?="] * 40000).encode()
    raw = b"From: a@b.example\r\nSubject: " + subject + b"\r\n\r\nx\r\n"
    with pytest.raises(MessageRefused, match="header block"):
        check_acceptable(raw, ParseLimits())


def test_encoded_words_just_under_the_cap_decode_fast():
    subject = " ".join(["=?utf-8?q?a?="] * 7000).encode()  # ~98 KB
    raw = b"From: a@b.example\r\nSubject: " + subject + b"\r\n\r\nx\r\n"
    check_acceptable(raw, ParseLimits())
    started = time.monotonic()
    parse_message(raw)
    # Not a benchmark: a guard that the per-header cap is in force (uncapped this takes seconds).
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "value, problem",
    [
        ("mod@hub.example <attacker@evil.example>", "not exactly one valid address"),
        ('"mod@hub.example" <attacker@evil.example>', "display name looks like an address"),
        ("a@b.example, c@d.example", "not exactly one valid address"),
        ("undisclosed-recipients:;", "not exactly one valid address"),
    ],
)
def test_ambiguous_senders_are_refused(value, problem):
    address, _, why = single_sender([value])
    assert address == "" and problem in why


def test_two_from_headers_are_refused():
    assert single_sender(["a@b.example", "c@d.example"])[2] == "2 From headers"


def test_header_injection_in_subject_is_flattened():
    raw = b"From: a@b.example\r\nSubject: Hi =?UTF-8?Q?there=0ABcc:_x@evil.example?=\r\n\r\nx\r\n"
    m = parse_message(raw)
    assert "\n" not in m.subject and "\r" not in m.subject


def test_empty_message_is_refused():
    with pytest.raises(MessageRefused, match="empty"):
        check_acceptable(b"\r\n", ParseLimits())
