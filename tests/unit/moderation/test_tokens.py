"""Tokens: valid, expired, tampered, wrong hold, wrong moderator, wrong kind, and fit for an address."""

import datetime as dt

import pytest

from config.errors import Reason
from config.tokens import KINDS, InvalidToken, check_token, make_token, peek

NOW = dt.datetime(2024, 1, 20, 12, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
SECRET = "site-secret"
MODERATION = ("hold", "summary")


def token(target=1234, moderator="mia@un.example", binding="sha-of-post", kind="hold"):
    return make_token(SECRET, kind, target, moderator, LATER, binding)


def test_valid_token_names_its_target():
    claims = check_token(SECRET, token(), "Mia@UN.example", NOW, "sha-of-post", kinds=MODERATION)
    assert (claims.kind, claims.target, claims.expires) == ("hold", 1234, LATER)


def test_token_fits_in_a_local_part_and_survives_case_folding():
    value = token(target=10**9)
    assert len("moderate+" + value) <= 64 and value == value.lower()
    claims = check_token(SECRET, value.upper(), "mia@un.example", NOW, "sha-of-post", kinds=MODERATION)
    assert claims.target == 10**9


def test_expired():
    with pytest.raises(InvalidToken, match="expired on 2024-02-19"):
        late = LATER + dt.timedelta(seconds=1)
        check_token(SECRET, token(), "mia@un.example", late, "sha-of-post", kinds=MODERATION)


@pytest.mark.parametrize(
    "moderator, binding, secret",
    [
        ("ivana@un.example", "sha-of-post", SECRET),  # another moderator (a forwarded notice)
        ("mia@un.example", "sha-of-other", SECRET),  # another hold's content
        ("mia@un.example", "sha-of-post", "other"),  # another site's secret
    ],
)
def test_wrong_moderator_hold_or_secret(moderator, binding, secret):
    with pytest.raises(InvalidToken, match="not issued to you"):
        check_token(secret, token(), moderator, NOW, binding, kinds=MODERATION)


def test_tampered_target_or_expiry():
    value = token()
    kind_target, expiry, mac = value.split("-")
    for forged in (
        f"h1235-{expiry}-{mac}",
        f"{kind_target}-zzzzzz-{mac}",
        f"s{kind_target[1:]}-{expiry}-{mac}",
    ):
        with pytest.raises(InvalidToken):
            check_token(SECRET, forged, "mia@un.example", NOW, "sha-of-post", kinds=MODERATION)


@pytest.mark.parametrize("value", ["", "abc", "h1-2-short", "x1-2-" + "a" * 26, "h1-2-" + "a" * 27])
def test_malformed(value):
    with pytest.raises(InvalidToken, match="not one we issued"):
        peek(value, kinds=KINDS.values())


def test_summary_tokens():
    value = token(target=7, kind="summary", binding="")
    assert value.startswith("s7-")
    assert check_token(SECRET, value, "mia@un.example", NOW, kinds=MODERATION).kind == "summary"


@pytest.mark.parametrize("kind", ["bounce", "signin", "session", "confirm", "unsubscribe"])
def test_a_genuine_token_of_another_kind_is_refused_and_says_why(kind):
    value = token(target=1, kind=kind, binding="")  # issued to the moderator, genuine, unexpired
    with pytest.raises(InvalidToken, match=r"is for .*, not for replying to a hold notice") as refused:
        check_token(SECRET, value, "mia@un.example", NOW, kinds=MODERATION)
    french = {"replying to a hold notice": "répondre à un avis de retenue"}
    said = refused.value.reason.said(lambda msgid: french.get(msgid, msgid))
    assert "répondre à un avis de retenue" in said  # the values are said in the reader's language too


def test_every_kind_says_what_it_is_for():
    from config.tokens import USES

    assert set(USES) == set(KINDS.values()) and all(isinstance(use, Reason) for use in USES.values())
