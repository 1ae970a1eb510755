"""Ingest benchmark: SMTP into a real `hubmail serve` against a bare aiosmtpd sink as the ceiling.

    python bench/ingest.py [--messages 5000] [--concurrency 8] [--json]

Messages come from the seeded corpus generator in ../shared/tools/make_corpus.py (replies,
HTML, attachments, encoded headers), read in place from a temporary mbox.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import shlex
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS_TOOL = ROOT.parent / "shared" / "tools" / "make_corpus.py"
SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Discard(), data_size_limit=None,
                                      enable_SMTPUTF8=True), "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_messages(tool: Path, count: int, folder: Path) -> list[tuple[str, bytes]]:
    out = folder / "corpus.mbox"
    subprocess.run(
        [sys.executable, str(tool), "--n", str(count), "--seed", "1", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    messages = []
    for message in mailbox.mbox(str(out)):
        raw = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        sender = (message.get("From", "") or "").rpartition("<")[2].strip("> ") or "bench@example.org"
        messages.append((sender if "@" in sender else "bench@example.org", raw))
    return messages


def write_config(folder: Path, smtp_port: int, web_port: int | None = None, outbound: str = "") -> Path:
    """A one-space hub in `folder`; the web on `web_port` if given; `outbound` as the [outbound]
    table's lines (default: a relay port where nothing listens)."""
    web = (
        f'base_url = "http://127.0.0.1:{web_port}"\n[web]\nlisten = "127.0.0.1:{web_port}"\n'
        if web_port
        else ""
    )
    config = folder / "hubmail.toml"
    config.write_text(f"""
[site]
domain = "hub.example.org"
secret_key = "bench"
data_dir = "{folder / "data"}"
{web}[smtp]
listen = "127.0.0.1:{smtp_port}"
[outbound]
{outbound or f"port = {free_port()}"}
[[spaces]]
slug = "review"
title = "Bench"
moderators = ["mod@un.example"]
[[spaces.questions]]
number = 1
text = "Q1"
""")
    return config


def wait_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def send_all(port: int, messages: list[tuple[str, bytes]], concurrency: int) -> float:
    """Seconds from the first connection to the last 250, with `concurrency` sessions."""
    shares = [messages[i::concurrency] for i in range(concurrency)]
    errors: list[BaseException] = []

    def sender(share: list[tuple[str, bytes]]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                for mail_from, raw in share:
                    client.sendmail(mail_from, ["review@hub.example.org"], raw)
        except BaseException as exc:  # reported below; a benchmark must not hide a failure
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=sender, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"sending failed: {errors[0]!r}")
    return time.perf_counter() - started


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stored(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=30) as connection:
            return connection.execute("select count(*) from post").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def run_hubmail(folder: Path, messages: list[tuple[str, bytes]], concurrency: int) -> dict:
    port = free_port()
    config = write_config(folder, port)
    hubmail = str(Path(sys.executable).with_name("hubmail"))
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen([hubmail, "serve", "--config", str(config)], stdout=log, stderr=log)
    try:
        wait_port(port, server)
        started = time.perf_counter()
        accepted = send_all(port, messages, concurrency)
        while stored(folder / "data" / "hubmail.sqlite3") < len(messages):
            if time.perf_counter() - started > 1800:
                raise SystemExit("timed out waiting for the worker")
            time.sleep(0.05)
        all_stored = time.perf_counter() - started
        rss = peak_rss_mib(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        log.close()
    return {"accept_seconds": accepted, "store_seconds": all_stored, "peak_rss_mib": rss}


def run_sink(messages: list[tuple[str, bytes]], concurrency: int) -> float:
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    try:
        wait_port(port, sink)
        return send_all(port, messages, concurrency)
    finally:
        sink.kill()
        sink.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--corpus-tool", type=Path, default=CORPUS_TOOL)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubmail-bench-") as temp:
        folder = Path(temp)
        messages = load_messages(args.corpus_tool, args.messages, folder)
        sink_seconds = run_sink(messages, args.concurrency)
        hub = run_hubmail(folder, messages, args.concurrency)
    n = len(messages)
    report = {
        "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        "messages": n,
        "concurrency": args.concurrency,
        "megabytes": round(sum(len(raw) for _, raw in messages) / 2**20, 1),
        "hubmail_accepted_per_second": round(n / hub["accept_seconds"], 1),
        "hubmail_stored_per_second": round(n / hub["store_seconds"], 1),
        "sink_accepted_per_second": round(n / sink_seconds, 1),
        "ratio_accepted_to_sink": round(sink_seconds / hub["accept_seconds"], 3),
        "peak_rss_mib": round(hub["peak_rss_mib"], 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    width = max(len(key) for key in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
