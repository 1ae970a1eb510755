"""A throwaway Postfix: config and queue in a temp dir, SMTP on 127.0.0.1:free port, relaying to hubmail."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.servers import find_binary, hand_over, require_or_skip, wait_listening

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {folder}/queue
data_directory = {folder}/data
maillog_file = {folder}/maillog
maillog_file_prefixes = {folder}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
relay_domains = {domain}
transport_maps = inline:{{ {domain}={transport} }}
{extra}
"""
# Only the services a relay needs, none chrooted (a chroot would need copies of /etc files).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
{services}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postfix:
    """`postfix -c FOLDER start`; the caller chooses the transport for the hub's domain."""

    def __init__(
        self, folder: Path, domain: str, transport: str, extra: str = "", services: str = ""
    ) -> None:
        self.binary = find_binary("postfix", "/usr/sbin") or "postfix"
        self.folder, self.port = folder, _free_port()
        for sub in ("queue", "data"):  # `postfix start` makes the queue's own folders inside
            (folder / sub).mkdir(parents=True, exist_ok=True)
        owner = pwd.getpwnam("postfix")
        hand_over(folder / "data", (owner.pw_uid, owner.pw_gid))  # and lets it through the folders above
        values = {"folder": folder, "domain": domain, "transport": transport, "extra": extra}
        (folder / "main.cf").write_text(MAIN_CF.format(**values))
        (folder / "master.cf").write_text(MASTER_CF.format(port=self.port, services=services))

    def _postfix(self, *args: str) -> None:
        result = subprocess.run(
            [self.binary, "-c", str(self.folder), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)} failed: {result.stderr}{self.log_tail()}")

    def start(self) -> Postfix:
        self._postfix("start")
        wait_listening(self.port, "postfix", self.log_tail)
        return self

    def stop(self) -> None:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            self._postfix("stop")

    def log_tail(self) -> str:
        log = self.folder / "maillog"
        return f"\n--- maillog ---\n{log.read_text(errors='replace')[-3000:]}" if log.exists() else ""


@contextmanager
def throwaway_postfix(folder: Path, domain: str, transport: str, **options: str) -> Iterator[Postfix]:
    if find_binary("postfix", "/usr/sbin") is None:
        require_or_skip("Postfix is not installed (Debian: apt-get install postfix)")
    if os.geteuid() != 0:
        require_or_skip("Postfix's master process must start as root")
    server = Postfix(folder, domain, transport, **options).start()
    try:
        yield server
    finally:
        server.stop()
