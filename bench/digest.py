"""Digest benchmark: render and hand weekly digests to a local sink relay, against a bare SMTP client.

    python bench/digest.py [--subscribers 10000] [--posts 2000] [--spaces 5] [--json]

Builds a hub (SQLite) with published posts and weekly subscribers, then times the same code the
scheduler runs: render and queue every digest in one transaction, then hand the outbox to an
aiosmtpd sink that discards. The ceiling is a bare smtplib session sending the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shlex
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402 - after the path is set

from archive.record.bodies import letter_bytes  # noqa: E402
from archive.record.mailing import Mailing  # noqa: E402
from archive.record.models import OutgoingMail, Post  # noqa: E402
from archive.record.publish import prepare_for_display  # noqa: E402
from archive.record.spaces import question_row, space_row  # noqa: E402
from archive.record.urls import message_hash  # noqa: E402
from config import load_settings  # noqa: E402
from config.database import session_scope  # noqa: E402
from digest.delivery import send_digests  # noqa: E402
from digest.models import Subscriber  # noqa: E402
from gateway.hub import open_hub  # noqa: E402
from gateway.outbox import drain_outbox  # noqa: E402
from gateway.relay import SmtpSession  # noqa: E402

SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    factory = lambda: SMTP(Discard(), data_size_limit=None)
    server = await loop.create_server(factory, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""
WORDS = ["migration", "policy", "practice", "partnership", "city", "shelter", "integration", "labour"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(folder: Path, spaces: int, posts: int, subscribers: int, relay: int):
    text = f'[site]\nsecret_key = "bench"\ndata_dir = "{folder / "data"}"\n[outbound]\nport = {relay}\n'
    for n in range(spaces):
        text += f'[[spaces]]\nslug = "space-{n}"\ntitle = "Space {n}"\nmoderators = ["mod@un.example"]\n'
        text += "".join(f'[[spaces.questions]]\nnumber = {q}\ntext = "Question {q}?"\n' for q in range(1, 6))
    (folder / "hubmail.toml").write_text(text)
    hub = open_hub(load_settings(folder / "hubmail.toml", env={}))
    rng, start = random.Random(1), dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
    with session_scope(hub.engine) as session:
        ids = [space_row(session, f"space-{n}").id for n in range(spaces)]
        for n in range(subscribers):
            session.add(
                Subscriber(
                    space_id=ids[n % spaces],
                    address=f"s{n}@org{n % 80}.example",
                    mode="weekly",
                    status="active",
                    cursor_at=start - dt.timedelta(days=1),
                )
            )
        for n in range(posts):
            space_id = ids[n % spaces]
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 150)))
            when = start + dt.timedelta(minutes=n)
            post = Post(
                space_id=space_id,
                question_id=question_row(session, space_id, rng.randint(1, 5)).id,
                status="published",
                message_id=f"d{n}@bench.example",
                message_hash=message_hash(f"d{n}"),
                from_addr=f"p{n % 300}@org.example",
                from_name=f"Participant {n % 300}",
                subject=f"Topic {n}",
                received_at=when,
                published_at=when,
                body_text=body,
                raw=body.encode(),
                raw_sha256="",
            )
            session.add(post)
            session.flush()
            post.thread_id = post.id
            prepare_for_display(session, post)
    return hub


def bare_ceiling(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for envelope_from, recipient, raw in messages:
            client.sendmail(envelope_from, [recipient], raw)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    try:
        with tempfile.TemporaryDirectory(prefix="hubmail-digest-bench-") as temp:
            hub = build(Path(temp), args.spaces, args.posts, args.subscribers, port)
            started = time.perf_counter()
            with session_scope(hub.engine) as session:
                count = send_digests(Mailing.at(hub.settings, dt.datetime.now(dt.UTC)), session, "weekly")
            rendered = time.perf_counter() - started
            mailers = [SmtpSession("127.0.0.1", port, 30) for _ in range(hub.settings.outbound.connections)]
            drain_outbox(hub.engine, mailers, batch=None)
            total = time.perf_counter() - started
            with session_scope(hub.engine) as session:
                sample = [
                    (r.envelope_from, r.recipient, letter_bytes(session, r))
                    for r in session.exec(select(OutgoingMail))
                ]
            ceiling = bare_ceiling(port, sample)
            size = sum(len(raw) for _, _, raw in sample) / max(len(sample), 1)
    finally:
        sink.kill()
        sink.wait()
    report = {
        "command": " ".join(shlex.quote(a) for a in ["bench/digest.py", *sys.argv[1:]]),
        "digests": count,
        "posts": args.posts,
        "average_digest_kib": round(size / 1024, 1),
        "render_and_queue_seconds": round(rendered, 1),
        "total_seconds_to_sink": round(total, 1),
        "digests_per_second": round(count / total, 1),
        "bare_smtplib_per_second": round(len(sample) / ceiling, 1),
        "ratio_to_bare": round((count / total) / (len(sample) / ceiling), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k:<26} {v}" for k, v in report.items()))


if __name__ == "__main__":
    main()
