"""Property: no input, however broken, makes parsing raise."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.parsing import MessageRefused, ParseLimits, check_acceptable, parse_message

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
