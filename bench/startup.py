"""Start-up benchmark: each `hubmail` command as a new process, against `python -c pass` (issue 12).

    python bench/startup.py [--runs 15] [--only SUBSTRING] [--json]

Writes the starter configuration (`hubmail init`) in a temporary folder and opens its SQLite
database once, then runs every command RUNS times, each run right after a run of `python -c pass`
(the interpreter's own start: the floor), and prints per command the min and median wall seconds
and the median of the run-by-run ratios to the floor. Then the same for bare imports of the layers
a command may load (typer, settings, SQLAlchemy, SQLModel, the models, Alembic), to show where a
command's time goes. Figures from a busy machine are high and wide: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the working directory of every run: `-c` imports from here
MESSAGE = b"From: ana@ngo.example\r\nTo: unece-review+q1@hub.example.org\r\nSubject: start\r\n\r\nhi\r\n"
COMMANDS = [  # (label, arguments after `hubmail`); {config} is the starter configuration
    ("--help", ["--help"]),
    *((f"{group} --help", [group, "--help"]) for group in ("moderate", "digest", "archive", "members")),
    ("moderate approve --help", ["moderate", "approve", "--help"]),
    ("spaces", ["spaces", "--config", "{config}"]),
    ("posts", ["posts", "--config", "{config}"]),
    ("posts --json", ["posts", "--json", "--config", "{config}"]),
    ("status", ["status", "--config", "{config}"]),
    ("holds", ["holds", "--config", "{config}"]),
    ("subscribers list", ["subscribers", "list", "--space", "unece-review", "--config", "{config}"]),
    ("deliver < msg", ["deliver", "--to", "unece-review+q1@hub.example.org", "--config", "{config}"]),
]
LAYERS = [  # (label, what `python -c` imports), each layer on top of the one before
    ("import typer", "import typer"),
    ("+ settings (config)", "import typer, config"),
    ("+ sqlalchemy", "import typer, config, sqlalchemy.orm"),
    ("+ sqlmodel", "import typer, config, sqlalchemy.orm, sqlmodel"),
    ("+ models, listings", "import typer, config, gateway.listings"),
    ("+ alembic", "import typer, config, gateway.listings, alembic.command"),
]


def timed(command: list[str], stdin: bytes = b"") -> float:
    started = time.perf_counter()
    subprocess.run(command, input=stdin, capture_output=True, check=False, cwd=ROOT)
    return time.perf_counter() - started


def measure(command: list[str], runs: int, floor: list[str], stdin: bytes = b"") -> dict:
    """min and median seconds of `runs` runs, each paired with a run of `floor` for the ratio."""
    seconds, ratios = [], []
    timed(command, stdin)  # warm-up: the page cache and .pyc files
    for _ in range(runs):
        base = timed(floor)
        seconds.append(timed(command, stdin))
        ratios.append(seconds[-1] / base)
    return {"min": min(seconds), "median": statistics.median(seconds), "ratio": statistics.median(ratios)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="Only the commands whose label holds this.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    hubmail = str(Path(sys.executable).with_name("hubmail"))
    floor = [sys.executable, "-c", "pass"]
    rows: dict[str, dict] = {"python -c pass": measure(floor, args.runs, floor)}
    with tempfile.TemporaryDirectory(prefix="hubmail-startup-bench-") as temp:
        subprocess.run([hubmail, "init", temp], check=True, capture_output=True)
        config = str(Path(temp) / "hubmail.toml")
        subprocess.run([hubmail, "spaces", "--config", config], check=True, capture_output=True)
        for label, arguments in COMMANDS:
            if args.only in label:
                command = [hubmail, *(a.format(config=config) for a in arguments)]
                stdin = MESSAGE if arguments[0] == "deliver" else b""
                rows[f"hubmail {label}"] = measure(command, args.runs, floor, stdin)
    if not args.only:
        for label, code in LAYERS:
            rows[label] = measure([sys.executable, "-c", code], args.runs, floor)
    command = " ".join(shlex.quote(a) for a in ["bench/startup.py", *sys.argv[1:]])
    print(json.dumps({"command": command, "rows": rows}, indent=2) if args.json else _table(command, rows))


def _table(command: str, rows: dict[str, dict]) -> str:
    lines = [f"{command}: wall seconds of a new process, and its median ratio to `python -c pass`"]
    lines.append(f"  {'command':<36} {'min':>7} {'median':>7} {'ratio':>7}")
    for label, row in rows.items():
        lines.append(f"  {label:<36} {row['min']:>7.3f} {row['median']:>7.3f} {row['ratio']:>7.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
