"""Sign bench messages for their From domains with one key made here, and publish it for each domain.

    python bench/sign_corpus.py FOLDER < messages.jsonl > signed.jsonl

Each line is [envelope sender, base64 message]. FOLDER gets the key (dkimpy's dknewkey) and
dns.txt, the [dns] static_records file that answers for bench._domainkey.DOMAIN of every domain.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import subprocess
import sys
from pathlib import Path

import dkim

FROM = re.compile(rb"^From:(.*(?:\r?\n[ \t].*)*)", re.MULTILINE | re.IGNORECASE)
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def main() -> None:
    folder = Path(sys.argv[1])
    subprocess.run(
        [str(Path(sys.executable).with_name("dknewkey")), "bench"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    key, record = (folder / "bench.key").read_bytes(), (folder / "bench.dns").read_text().strip()
    domains = set()
    for line in sys.stdin:
        sender, encoded = json.loads(line)
        raw = base64.b64decode(encoded)
        domain = from_domain(raw)
        signature = dkim.sign(raw, b"bench", domain.encode(), key, include_headers=HEADERS) if domain else b""
        domains.add(domain)
        print(json.dumps([sender, base64.b64encode(signature + raw).decode()]))
    records = [f'bench._domainkey.{domain}. IN TXT "{record}"\n' for domain in sorted(domains - {""})]
    (folder / "dns.txt").write_text("".join(records))


def from_domain(raw: bytes) -> str:
    found = FROM.search(raw.split(b"\r\n\r\n", 1)[0])
    address = email.utils.parseaddr(found[1].decode("utf-8", "replace") if found else "")[1]
    return address.rpartition("@")[2].lower()


if __name__ == "__main__":
    main()
