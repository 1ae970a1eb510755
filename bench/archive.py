"""Archive benchmark: page times on a large archive, against a bare uvicorn endpoint as the ceiling.

    python bench/archive.py [--posts 100000] [--spaces 5] [--requests 200] [--export] [--json]

Fills an SQLite database with published posts through the same models and publication step the
gateway uses (threads shaped as on a real list, prose in six languages with a natural spread of
words: bench/prose.py), serves it with `hubmail serve`, and times the space, question, thread,
message and search pages from a local client (searches for one or two topic words); then
optionally a full static export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.record.models import Post  # noqa: E402 - after the path is set
from archive.record.publish import prepare_for_display  # noqa: E402
from archive.record.spaces import question_row, space_row  # noqa: E402
from archive.record.urls import message_hash  # noqa: E402
from bench import prose  # noqa: E402
from config import load_settings  # noqa: E402
from config.database import session_scope  # noqa: E402
from gateway.hub import open_hub  # noqa: E402

BARE = """
import sys, uvicorn
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<!doctype html><p>ok</p>"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(folder: Path, spaces: int, smtp: int, web: int) -> Path:
    text = f"""[site]
domain = "hub.example.org"
secret_key = "bench"
data_dir = "{folder / "data"}"
[smtp]
listen = "127.0.0.1:{smtp}"
[outbound]
port = {free_port()}
[web]
listen = "127.0.0.1:{web}"
"""
    for n in range(spaces):
        text += f'[[spaces]]\nslug = "space-{n}"\ntitle = "Space {n}"\nmoderators = ["mod@un.example"]\n'
        for q in range(1, 6):
            text += f'[[spaces.questions]]\nnumber = {q}\ntext = "Question {q}?"\n'
    path = folder / "hubmail.toml"
    path.write_text(text)
    return path


def fill(config: Path, posts: int, spaces: int, seed: int = 1) -> list[tuple[str, str]]:
    """Published posts threaded as on a real list (four in ten start a thread, replies go to one of
    the 40 liveliest threads, depth up to 8); returns (slug, message hash) of thread roots."""
    rng = random.Random(seed)
    hub = open_hub(load_settings(config, env={}))
    start = dt.datetime(2024, 1, 18, tzinfo=dt.UTC)
    roots: list[tuple[str, str]] = []
    threads: dict[int, list[list[tuple[Post, int]]]] = {n: [] for n in range(spaces)}
    batch = 2000
    for first in range(0, posts, batch):
        with session_scope(hub.engine) as session:
            ids = {n: space_row(session, f"space-{n}").id for n in range(spaces)}
            for n in range(first, min(first + batch, posts)):
                space = n % spaces
                post = _post(session, rng, n, ids[space], start, threads[space])
                if post.thread_id == post.id:
                    roots.append((f"space-{space}", message_hash(post.message_id)))
        print(f"\r  filled {min(first + batch, posts)}/{posts}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    hub.engine.dispose()
    return roots


def _post(
    session, rng: random.Random, n: int, space_id: int, start: dt.datetime, threads: list[list]
) -> Post:
    parent, depth = _parent(rng, threads)
    question = parent.question_id if parent else question_row(session, space_id, rng.randint(1, 5)).id
    language = parent.language if parent and rng.random() < 0.8 else prose.language(rng)
    text = prose.post_text(rng, language)
    subject = parent.subject.removeprefix("Re: ") if parent else " ".join(prose.words(rng, language, 6))
    when = start + dt.timedelta(seconds=n * 30)
    message_id = f"b{n}@bench.example"
    name, address = f"Participant {n % 300}", f"p{n % 300}@org{n % 80}.example"
    post = Post(
        space_id=space_id,
        question_id=question,
        status="published",
        message_id=message_id,
        message_hash=message_hash(message_id),
        from_addr=address,
        from_name=name,
        subject=("Re: " if parent else "") + subject[:120],
        received_at=when,
        published_at=when,
        parent_id=parent.id if parent else None,
        parent_message_id=parent.message_id if parent else None,
        body_text=text,
        language=language,
        raw=_raw(message_id, name, address, subject, when, parent, text),
        raw_sha256="",
    )
    session.add(post)
    session.flush()
    post.thread_id = parent.thread_id if parent else post.id
    prepare_for_display(session, post)
    if parent is None:
        threads.append([])
        del threads[:-40]  # only the 40 newest threads still get replies
    if depth < 8:
        threads[-1 if parent is None else _index(threads, parent)].append((post, depth))
    return post


def _parent(rng: random.Random, threads: list[list]) -> tuple[Post | None, int]:
    """None (a new thread) four times in ten, else a post near the end of a lively thread."""
    live = [thread for thread in threads if thread]
    if not live or rng.random() < 0.4:
        return None, 0
    thread = rng.choice(live)
    post, depth = thread[-1 - min(int(rng.expovariate(0.8)), len(thread) - 1)]
    return post, depth + 1


def _index(threads: list[list], parent: Post) -> int:
    return next(i for i, thread in enumerate(threads) if any(p is parent for p, _ in thread))


def _raw(message_id, name, address, subject, when, parent, text) -> bytes:
    headers = [
        f"Message-ID: <{message_id}>",
        f"From: {name} <{address}>",
        f"Subject: {('Re: ' if parent else '')}{subject}",
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if parent is not None:
        headers.append(f"In-Reply-To: <{parent.message_id}>")
    return ("\r\n".join(headers) + "\r\n\r\n" + text.replace("\n", "\r\n") + "\r\n").encode()


def wait_http(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def timed(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - started) * 1000


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }


def measure(base: str, roots: list[tuple[str, str]], spaces: int, requests: int, rng: random.Random) -> dict:
    kinds = {
        "space": lambda: f"{base}/space-{rng.randrange(spaces)}/",
        "question": lambda: f"{base}/space-{rng.randrange(spaces)}/q/{rng.randint(1, 5)}/",
        "thread": lambda: "{}/{}/thread/{}/".format(base, *rng.choice(roots)),
        "message": lambda: "{}/{}/message/{}/".format(base, *rng.choice(roots)),
        "search": lambda: f"{base}/search?q={quote_plus(prose.query(rng))}",
    }
    return {kind: summary([timed(make()) for _ in range(requests)]) for kind, make in kinds.items()}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def bare_ceiling(requests: int) -> dict:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
    try:
        wait_http(f"http://127.0.0.1:{port}/", process)
        return summary([timed(f"http://127.0.0.1:{port}/") for _ in range(requests)])
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--export", action="store_true", help="also time a full static export")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--folder", type=Path, help="keep the filled archive here, and reuse it when it is there already"
    )
    args = parser.parse_args()
    report: dict = {
        "command": " ".join(shlex.quote(a) for a in ["bench/archive.py", *sys.argv[1:]]),
        "posts": args.posts,
        "spaces": args.spaces,
    }
    with tempfile.TemporaryDirectory(prefix="hubmail-archive-bench-") as temp:
        folder, web = args.folder or Path(temp), free_port()
        config, roots = _filled(folder, args, web, report)
        hubmail = str(Path(sys.executable).with_name("hubmail"))
        server = subprocess.Popen([hubmail, "serve", "--config", str(config)], stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{web}"
            wait_http(base + "/", server)
            report["pages"] = measure(base, roots, args.spaces, args.requests, random.Random(2))
            report["peak_rss_mib"] = peak_rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        report["bare_uvicorn"] = bare_ceiling(args.requests)
        if args.export:
            started = time.perf_counter()
            subprocess.run(
                [hubmail, "archive", "export", str(folder / "site"), "--config", str(config)],
                check=True,
                capture_output=True,
            )
            report["export_seconds"] = round(time.perf_counter() - started, 1)
            report["export_files"] = sum(1 for p in (folder / "site").rglob("*") if p.is_file())
    print(json.dumps(report, indent=2) if args.json else _table(report))


def _filled(folder: Path, args: argparse.Namespace, web: int, report: dict) -> tuple[Path, list]:
    """The filled archive's configuration (on a new web port) and its thread roots."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / "roots.json"
    config = write_config(folder, args.spaces, free_port(), web)
    if saved.exists():
        report["fill_seconds"] = "reused"
        return config, [tuple(root) for root in json.loads(saved.read_text())]
    started = time.perf_counter()
    roots = fill(config, args.posts, args.spaces)
    report["fill_seconds"] = round(time.perf_counter() - started, 1)
    saved.write_text(json.dumps(roots))
    return config, roots


def _table(report: dict) -> str:
    lines = [f"{key:<16} {value}" for key, value in report.items() if key not in ("pages", "bare_uvicorn")]
    bare = report["bare_uvicorn"]["median_ms"]
    lines.append(f"{'page':<10} {'median ms':>10} {'p95 ms':>8} {'x bare':>8}")
    for kind, figures in report["pages"].items():
        lines.append(
            f"{kind:<10} {figures['median_ms']:>10} {figures['p95_ms']:>8} "
            f"{figures['median_ms'] / bare:>8.1f}"
        )
    lines.append(f"{'bare':<10} {bare:>10} {report['bare_uvicorn']['p95_ms']:>8} {1.0:>8.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
