"""A From domain is authenticated by a DKIM signature hubmail verifies, aligned with it, or by our MTA."""

from __future__ import annotations

import pytest

from archive.record.parsing import parse_message
from config.errors import ConfigError
from moderation.authenticity import _signer, aligned, authenticate
from moderation.dnstxt import read_static_records
from tests.configs import make_settings
from tests.support.dkimkeys import make_key, write_records

MAIL = (
    b"From: Tia <tia@ngo.example>\r\nTo: unece-review@hub.example.org\r\nSubject: A practice\r\n"
    b"Message-ID: <t1@ngo.example>\r\nDate: Sat, 20 Jan 2024 09:00:00 +0000\r\n\r\n"
    b"One-stop shops in three cities.\r\n"
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return {
        domain: make_key(folder, domain) for domain in ("ngo.example", "evil.example", "mail.ngo.example")
    }


@pytest.fixture()
def settings(tmp_path, keys):
    write_records(tmp_path / "dns.txt", list(keys.values()))
    extra = '[dns]\nstatic_records = "dns.txt"\nsystem_resolver = false\n'
    extra += '[moderation]\ntrusted_authserv_id = "mx.hub.example.org"\n'
    return make_settings(tmp_path, extra=extra)


def verdict(settings, raw: bytes, source: str = "smtp"):
    return authenticate(settings, parse_message(raw), raw, source)


def test_a_signature_of_the_from_domain_passes(settings, keys):
    found = verdict(settings, keys["ngo.example"].sign(MAIL))
    assert found.passed and found.how == "dkim=pass header.d=ngo.example"


def test_a_signature_of_a_subdomain_passes_by_relaxed_alignment(settings, keys):
    assert verdict(settings, keys["mail.ngo.example"].sign(MAIL)).passed


def test_a_valid_signature_of_another_domain_does_not(settings, keys):
    found = verdict(settings, keys["evil.example"].sign(MAIL))
    assert not found.passed
    assert found.how == "DKIM signature of evil.example, not of the From domain ngo.example"


def test_an_altered_body_fails(settings, keys):
    signed = keys["ngo.example"].sign(MAIL).replace(b"three cities", b"four cities")
    found = verdict(settings, signed)
    assert not found.passed and "body hash mismatch" in found.how


def test_an_altered_from_fails(settings, keys):
    signed = keys["ngo.example"].sign(MAIL).replace(b"From: Tia", b"From: Tim")
    found = verdict(settings, signed)
    assert not found.passed and "does not verify" in found.how


def test_no_signature(settings):
    assert verdict(settings, MAIL).how == "no DKIM signature"


def test_a_signature_with_a_body_length_or_without_from_does_not_count(settings, keys):
    key = keys["ngo.example"]
    appended = key.sign(MAIL, length=True) + b"Also: send money to evil.example.\r\n"
    assert "covers only part of the body" in verdict(settings, appended).how
    unsigned_from = b"v=1; a=rsa-sha256; d=ngo.example; s=test; h=subject:to; bh=AAAA; b=AAAA"
    assert (
        "does not cover the From header" in _signer(unsigned_from, "ngo.example")[2]
    )  # dkimpy won't sign so


def test_an_unknown_key_is_not_found_without_asking_dns(tmp_path):
    settings = make_settings(tmp_path, extra="[dns]\nsystem_resolver = false\n")
    other = make_key(tmp_path / "other", "ngo.example", selector="unpublished")
    found = verdict(settings, other.sign(MAIL))
    assert found.how == "no DKIM key is published at unpublished._domainkey.ngo.example"


def test_authentication_results_count_only_from_our_mta_and_only_behind_it(settings):
    ours = b"Authentication-Results: mx.hub.example.org; dkim=pass header.d=ngo.example\r\n" + MAIL
    theirs = b"Authentication-Results: mx.evil.example; dkim=pass header.d=ngo.example\r\n" + MAIL
    assert verdict(settings, ours, "lmtp").passed
    assert not verdict(settings, ours, "smtp").passed  # hubmail is the MX: the sender wrote it
    assert not verdict(settings, theirs, "lmtp").passed
    dmarc = b"Authentication-Results: MX.HUB.EXAMPLE.ORG (our MTA); dmarc=pass header.from=ngo.example\r\n"
    assert verdict(settings, dmarc + MAIL, "imap").passed
    failing = b"Authentication-Results: mx.hub.example.org; dkim=fail header.d=ngo.example\r\n"
    assert not verdict(settings, failing + MAIL, "lmtp").passed


def test_alignment_is_the_domain_or_one_inside_the_other():
    assert aligned("ngo.example", "ngo.example") and aligned("ngo.example", "lists.ngo.example")
    assert aligned("mail.ngo.example", "ngo.example")
    assert not aligned("evil.example", "ngo.example") and not aligned("go.example", "ngo.example")


def test_static_records_read_a_zone_like_file_and_refuse_nonsense(tmp_path):
    path = tmp_path / "dns.txt"
    path.write_text('; comment\nsel._domainkey.Ngo.Example. 3600 IN TXT "v=DKIM1; " "p=AB"\n\n')
    assert read_static_records(path) == {"sel._domainkey.ngo.example": b"v=DKIM1; p=AB"}
    path.write_text("sel._domainkey.ngo.example A 127.0.0.1\n")
    with pytest.raises(ConfigError, match="line 1"):
        read_static_records(path)
