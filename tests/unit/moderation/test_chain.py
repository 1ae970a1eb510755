"""The policy chain: loops, bounces and auto-replies are discarded; closed spaces refuse."""

import datetime as dt

import pytest

from archive.record.parsing import parse_message
from moderation.chain import evaluate
from moderation.rules import Check
from tests.configs import make_settings

NOW = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path)


def verdict(settings, headers: str, envelope_from="a@ngo.example", space="unece-review", now=NOW):
    raw = (f"From: Ana <a@ngo.example>\r\nMessage-ID: <x@y>\r\n{headers}\r\nbody\r\n").encode()
    check = Check(parse_message(raw), raw, envelope_from, settings.space(space), "hub.example.org", now)
    return evaluate(check)


def test_ordinary_post_is_held(settings):
    assert verdict(settings, "Subject: Our report\r\n").action == "hold"


@pytest.mark.parametrize(
    "headers, rule",
    [
        ("Auto-Submitted: auto-replied\r\n", "auto_submitted"),
        ("Auto-Submitted: auto-generated; owner-email=x@y\r\n", "auto_submitted"),
        ("Precedence: bulk\r\n", "precedence"),
        ("Precedence: list\r\n", "precedence"),
        ("List-Id: UNECE <unece-review.hub.example.org>\r\n", "loop"),
        ("X-Hubmail-Loop: yes\r\n", "loop"),
        ("X-Autoreply: yes\r\n", "auto_reply"),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n", "bounce"),
    ],
)
def test_automatic_mail_is_discarded(settings, headers, rule):
    result = verdict(settings, headers)
    assert (result.action, result.rule) == ("discard", rule)


def test_auto_submitted_no_is_a_person(settings):
    assert verdict(settings, "Auto-Submitted: no\r\n").action == "hold"


def test_null_sender_is_a_bounce(settings):
    result = verdict(settings, "Subject: hi\r\n", envelope_from="")
    assert (result.action, result.rule) == ("discard", "bounce")


def test_closed_space_rejects_with_a_reason(settings):
    result = verdict(settings, "Subject: late\r\n", space="closed-space")
    assert result.action == "reject"
    assert "closed on 2020-02-01 00:00 UTC" in result.reason


def test_space_not_yet_open(tmp_path):
    settings = make_settings(tmp_path, dates="opens = 2030-01-01T00:00:00Z")
    result = verdict(settings, "Subject: early\r\n")
    assert result.action == "reject" and "opens on 2030-01-01 00:00 UTC" in result.reason


def test_unclear_sender_is_held_with_a_note(settings):
    raw = b"From: a@b.example, c@d.example\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n"
    check = Check(
        parse_message(raw), raw, "a@b.example", settings.space("unece-review"), "hub.example.org", NOW
    )
    result = evaluate(check)
    assert result.action == "hold" and result.notes and "sender unclear" in result.notes[0]


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: back Monday",
        "Réponse automatique défaillante",
        "Respuesta automática",
        "Автоответ: в отпуске",
        "Congés : nouvelle politique",
    ],
)
def test_out_of_office_subject_alone_is_held_with_a_note(settings, subject):
    result = verdict(settings, f"Subject: {subject}\r\n")
    assert result.action == "hold" and result.notes[0].startswith("looks like an automatic reply")
