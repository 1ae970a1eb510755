"""DKIM keys made for a test (dkimpy's dknewkey), published as static TXT records, and signing with them."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dkim

STATIC_DNS = '[dns]\nstatic_records = "dns.txt"\nsystem_resolver = false\n'
DKNEWKEY = str(Path(sys.executable).with_name("dknewkey"))
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references")


@dataclass(frozen=True)
class DkimKey:
    domain: str
    selector: str
    private: bytes
    record: str  # the TXT text: v=DKIM1; k=rsa; p=...

    def sign(self, raw: bytes, headers: tuple[bytes, ...] = SIGNED_HEADERS, length: bool = False) -> bytes:
        """raw with a DKIM-Signature of this domain on top (length=True adds l=, as some MTAs do)."""
        signature = dkim.sign(
            raw, self.selector.encode(), self.domain.encode(), self.private,
            include_headers=[h for h in headers if h + b":" in raw.lower()], length=length,
        )  # fmt: skip
        return signature + raw

    def zone_line(self) -> str:
        return f'{self.selector}._domainkey.{self.domain}. IN TXT "{self.record}"'


def make_key(folder: Path, domain: str, selector: str = "test") -> DkimKey:
    """A fresh 2048-bit RSA key: the test's own, so nothing secret is in the repository."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{selector}.{domain}"
    subprocess.run([DKNEWKEY, name], cwd=folder, check=True, capture_output=True)
    record = (folder / f"{name}.dns").read_text().strip()
    return DkimKey(domain, selector, (folder / f"{name}.key").read_bytes(), record)


def write_records(path: Path, keys: list[DkimKey]) -> Path:
    """The [dns] static_records file that publishes these keys."""
    path.write_text("; keys made by the test\n" + "".join(key.zone_line() + "\n" for key in keys))
    return path


def hub_with_keys(folder: Path, sink_port: int, keys: list[DkimKey], extra: str = "", **options):
    """A running hub that finds these keys, and only these, when it verifies DKIM."""
    from tests.support.hubserver import HubServer

    folder.mkdir(parents=True, exist_ok=True)
    write_records(folder / "dns.txt", keys)
    return HubServer(folder, sink_port, extra=STATIC_DNS + extra, **options).start()
