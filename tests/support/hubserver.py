"""A real `hubmail serve` subprocess on free ports, and a real aiosmtpd sink as its relay."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.configs import write_config

HUBMAIL = str(Path(sys.executable).with_name("hubmail"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 20, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class SinkHandler:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


class Sink:
    """The outbound relay: an aiosmtpd server that keeps what it is given."""

    def __init__(self, port: int | None = None) -> None:
        self.handler = SinkHandler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[tuple[str, list[str], bytes]]:
        return self.handler.messages

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class HubServer:
    """`hubmail serve` in a subprocess; start, stop, kill -9 and ask it things through its CLI."""

    def __init__(self, folder: Path, outbound_port: int, **options) -> None:
        self.folder = folder
        self.smtp_port, self.web_port = free_port(), free_port()
        self.config = write_config(
            folder, smtp_port=self.smtp_port, outbound_port=outbound_port, web_port=self.web_port, **options
        )
        self.process: subprocess.Popen | None = None
        self.log = folder / "serve.log"

    def start(self) -> HubServer:
        self.launch()
        wait_for(self._accepting, 30, what=f"hubmail serve on port {self.smtp_port}")
        return self

    def launch(self) -> subprocess.Popen:
        """Start serve and return at once, while it is still starting (start() waits for SMTP)."""
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [HUBMAIL, "serve", "--config", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        return self.process

    def _accepting(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"hubmail serve exited {self.process.returncode}:\n{self.log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout)
        return self.process.returncode if self.process else 0

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def smtp(self) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30)
        client.ehlo()
        return client

    def cli(self, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [HUBMAIL, *args, "--config", str(self.config)],
            input=input,
            capture_output=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"hubmail {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}"
            )
        return result

    def posts(self, *args: str) -> list[dict]:
        return json.loads(self.cli("posts", "--json", *args).stdout)

    def wait_for_posts(self, count: int, *args: str, timeout: float = 30) -> list[dict]:
        return wait_for(
            lambda: (p := self.posts(*args)) and len(p) >= count and p, timeout, what=f"{count} posts"
        )
