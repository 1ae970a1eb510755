"""TXT look-ups for DKIM keys: a static records file first, then the system resolver, cached."""

from __future__ import annotations

import logging
import re
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.resolver
from dkim import DnsTimeoutError

from config.errors import ConfigError

log = logging.getLogger(__name__)
# A record's life in the cache, whatever its TTL says: long enough that a burst of posts asks
# once, short enough that a rotated key is seen within the hour.
MIN_TTL, MAX_TTL, NEGATIVE_TTL = 60, 3600, 300
UNANSWERED = (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration)
RECORD = re.compile(r"^(?P<name>\S+)\s+(?:(?:\d+|IN)\s+)*TXT\s+(?P<strings>.+)$", re.IGNORECASE)


def read_static_records(path: Path) -> dict[str, bytes]:
    """`name [ttl] [IN] TXT "text" ["more text"...]` a line, as in a zone file; `;` starts a comment.
    The strings of one record are joined, as a resolver does for a TXT record split at 255 bytes."""
    records: dict[str, bytes] = {}
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "dns.static_records", f"cannot be read: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        found = RECORD.match(line)
        try:
            strings = shlex.split(found["strings"], comments=False) if found else []
        except ValueError:
            strings = []
        if not strings:
            raise ConfigError(str(path), f"line {number}", 'is not NAME [TTL] [IN] TXT "TEXT"')
        records[_name(found["name"])] = "".join(strings).encode()
    return records


def _name(name: str | bytes) -> str:
    text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    return text.strip().rstrip(".").lower()


@dataclass
class TxtResolver:
    """The `dnsfunc` dkimpy calls: TXT text of a name, None if there is none.

    A timeout raises dkim's DnsTimeoutError, so a check that could not be made is not mistaken
    for a signature that failed."""

    static_path: Path | None
    timeout: float
    use_system: bool

    def __post_init__(self) -> None:
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()
        self._static: dict[str, bytes] = {}
        self._static_mtime = -1.0

    def __call__(self, name: str | bytes, timeout: float | None = None) -> bytes | None:
        key = _name(name)
        static = self._static_records()
        if key in static or not self.use_system:
            return static.get(key)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        text, ttl = self._ask(key)
        with self._lock:
            self._cache[key] = (time.monotonic() + ttl, text)
        return text

    def _static_records(self) -> dict[str, bytes]:
        """Read again when the file changes: an operator adds a key without a restart."""
        if self.static_path is None:
            return {}
        try:
            mtime = self.static_path.stat().st_mtime
            if mtime != self._static_mtime:
                self._static, self._static_mtime = read_static_records(self.static_path), mtime
        except (OSError, ConfigError) as exc:  # gone or broken for now: keep what was read
            log.warning("static DNS records: %s", exc)
        return self._static

    def _ask(self, name: str) -> tuple[bytes | None, float]:
        try:
            answer = dns.resolver.resolve(name, "TXT", lifetime=self.timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None, NEGATIVE_TTL
        except UNANSWERED as exc:
            raise DnsTimeoutError(f"no answer for {name}: {type(exc).__name__}") from None
        text = b"".join(answer[0].strings) if len(answer) else None
        return text, min(max(answer.rrset.ttl, MIN_TTL), MAX_TTL)
