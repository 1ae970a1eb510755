"""Outgoing mail is built from plain strings: no header injection (CVE-2024-6923)."""

from email import message_from_bytes, policy

from archive.record.outgoing import Letter, compose
from archive.record.parsing import parse_message

EVIL = b"From: a@b.example\r\nSubject: Hi =?UTF-8?Q?there=0ABcc:_x@evil.example?=\r\n\r\nx\r\n"


def test_injected_subject_does_not_become_a_header():
    subject = parse_message(EVIL).subject
    _, raw = compose(
        Letter(
            to="a@b.example",
            subject=f"Not accepted: {subject}",
            text="t",
            sender="s@hub.example.org",
            in_reply_to="x@y\r\nBcc: z@evil.example",
        ),
        "hub.example.org",
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None
    assert b"\nBcc:" not in raw and b"\nbcc:" not in raw.lower().replace(b"\r", b"")
    assert "there Bcc: x@evil.example" in str(msg["Subject"])


def test_automatic_mail_is_marked_and_threaded():
    message_id, raw = compose(
        Letter(
            to="a@b.example",
            subject="s",
            text="body",
            sender="s@hub.example.org",
            in_reply_to="orig@x",
            references=("root@x",),
        ),
        "hub.example.org",
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<orig@x>"
    assert msg["References"] == "<root@x> <orig@x>"
    assert msg["Message-ID"] == f"<{message_id}>" and message_id.endswith("@hub.example.org")
