"""Properties: no input, however broken, makes parsing raise, and every text it gives is valid Unicode."""

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.record.parsing import MessageRefused, ParseLimits, check_acceptable, parse_message

HEADER_NAMES = st.sampled_from(
    [
        "From",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
    ]
)
HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            'multipart/mixed; boundary="b"',
            "text/plain; charset=x-unknown",
            "base64",
            "=?utf-8?q?caf=C3=A9?=",
            "=?bogus?b?!!!?=",
            "<a@b> <c@d>",
            "(((",
            "a@b, c@d",
            "attachment; filename*=utf-8''%E2%80%AEevil.exe",
            "quoted-printable",
        ]
    ),
)
HEADERS = st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8)
BODIES = st.one_of(
    st.binary(max_size=500),
    st.sampled_from(
        [
            b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--",
            b"--b\r\n\r\n--b",
            b"=ZZ=\r\n",
            b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x\r\n\r\n--b--",
        ]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HEADERS, BODIES, st.sampled_from([b"\r\n", b"\n", b"\r"]))
def test_parse_never_raises(headers, body, newline):
    lines = [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in headers]
    raw = newline.join(lines) + newline + newline + body
    try:
        check_acceptable(raw, ParseLimits())
    except MessageRefused:
        return
    parsed = parse_message(raw)
    assert parsed.message_id
    assert "\n" not in parsed.subject and "\r" not in parsed.subject


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw):
    try:
        check_acceptable(raw, ParseLimits())
    except MessageRefused:
        return
    assert parse_message(raw).message_id


CHARSETS = st.sampled_from(["utf-8", "utf-7", "gb2312", "koi8-r", "iso-2022-jp", "windows-1256", "x-bogus"])
ENCODED_WORDS = st.builds(
    lambda charset, data, kind: (
        f"=?{charset}?{kind}?"
        + (base64.b64encode(data).decode() if kind == "B" else "".join(f"={b:02X}" for b in data))
        + "?="
    ),
    CHARSETS,
    st.binary(max_size=12),
    st.sampled_from(["B", "Q"]),
)


def no_surrogates(text: str) -> bool:
    return not any("\ud800" <= ch <= "\udfff" for ch in text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENCODED_WORDS, min_size=1, max_size=3), CHARSETS, st.binary(max_size=300), st.booleans())
def test_every_text_parsed_is_valid_unicode_whatever_the_bytes_and_charsets(words, charset, body, as_file):
    disposition = 'Content-Disposition: attachment; filename="' + " ".join(words) + '"\r\n' if as_file else ""
    raw = (
        f"From: {words[0]} <ana@ngo.example>\r\nSubject: {' '.join(words)}\r\n"
        f'Content-Type: text/plain; charset="{charset}"\r\n{disposition}\r\n'
    ).encode() + body
    parsed = parse_message(raw)
    texts = [parsed.subject, parsed.from_name, parsed.body_text, parsed.body_html]
    assert all(no_surrogates(text) for text in texts + [a.filename for a in parsed.attachments])
    for text in texts:
        text.encode("utf-8")  # what the database and every template encoder do
