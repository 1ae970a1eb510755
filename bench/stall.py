"""Does a reader delay mail? SMTP reply latency idle, then while 20 clients download mbox and search.

    python bench/stall.py [--posts 5000] [--readers 20] [--seconds 20] [--json]

A real `hubmail serve` (SQLite) with an archive of published posts from the seeded corpus
(../shared/tools/make_corpus.py, imported with `hubmail archive import --publish`). One SMTP
client times each reply (MAIL, RCPT, DATA of a small post, then RSET) for --seconds with no
readers, then the same with --readers clients fetching space.mbox.gz and search pages in a
loop. Reported: p50, p95 and max per phase, and the ratio loaded / idle.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from ingest import CORPUS_TOOL, free_port, wait_port, write_config

ROOT = Path(__file__).resolve().parents[1]
HUBMAIL = ROOT / ".venv" / "bin" / "hubmail"
WORDS = ["migration", "report", "city", "the", "practice", '"legal aid"', "travail", "-report"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubmail-stall-") as scratch:
        folder = Path(scratch)
        smtp_port, web_port = free_port(), free_port()
        config = write_config(folder, smtp_port, web_port, f'maildir = "{folder / "out"}"')
        fill(folder, config, args.posts)
        serve = subprocess.Popen([str(HUBMAIL), "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_port(smtp_port, serve)
            wait_port(web_port, serve)
            idle = smtp_latencies(smtp_port, args.seconds)
            stop = threading.Event()
            readers = [threading.Thread(target=read, args=(web_port, stop, n)) for n in range(args.readers)]
            for reader in readers:
                reader.start()
            time.sleep(1)  # every reader has a request in flight
            loaded = smtp_latencies(smtp_port, args.seconds)
            stop.set()
            for reader in readers:
                reader.join(60)
        finally:
            serve.terminate()
            serve.wait(60)
    report(args, summary(idle), summary(loaded))


def fill(folder: Path, config: Path, posts: int) -> None:
    corpus = folder / "corpus.mbox"
    subprocess.run([sys.executable, str(CORPUS_TOOL), "--n", str(posts), "--seed", "1", "--out", str(corpus)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([str(HUBMAIL), "archive", "import", str(corpus), "--space", "review", "--publish",
                    "--config", str(config)], check=True, capture_output=True)  # fmt: skip


def smtp_latencies(port: int, seconds: float) -> list[float]:
    """Each reply's wait, in ms: MAIL, RCPT and DATA of a small post, then RSET, for `seconds`."""
    found, deadline, n = [], time.monotonic() + seconds, 0
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        while time.monotonic() < deadline:
            n += 1
            message = f"From: a@ngo.example\r\nMessage-ID: <stall{n}.{time.time_ns()}@x>\r\n\r\nHi"
            steps = [
                (client.mail, "a@ngo.example"),
                (client.rcpt, "review+q1@hub.example.org"),
                (client.data, message.encode()),
            ]
            for command, argument in steps:
                started = time.perf_counter()
                command(argument)
                found.append((time.perf_counter() - started) * 1000)
            client.rset()
    return found


def read(port: int, stop: threading.Event, number: int) -> None:
    base = f"http://127.0.0.1:{port}"
    pages = [f"{base}/review/space.mbox.gz"] + [f"{base}/search?q={quote(word)}" for word in WORDS]
    n = number
    while not stop.is_set():
        n += 1
        try:
            with urllib.request.urlopen(pages[n % len(pages)], timeout=120) as response:
                while response.read(65536):
                    pass
        except OSError:
            time.sleep(0.1)


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "replies": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


def report(args, idle: dict, loaded: dict) -> None:
    result = {"posts": args.posts, "readers": args.readers, "idle": idle, "loaded": loaded,
              "p95_ratio": round(loaded["p95_ms"] / idle["p95_ms"], 2)}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"archive of {args.posts} posts; {args.readers} readers downloading mbox and searching")
    print("| SMTP replies | count | p50 | p95 | max |\n|---|---|---|---|---|")
    for name, figures in (("idle", idle), ("under load", loaded)):
        print(f"| {name} | {figures['replies']} | {figures['p50_ms']} ms | {figures['p95_ms']} ms | "
              f"{figures['max_ms']} ms |")  # fmt: skip
    print(f"p95 under load / idle: {result['p95_ratio']}")


if __name__ == "__main__":
    main()
