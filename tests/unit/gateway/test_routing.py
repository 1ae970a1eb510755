"""Addresses to routes, and the refusals given at RCPT time."""

import pytest

from gateway.routing import Route, Unroutable, route
from tests.configs import make_settings

TOKEN = "h1-2-" + "a" * 26


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.mark.parametrize(
    "address, expected",
    [
        ("unece-review@hub.example.org", Route("post", "unece-review")),
        ("unece-review+q2@hub.example.org", Route("post", "unece-review", 2)),
        ("UNECE-Review+Q1@HUB.example.org", Route("post", "unece-review", 1)),
        ("<unece-review+q1@hub.example.org>", Route("post", "unece-review", 1)),
        ("unece-review-request@hub.example.org", Route("request", "unece-review")),
        ("bounces+anything@hub.example.org", Route("bounce", detail="anything")),
        (f"moderate+{TOKEN}@hub.example.org", Route("moderate", detail=TOKEN)),
    ],
)
def test_space_and_question_addresses(settings, address, expected):
    assert route(address, settings) == expected


@pytest.mark.parametrize(
    "address, reason",
    [
        ("unece-review@other.example", "not a mail domain"),
        ("nobody@hub.example.org", "no discussion space called 'nobody'"),
        ("unece-review+q9@hub.example.org", "has no question 9"),
        ("unece-review+q0@hub.example.org", "no such address"),
        ("unece-review+hello@hub.example.org", "no such address"),
        ("no-at-sign", "not a mail domain"),
        ("unece-review-owner+x@hub.example.org", "no such address"),
        ("unece-review-request+abc@hub.example.org", "not one we issued"),
        ("moderate+abc@hub.example.org", "not one we issued"),
    ],
)
def test_refusals_say_why(settings, address, reason):
    with pytest.raises(Unroutable, match=reason):
        route(address, settings)
