"""Export and import benchmark: `hubmail archive import` and `export` against plain-Python ceilings.

    python bench/export_import.py [--posts 100000] [--spaces 5] [--corpus ../peer/corpus.mbox]
                                  [--folder DIR] [--site DIR] [--json]

Import: the seeded corpus (../shared/peer-bench/make_corpus.py --n 10000 --seed 1) into an empty
hub, against a bare loop that reads the same mbox with the mailbox module, parses every message
with email.message_from_bytes and inserts rows with plain sqlite3 in one transaction.

Export: a list archive shaped as bench/archive.py fills one (threads, six languages), written as
mbox files and brought in with `hubmail archive import --publish`; then a full static export
against copying the same files with shutil.copytree, a second export with nothing changed against
walking the folder and stat-ing every file, and an export after one new post. Each step is a new
`hubmail` process, as an operator runs it; --folder keeps the filled archive for the next run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.utils
import json
import mailbox
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import prose  # noqa: E402 - after the path is set
from bench.archive import free_port, write_config  # noqa: E402

CORPUS = ROOT.parent / "peer" / "corpus.mbox"
HUBMAIL = str(Path(sys.executable).with_name("hubmail"))
REPLY = (
    "From bench@example Mon Jan  1 00:00:00 2024\n"
    "From: New Voice <new@ngo.example>\nSubject: One more practice\nMessage-ID: <bench-new-{n}@x>\n"
    "Date: {date}\n\nA late contribution to the review.\n\n"
)


def hubmail(config: Path, *args: str) -> tuple[float, str]:
    """Seconds a `hubmail` command took (process start included), and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [HUBMAIL, *args, "--config", str(config)], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, done.stdout.strip()


def bare_import(corpus: Path, database: Path) -> float:
    """The ceiling for import: read, parse with the stdlib, insert with plain sqlite3, one commit."""
    started = time.perf_counter()
    db = sqlite3.connect(database)
    db.execute(
        "CREATE TABLE post (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, sender, subject, raw BLOB)"
    )
    box = mailbox.mbox(str(corpus), create=False)
    rows = []
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        message = email.message_from_bytes(raw)
        rows.append(
            (
                str(message.get("message-id", key)),
                str(message.get("from", "")),
                str(message.get("subject", "")),
                raw,
            )
        )
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO post (message_id, sender, subject, raw) VALUES (?, ?, ?, ?)", rows
        )
    db.close()
    return time.perf_counter() - started


def walk_and_stat(folder: Path) -> float:
    """The ceiling for an export with nothing to do: look at every file once."""
    started = time.perf_counter()
    for root, _, names in os.walk(folder):
        for name in names:
            os.stat(os.path.join(root, name))
    return time.perf_counter() - started


def messages_in(corpus: Path) -> int:
    with open(corpus, "rb") as handle:
        return sum(1 for line in handle if line.startswith(b"From "))


def list_archive(folder: Path, posts: int, spaces: int, seed: int = 1) -> dict[tuple[int, int], Path]:
    """An old list's archive as bench/archive.py shapes it (four posts in ten start a thread, replies
    go to the 40 liveliest threads, depth up to 8, prose in six languages), one mbox per space and
    question, for `hubmail archive import --question N`: a thread stays in its question."""
    rng, start = random.Random(seed), dt.datetime(2024, 1, 18, tzinfo=dt.UTC)
    files = {(s, q): (folder / f"space-{s}-q{q}.mbox").open("wb") for s in range(spaces) for q in range(1, 6)}
    live: dict[int, list[list[tuple[int, int, int]]]] = {s: [] for s in range(spaces)}
    for n in range(posts):
        space, threads = n % spaces, live[n % spaces]
        parent = _parent(rng, threads)
        question = parent[2] if parent else rng.randint(1, 5)
        language = prose.language(rng)
        when = start + dt.timedelta(seconds=n * 30)
        files[space, question].write(_message(n, parent, when, prose.post_text(rng, language), language))
        if parent is None:
            threads.append([])
            del threads[:-40]  # only the 40 newest threads still get replies
            threads[-1].append((n, 0, question))
        elif parent[1] < 8:
            next(t for t in threads if parent in t).append((n, parent[1] + 1, question))
    for handle in files.values():
        handle.close()
    return {key: Path(handle.name) for key, handle in files.items()}


def _parent(rng: random.Random, threads: list[list]) -> tuple[int, int, int] | None:
    live = [thread for thread in threads if thread]
    if not live or rng.random() < 0.4:
        return None
    thread = rng.choice(live)
    return thread[-1 - min(int(rng.expovariate(0.8)), len(thread) - 1)]


def _message(n: int, parent, when: dt.datetime, text: str, language: str) -> bytes:
    headers = [
        f"From p{n % 300}@org{n % 80}.example {when:%a %b %d %H:%M:%S %Y}",
        f"Message-ID: <b{n}@bench.example>",
        f"From: Participant {n % 300} <p{n % 300}@org{n % 80}.example>",
        f"Subject: {'Re: ' if parent else ''}Topic {parent[0] if parent else n} ({language})",
        f"Date: {email.utils.format_datetime(when)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if parent is not None:
        headers.append(f"In-Reply-To: <b{parent[0]}@bench.example>")
    body = re.sub(r"(?m)^(>*From )", r">\1", text)  # mboxrd
    return ("\n".join(headers) + "\n\n" + body + "\n\n").encode()


def fill(config: Path, folder: Path, posts: int, spaces: int, report: dict) -> None:
    """The generated list archive imported, each space's questions in turn (as an operator would)."""
    started = time.perf_counter()
    for (space, question), path in sorted(list_archive(folder, posts, spaces).items()):
        hubmail(
            config,
            "archive",
            "import",
            str(path),
            "--space",
            f"space-{space}",
            "--question",
            str(question),
            "--publish",
        )
        path.unlink()
    print(f"  filled {posts:,} posts", file=sys.stderr, flush=True)
    report["fill_seconds"] = round(time.perf_counter() - started, 1)


def timed_import(folder: Path, corpus: Path, report: dict) -> None:
    """The corpus into an empty hub, then the ceiling on the same file."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = write_config(folder, 1, free_port(), free_port())
    seconds, said = hubmail(config, "archive", "import", str(corpus), "--space", "space-0", "--publish")
    report["import_seconds"], report["import_said"] = round(seconds, 2), said
    report["bare_import_seconds"] = round(bare_import(corpus, folder / "bare.sqlite3"), 2)
    shutil.rmtree(folder)


def settle() -> None:
    """Write back what earlier steps left dirty (a removed 280,000-file folder included) and let the
    disk's journal catch up, so that no step pays for the one before it."""
    os.sync()
    time.sleep(5)


def timed_exports(config: Path, folder: Path, report: dict, site: Path | None = None) -> None:
    site = site or folder / "site"
    shutil.rmtree(site, ignore_errors=True)
    for key in ("export", "export_again"):
        settle()
        seconds, said = hubmail(config, "archive", "export", str(site))
        report[f"{key}_seconds"], report[f"{key}_said"] = round(seconds, 1), said
    report["files"] = sum(len(names) for _, _, names in os.walk(site)) - 1  # the manifest aside
    copy = site.with_name(site.name + "-copy")  # on the same file system as the export
    shutil.rmtree(copy, ignore_errors=True)
    settle()
    started = time.perf_counter()
    shutil.copytree(site, copy)
    report["copytree_seconds"] = round(time.perf_counter() - started, 1)
    shutil.rmtree(copy)
    report["walk_seconds"] = round(walk_and_stat(site), 2)
    reply = folder / "reply.mbox"
    reply.write_text(REPLY.format(n=time.time_ns(), date=email.utils.formatdate()))  # now: the newest
    hubmail(config, "archive", "import", str(reply), "--space", "space-0", "--question", "1", "--publish")
    seconds, said = hubmail(config, "archive", "export", str(site))
    report["export_after_one_post_seconds"], report["export_after_one_post_said"] = round(seconds, 1), said


def run(folder: Path, corpus: Path, posts: int, spaces: int, site: Path | None = None) -> dict:
    report: dict = {"corpus": str(corpus), "messages": messages_in(corpus), "posts": posts, "spaces": spaces}
    timed_import(folder / "import", corpus, report)
    archive = folder / f"archive-{posts}-{spaces}"
    archive.mkdir(exist_ok=True)
    config = write_config(archive, spaces, free_port(), free_port())
    if not (archive / "filled").exists():
        fill(config, archive, posts, spaces, report)
        (archive / "filled").write_text("yes")
    timed_exports(config, archive, report, site)
    return report


def table(report: dict) -> str:
    rate, bare = (report["messages"] / report[key] for key in ("import_seconds", "bare_import_seconds"))
    posts, export = report["posts"], report["export_seconds"]
    again, walk, copy = report["export_again_seconds"], report["walk_seconds"], report["copytree_seconds"]
    imported, exported = f"import {report['messages']:,} messages", f"full export: {posts:,} posts"
    rows = [
        ("figure", "hubmail", "ceiling", "speed / ceiling's"),
        (imported, f"{rate:,.0f} msg/s", f"{bare:,.0f} msg/s", f"{rate / bare:.2f}"),
        (f"{exported}, {report['files']:,} files", f"{export} s", f"{copy} s", f"{copy / export:.2f}"),
        ("export again, nothing changed", f"{again} s", f"{walk} s", f"{walk / again:.2f}"),
        ("export after one new post", f"{report['export_after_one_post_seconds']} s", "", ""),
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    said = [
        f"{key}: {value}" for key, value in report.items() if key.endswith("_said") or key == "fill_seconds"
    ]
    return "\n".join([*lines, "", *said])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the exported archive")
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--folder", type=Path, help="keep the filled archive here and reuse it")
    parser.add_argument(
        "--site", type=Path, help="export here (e.g. on tmpfs: the disk's own state can dominate the times)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"no corpus at {args.corpus}: make it with make_corpus.py --n 10000 --seed 1")
    with tempfile.TemporaryDirectory(prefix="hubmail-export-bench-") as temp:
        folder = args.folder or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        report = run(
            folder, args.corpus.resolve(), args.posts, args.spaces, args.site and args.site.resolve()
        )
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
