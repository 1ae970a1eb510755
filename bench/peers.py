"""hubmail against GNU Mailman 3.3.10 on the same corpus, injector and relay sink, in one run.

    python bench/peers.py [--cases hold,accept,digest] [--pairs 2] [--personalize true,false]

Cases (the peer-bench cases of ../shared/peer-bench, README there):
  hold    N=1000 posts over 4 LMTP connections, every post held; until all are held and every
          notice handed to the sink. Also: the rate of 250 answers, against the fsync sink's.
  accept  N=50 posts from trusted senders (`hubmail trusted add`), 200 each-post subscribers;
          until every copy is handed to the sink (posts/s). hubmail publishes a trusted sender's
          post only when its DKIM signature verifies, so the corpus is signed first with a key
          made for the run and published through [dns] static_records: hubmail pays the check.
  digest  N=1,000 posts published, 100 weekly subscribers; one digest run until every digest is
          handed to the sink, and how much the database grew.
Each pair runs Mailman, then hubmail (then hubmail, then Mailman for the next pair), so a ratio
comes from one machine state. Mailman runs by ../shared/peer-bench/bench_mailman.sh in $PEER
(default ../peer), installed there on first use; hubmail from this checkout's .venv.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
HARNESS = CHECKOUT.parent / "shared" / "peer-bench"
PEER = Path(os.environ.get("PEER", CHECKOUT.parent / "peer")).resolve()
HUBMAIL = CHECKOUT / ".venv" / "bin" / "hubmail"
N = {"hold": 1000, "accept": 50, "digest": 1000}
MAILMAN_MODE = {"hold": "hold", "accept": "accept", "digest": "digestonly"}


def main() -> None:
    args = _arguments()
    _install()
    sys.path.insert(0, str(HARNESS))
    rows = []
    for case in args.cases.split(","):
        for personalize in [True] if case == "hold" else [p == "true" for p in args.personalize.split(",")]:
            for pair in range(args.pairs):
                first, second = (mailman, hubmail) if pair % 2 == 0 else (hubmail, mailman)
                results = {}
                for run in (first, second):
                    print(f"== {case} pair {pair + 1} {run.__name__} personalize={personalize}", flush=True)
                    results[run.__name__] = run(case, personalize)
                    print("  ", json.dumps(results[run.__name__]), flush=True)
                if case == "hold":
                    results["fsync_sink"] = fsync_sink(N[case])
                rows.append(_row(case, pair + 1, personalize, results))
    print()
    print(_table(rows))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="hold,accept,digest")
    parser.add_argument("--pairs", type=int, default=2, help="each pair is Mailman and hubmail back to back")
    parser.add_argument(
        "--personalize", default="true,false", help="[delivery] personalize for accept, digest"
    )
    return parser.parse_args()


def _install() -> None:
    """Mailman in $PEER/mm-venv and the seeded corpus, once; psutil and aiosmtpd come with it."""
    if not (PEER / "mm-venv" / "bin" / "mailman").exists() or not (PEER / "corpus.mbox").exists():
        PEER.mkdir(parents=True, exist_ok=True)
        subprocess.run(["bash", str(HARNESS / "bench_mailman.sh"), "install"], env=_env(), check=True)
    python = PEER / "mm-venv" / "bin" / "python"
    if Path(sys.prefix).resolve() != (PEER / "mm-venv").resolve():  # the harness needs psutil and aiosmtpd
        os.execv(str(python), [str(python), *sys.argv])


def _env() -> dict[str, str]:
    return {**os.environ, "PEER": str(PEER)}


def mailman(case: str, personalize: bool) -> dict:
    n, mode = N[case], MAILMAN_MODE[case]
    subprocess.run(
        ["bash", str(HARNESS / "bench_mailman.sh"), "case", str(n), mode, "4"],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    found = json.loads((PEER / "results" / f"mm-n{n}-{mode}-c4.json").read_text())
    return {
        "ingress_per_s": found.get("lmtp_msgs_per_s"),
        "e2e_s": found.get("e2e_drained_s") or found.get("e2e_delivered_archived_s"),
        "digest_s": found.get("digest_e2e_s"),
        "rss_mb": found.get("rss_peak_sum_mb"),
        "complete": found.get("complete"),
    }


def fsync_sink(n: int) -> float:
    """The ceiling's fsync sink: an aiosmtpd server that fsyncs each message before its 250."""
    out = subprocess.run(
        [sys.executable, str(HARNESS / "ceiling.py"), str(PEER / "corpus.mbox"), str(n), "4"],
        capture_output=True,
        text=True,
        cwd=tempfile.mkdtemp(),
        check=True,
    ).stdout
    return float(re.search(r"FsyncSink: .* ([\d.]+) msg/s", out).group(1))


def hubmail(case: str, personalize: bool) -> dict:
    from bench_run import RssSampler, inject, load_messages

    n = N[case]
    messages = load_messages(str(PEER / "corpus.mbox"), n)
    scratch = Path(tempfile.mkdtemp(prefix="hub-", dir=PEER))
    if case != "hold":  # published because trusted, so signed (untimed: the senders' MTAs do it)
        messages = _signed(scratch, messages)
    people = [
        line.split("\t")[0] for line in (PEER / "corpus.mbox.participants.tsv").read_text().splitlines()
    ]
    ports = [_free_port() for _ in range(3)]
    config = _config(scratch, *ports, personalize)
    env = {**os.environ, "HUBMAIL_CONFIG": str(config)}
    cli = _cli(scratch, env)
    if case != "hold":
        if case == "accept":
            cli("subscribers", "add", "--space", "review", "--mode", "each", *people[:200])
        cli("subscribers", "add", "--space", "review", "--mode", "weekly", *people[200:])
        cli("trusted", "add", "--space", "review", *people)
    stats = scratch / "sink.json"
    sink = subprocess.Popen(
        [
            sys.executable,
            str(HARNESS / "sink.py"),
            "--port",
            str(ports[0]),
            "--stats",
            str(stats),
            "--list",
            "review@example.org",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    serve = subprocess.Popen(
        [str(HUBMAIL), "serve"],
        cwd=scratch,
        env=env,
        stdout=(scratch / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    probe = Probe(scratch / "data")
    try:
        _wait_port(ports[1])
        rss = RssSampler(serve.pid)
        rss.start()
        t0, t1, sent, errors = inject(messages, "127.0.0.1", ports[1], "review@example.org", 4)
        status = "held" if case == "hold" else "published"
        copies = 200 * n if case == "accept" else 0  # every each-post subscriber's copy handed over
        done = probe.wait(
            lambda s: (
                s["posts"].get(status, 0) >= n
                and s["pending"] == 0
                and s["spool"] == 0
                and s["copies"] >= copies
            )
        )
        result = {
            "ingress_per_s": round(sent / (t1 - t0), 1),
            "e2e_s": round(done - t0, 2),
            "errors": len(errors),
        }
        if case == "digest":
            size = probe.size()
            d0 = time.time()
            cli("digest", "send", "--space", "review", "--mode", "weekly")
            result["digest_s"] = round(probe.wait(lambda s: s["pending"] == 0) - d0, 2)
            result["db_growth_mb"] = round((probe.size() - size) / 2**20, 1)
        rss.stop_ev.set()
        result["rss_mb"] = round(rss.peak_sum / 2**20, 1)
        result["sink"] = json.loads(stats.read_text()) if stats.exists() else {}
        return result
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(60)
        sink.send_signal(signal.SIGTERM)
        sink.wait(10)


class Probe:
    """hubmail's state, read from its SQLite database read-only and its spool folder."""

    def __init__(self, data: Path) -> None:
        self.data = data

    def state(self) -> dict:
        try:
            db = sqlite3.connect(f"file:{self.data / 'hubmail.sqlite3'}?mode=ro", uri=True, timeout=10)
            try:
                posts = dict(db.execute("select status, count(*) from post group by status").fetchall())
                pending = db.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]
                copies = db.execute("select count(*) from outbox where kind = 'post' and status = 'sent'")
                copies = copies.fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            posts, pending, copies = {}, -1, 0
        spool = self.data / "spool" / "new"
        spooled = len(os.listdir(spool)) if spool.is_dir() else 0
        return {"posts": posts, "pending": pending, "spool": spooled, "copies": copies}

    def wait(self, done, stall: float = 300) -> float:
        last, changed = None, time.time()
        while True:
            state = self.state()
            if done(state):
                return time.time()
            if state != last:
                last, changed = state, time.time()
            elif time.time() - changed > stall:
                raise SystemExit(f"hubmail stalled: {state}")
            time.sleep(0.1)

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.data.glob("hubmail.sqlite3*"))


def _signed(scratch: Path, messages: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The messages signed by bench/sign_corpus.py, in hubmail's venv (dkimpy is there, and this
    script runs in Mailman's for psutil); it also writes the static records in scratch."""
    lines = "".join(json.dumps([sender, base64.b64encode(raw).decode()]) + "\n" for sender, raw in messages)
    signer = [str(HUBMAIL.with_name("python")), str(CHECKOUT / "bench" / "sign_corpus.py"), str(scratch)]
    out = subprocess.run(signer, input=lines.encode(), capture_output=True, check=True).stdout
    return [(sender, base64.b64decode(raw)) for sender, raw in map(json.loads, out.splitlines())]


def _config(scratch: Path, sink_port: int, lmtp_port: int, web_port: int, personalize: bool) -> Path:
    path = scratch / "hubmail.toml"
    signed = (scratch / "dns.txt").exists()
    dns = '[dns]\nstatic_records = "dns.txt"\nsystem_resolver = false\n' if signed else ""
    path.write_text(f"""
[site]
domain = "example.org"
base_url = "http://127.0.0.1:{web_port}"
data_dir = "data"
secret_key = "bench-secret"

[smtp]
listen = "127.0.0.1:{lmtp_port}"
protocol = "lmtp"

[outbound]
port = {sink_port}

[delivery]
personalize = {str(personalize).lower()}

{dns}
[web]
listen = "127.0.0.1:{web_port}"

[[spaces]]
slug = "review"
title = "Space review"
moderators = ["owner@example.org", "mod2@example.org"]
languages = ["en", "fr"]

[[spaces.questions]]
number = 1
text = {{ en = "Question 1 in English?", fr = "Question 1 en français ?" }}
""")
    return path


def _cli(scratch: Path, env: dict):
    def run(*args: str) -> None:
        subprocess.run([str(HUBMAIL), *args], cwd=scratch, env=env, check=True, capture_output=True)

    return run


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int) -> None:
    import socket

    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("hubmail serve did not listen")


def _row(case: str, pair: int, personalize: bool, results: dict) -> dict:
    mm, hub = results["mailman"], results["hubmail"]
    if case == "hold":
        return {
            "case": case,
            "pair": pair,
            "personalize": personalize,
            "mailman": f"{N[case] / mm['e2e_s']:.1f} msg/s",
            "hubmail": f"{N[case] / hub['e2e_s']:.1f} msg/s",
            "ratio": mm["e2e_s"] / hub["e2e_s"],
            "extra": f"250s {hub['ingress_per_s']} msg/s = "
            f"{hub['ingress_per_s'] / results['fsync_sink']:.2f} x fsync sink; "
            f"RSS {hub['rss_mb']} MB vs {mm['rss_mb']} MB",
        }
    if case == "accept":
        return {
            "case": case,
            "pair": pair,
            "personalize": personalize,
            "mailman": f"{N[case] / mm['e2e_s']:.2f} posts/s",
            "hubmail": f"{N[case] / hub['e2e_s']:.2f} posts/s",
            "ratio": mm["e2e_s"] / hub["e2e_s"],
            "extra": f"RSS {hub['rss_mb']} MB vs {mm['rss_mb']} MB",
        }
    return {
        "case": case,
        "pair": pair,
        "personalize": personalize,
        "mailman": f"{mm['digest_s']} s",
        "hubmail": f"{hub['digest_s']} s",
        "ratio": mm["digest_s"] / hub["digest_s"],
        "extra": f"database grew {hub['db_growth_mb']} MB",
    }


def _table(rows: list[dict]) -> str:
    lines = [
        "| case | pair | personalize | Mailman 3.3.10 | hubmail | hubmail / Mailman | also |",
        "|---" * 7 + "|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['pair']} | {r['personalize']} | {r['mailman']} | {r['hubmail']} | "
            f"{r['ratio']:.2f}x | {r['extra']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
