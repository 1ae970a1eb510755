"""Report benchmark: `hubmail report` on a large space, against a bare sqlite3 + csv dump as the ceiling.

    python bench/report.py [--posts 20000] [--json]

Fills one space with published posts (the archive bench's generator), then times
`hubmail report S --format F --out FILE` for each format as an operator runs it (a new
process each time, so `hubmail spaces` is timed too: what starting any command costs),
and a plain Python process that reads the same posts with sqlite3 and writes them with
the csv module: the least any CSV of them can cost.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.archive import fill, free_port, write_config  # noqa: E402 - after the path is set

FORMATS = ("csv", "json", "md", "html")
BARE = """
import csv, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "select question_id, from_name, from_addr, published_at, language, subject, body_text "
    "from post where status = 'published' order by question_id, published_at, id")
with open(sys.argv[2], "w", newline="") as out:
    csv.writer(out).writerows(rows)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict = {"command": " ".join(shlex.quote(a) for a in ["bench/report.py", *sys.argv[1:]])}
    with tempfile.TemporaryDirectory(prefix="hubmail-report-bench-") as temp:
        folder = Path(temp)
        config = write_config(folder, 1, free_port(), free_port())
        fill(config, args.posts, 1)
        hubmail = str(Path(sys.executable).with_name("hubmail"))
        seconds = {}
        for fmt in FORMATS:
            out = folder / f"report.{fmt}"
            seconds[fmt] = timed(
                [hubmail, "report", "space-0", "--format", fmt, "--out", str(out), "--config", str(config)]
            )
            result[f"{fmt}_kib"] = round(out.stat().st_size / 1024)
        startup = timed([hubmail, "spaces", "--config", str(config)])  # the cost of any hubmail command
        database = folder / "data" / "hubmail.sqlite3"
        bare = timed([sys.executable, "-c", BARE, str(database), str(folder / "bare.csv")])
    result["posts"] = args.posts
    result["seconds"] = {fmt: round(value, 2) for fmt, value in seconds.items()}
    result["startup_seconds"] = round(startup, 2)
    result["bare_csv_seconds"] = round(bare, 2)
    result["csv_ratio"] = round(bare / seconds["csv"], 2)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2) if args.json else _table(result))


def _table(result: dict) -> str:
    lines = [f"{result['command']}: {result['posts']} published posts in one space"]
    for fmt, value in result["seconds"].items():
        lines.append(f"  {fmt:<5} {value:>7.2f} s  {result[f'{fmt}_kib']:>7} KiB")
    lines.append(f"  hubmail spaces (starting any command): {result['startup_seconds']:.2f} s")
    lines.append(f"  bare sqlite3 + csv: {result['bare_csv_seconds']:.2f} s, ratio {result['csv_ratio']}")
    lines.append(f"  peak RSS of a report process: {result['peak_rss_mib']} MiB")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
