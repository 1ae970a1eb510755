"""IMAP ingress benchmark: hubmail's pass over a Dovecot folder against a bare imapclient loop.

    python bench/imap.py [--messages 2000] [--json]

Both take the same corpus messages (../shared/tools/make_corpus.py) from a throwaway Dovecot on
127.0.0.1, 25 per FETCH BODY.PEEK[], and MOVE them away. The bare loop stops there (the ceiling);
hubmail also rebuilds each envelope, writes it to the spool with fsync and records the last UID.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402

from bench.ingest import CORPUS_TOOL, load_messages  # noqa: E402
from config import load_settings  # noqa: E402
from gateway.hub import open_hub  # noqa: E402
from gateway.imap import BATCH, MailboxReader  # noqa: E402
from tests.support.dovecot import PASSWORD, USER, throwaway_dovecot  # noqa: E402

CONFIG = """
[site]
domain = "hub.example.org"
secret_key = "bench"
data_dir = "{data}"
[[imap]]
name = "bench"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "BENCH_IMAP_PASSWORD"
folder = "hubmail-in"
processed_folder = "hubmail-done"
default_address = "review@hub.example.org"
[[spaces]]
slug = "review"
title = "Bench"
moderators = ["mod@un.example"]
"""


def login(port: int) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port, ssl=False, timeout=120)
    client.login(USER, PASSWORD)
    return client


def fill(port: int, folder: str, messages: list[bytes]) -> None:
    client = login(port)
    client.create_folder(folder)
    for raw in messages:
        client.append(folder, raw)
    client.logout()


def bare(port: int) -> float:
    """The ceiling: fetch and move, keeping nothing."""
    client = login(port)
    client.create_folder("bare-done")
    started = time.perf_counter()
    client.select_folder("bare-in")
    uids = sorted(client.search())
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        client.fetch(batch, ["RFC822.SIZE"])
        client.fetch(batch, ["BODY.PEEK[]"])
        client.move(batch, "bare-done")
    elapsed = time.perf_counter() - started
    client.logout()
    return elapsed


def hubmail(port: int, folder: Path) -> tuple[float, int]:
    config = folder / "hubmail.toml"
    config.write_text(CONFIG.format(data=folder / "data", port=port, user=USER))
    hub = open_hub(load_settings(config, env={}))
    reader = MailboxReader(hub.settings.imap[0], hub.settings, hub.engine, hub.spool)
    client = login(port)
    started = time.perf_counter()
    report = reader.poll(client)
    elapsed = time.perf_counter() - started
    client.logout()
    return elapsed, report.taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubmail-imap-bench-") as temp:
        folder = Path(temp)
        messages = [raw for _sender, raw in load_messages(CORPUS_TOOL, args.messages, folder)]
        with throwaway_dovecot(folder / "dovecot") as dovecot:
            fill(dovecot.port, "bare-in", messages)
            fill(dovecot.port, "hubmail-in", messages)
            ceiling = bare(dovecot.port)
            took, taken = hubmail(dovecot.port, folder)
    result = {
        "messages": len(messages),
        "taken": taken,
        "hubmail_msgs_per_s": round(taken / took, 1),
        "bare_imapclient_msgs_per_s": round(len(messages) / ceiling, 1),
        "ratio": round((taken / took) / (len(messages) / ceiling), 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['messages']} messages: hubmail took {result['hubmail_msgs_per_s']} msg/s into the spool, "
        f"a bare imapclient fetch-and-move loop {result['bare_imapclient_msgs_per_s']} msg/s; "
        f"ratio {result['ratio']}"
    )


if __name__ == "__main__":
    main()
