"""A throwaway Dovecot IMAP server from the machine's binaries: temp config, free port, one test user."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.servers import (
    find_binary,
    hand_over,
    require_or_skip,
    unprivileged_user,
    wait_listening,
)

USER, PASSWORD = "consult@hub.example.org", "s3cret-imap"
CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
first_valid_uid = 0
{users}{capabilities}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def find_dovecot() -> str | None:
    return find_binary("dovecot", "/usr/sbin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """Dovecot in the foreground on 127.0.0.1:port; stop and start again keep the mail and the port."""

    def __init__(self, folder: Path, capabilities: str = "") -> None:
        self.binary = find_dovecot() or "dovecot"
        self.folder, self.port = folder, _free_port()
        self.process: subprocess.Popen | None = None
        owner = unprivileged_user()  # root: mail files belong to nobody, as Dovecot refuses uid 0 mail
        uid, gid = owner or (os.getuid(), os.getgid())
        # Not root: Dovecot's own processes run as us, as the packaged dovecot/dovenull users need root.
        name = pwd.getpwuid(os.getuid()).pw_name
        users = "" if owner else f"default_internal_user = {name}\ndefault_login_user = {name}\n"
        for sub in ("run", "state", "mail", "home"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config = folder / "dovecot.conf"
        # capabilities: announce only these (e.g. no MOVE, no IDLE), as an older server would.
        announced = f"imap_capability = {capabilities}\n" if capabilities else ""
        values = {"folder": folder, "port": self.port, "uid": uid, "gid": gid, "users": users,
                  "capabilities": announced}  # fmt: skip
        self.config.write_text(CONFIG.format(**values))
        hand_over(folder / "mail", owner)
        hand_over(folder / "home", owner)

    def start(self) -> Dovecot:
        with open(self.folder / "stderr.log", "ab") as errors:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config)],
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # a group of its own: stop() ends its imap processes too
            )
        wait_listening(self.port, "dovecot", self._log_tail, died=lambda: self.process.poll() is not None)
        return self

    def stop(self) -> None:
        """Like a server restart: every client connection is dropped (the master alone would leave them)."""
        if self.process and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def doveadm(self, *args: str) -> str:
        """Act on the mail store directly (e.g. `mailbox update --uid-validity`), as an admin would."""
        doveadm = find_binary("doveadm", "/usr/bin") or "doveadm"
        result = subprocess.run(
            [doveadm, "-c", str(self.config), *args], capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr}{self._log_tail()}")
        return result.stdout

    def _log_tail(self) -> str:
        texts = []
        for name in ("dovecot.log", "stderr.log"):
            log = self.folder / name
            if log.exists():
                texts.append(f"\n--- {name} ---\n{log.read_text(errors='replace')[-2000:]}")
        return "".join(texts) or " (no log)"


@contextmanager
def throwaway_dovecot(folder: Path, capabilities: str = "") -> Iterator[Dovecot]:
    if find_dovecot() is None:
        require_or_skip("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    server = Dovecot(folder, capabilities).start()
    try:
        yield server
    finally:
        server.stop()
