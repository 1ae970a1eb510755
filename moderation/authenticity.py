"""Is a message really from its From domain? hubmail's own DKIM check, or a trusted MTA's verdict."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import authres
import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from archive.record.parsing import ParsedMessage
from config import Settings
from moderation.dnstxt import TxtResolver

MAX_SIGNATURES = 5  # a message with more is not worth more key look-ups
SOURCES_BEHIND_AN_MTA = ("lmtp", "pipe", "imap")  # smtp: hubmail is the MX, nobody vouched for headers
# A post written on the web by a signed-in reader (gateway/webpost.py). Only hubmail's own code
# writes a spool entry's source, so no mail, however written, arrives with this one.
SIGNED_IN_ON_THE_WEB = "web"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    how: str  # "dkim=pass header.d=ngo.example", or why not, for the note and the log


def authenticate(
    settings: Settings, message: ParsedMessage, raw: bytes, source: str, envelope_from: str = ""
) -> Verdict:
    """A pass needs a DKIM signature over the From header and the whole body, by the From domain
    or a domain it is part of (relaxed alignment), or a trusted Authentication-Results pass; or,
    for a post written on the web, a From that is the signed-in address the web put in the envelope."""
    domain = message.from_addr.rpartition("@")[2].lower()
    if not domain:
        return Verdict(False, "no From address")
    if source == SIGNED_IN_ON_THE_WEB:
        signed_in = envelope_from.strip().strip("<>").lower()
        if signed_in and message.from_addr == signed_in:
            return Verdict(True, f"signed in on the web as {signed_in}")
        return Verdict(False, f"written on the web by {signed_in or '?'}, not by the From address")
    own = _own_dkim(raw, domain, resolver_for(settings.static_records_path, settings.dns))
    authserv_id = settings.moderation.trusted_authserv_id
    if own.passed or not authserv_id or source not in SOURCES_BEHIND_AN_MTA:
        return own
    return _trusted_results(message, domain, authserv_id) or own


@functools.lru_cache(maxsize=4)
def resolver_for(static_path: Path | None, dns) -> TxtResolver:
    """One resolver (and cache) per process and configuration."""
    return TxtResolver(static_path, dns.timeout, dns.system_resolver)


def aligned(signer: str, domain: str) -> bool:
    """Relaxed alignment without a public suffix list: one domain is the other or inside it.
    Signing as a domain needs its DNS, so neither direction lets a stranger sign for another."""
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)


def _own_dkim(raw: bytes, domain: str, resolver: TxtResolver) -> Verdict:
    try:
        message = dkim.DKIM(raw, minkey=1024, timeout=resolver.timeout)
    except (dkim.DKIMException, ValueError, IndexError) as exc:
        return Verdict(False, f"DKIM: unreadable message ({exc})")
    signatures = [value for name, value in message.headers if name.lower() == b"dkim-signature"]
    if not signatures:
        return Verdict(False, "no DKIM signature")
    reasons = []
    for index, value in enumerate(signatures[:MAX_SIGNATURES]):
        signer, selector, unfit = _signer(value, domain)
        try:
            if not unfit and resolver(f"{selector}._domainkey.{signer}") is None:
                unfit = f"no DKIM key is published at {selector}._domainkey.{signer}"
            if not unfit and message.verify(index, dnsfunc=resolver):
                return Verdict(True, f"dkim=pass header.d={signer}")
            reasons.append(unfit or f"DKIM signature of {signer} does not verify (the message was changed)")
        except dkim.DnsTimeoutError as exc:
            reasons.append(f"DKIM key of {signer} could not be looked up ({exc})")
        except dkim.DKIMException as exc:
            reasons.append(f"DKIM signature of {signer} fails: {exc}")
    return Verdict(False, "; ".join(reasons))


def _signer(value: bytes, domain: str) -> tuple[str, str, str]:
    """(signing domain, selector, why this signature cannot vouch for the From domain or "")."""
    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList:
        return "", "", "malformed DKIM signature"
    signer = tags.get(b"d", b"").decode("ascii", "replace").strip().lower()
    selector = tags.get(b"s", b"").decode("ascii", "replace").strip().lower()
    signed = {name.strip().lower() for name in tags.get(b"h", b"").split(b":")}
    if not aligned(signer, domain):
        return signer, selector, f"DKIM signature of {signer or '?'}, not of the From domain {domain}"
    if b"from" not in signed:
        return signer, selector, f"DKIM signature of {signer} does not cover the From header"
    if b"l" in tags:  # what follows the signed length could be anything
        return signer, selector, f"DKIM signature of {signer} covers only part of the body (l=)"
    return signer, selector, ""


def _trusted_results(message: ParsedMessage, domain: str, authserv_id: str) -> Verdict | None:
    """Our MTA's dkim=pass or dmarc=pass for the From domain (RFC 8601); others are ignored."""
    for value in message.headers.get("authentication-results", []):
        try:
            header = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {value}")
        except Exception:  # a malformed header proves nothing
            continue
        if header.authserv_id.lower() != authserv_id.lower():
            continue  # added by the sender or a hop we do not trust (as Discourse does)
        for result in header.results:
            names = {p.value.lower() for p in result.properties if p.name in ("d", "from")}
            if (
                result.method in ("dkim", "dmarc")
                and result.result == "pass"
                and any(aligned(name, domain) for name in names)
            ):
                return Verdict(True, f"{result.method}=pass by {header.authserv_id}")
    return None
