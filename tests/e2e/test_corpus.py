"""Every real-world message in ../shared/corpus ends as a stored post or gets a clear refusal."""

from __future__ import annotations

import csv
import os
import smtplib
from pathlib import Path

import pytest

from archive.record.parsing import ParseLimits, parse_message
from tests.support.hubserver import HubServer, wait_for

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def corpus_rows() -> list[dict]:
    if not (CORPUS / "MANIFEST.csv").exists():
        if os.environ.get("HUBMAIL_REQUIRE_SERVERS") == "1":
            pytest.fail(f"the shared corpus is missing at {CORPUS}")
        pytest.skip(f"the shared corpus is not beside this checkout ({CORPUS})")
    with open(CORPUS / "MANIFEST.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def wire_bytes(row: dict) -> bytes:
    """The file as it travels in DATA: CRLF line endings, ending with CRLF."""
    raw = (CORPUS / row["file"]).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def is_bounce(row: dict) -> bool:
    """flufl.bounce's own tests name the addresses its detectors must find in these."""
    return row["source"] == "flufl-bounce" and "must find [b'" in row["expected"]


def test_every_corpus_message_is_stored_or_refused(tmp_path, sink):
    rows = corpus_rows()
    hub = HubServer(tmp_path, sink.port).start()
    answers: dict[str, tuple[int, bytes]] = {}
    try:
        with smtplib.SMTP("127.0.0.1", hub.smtp_port, timeout=60) as client:
            client.ehlo()
            for row in rows:
                client.mail("corpus@sender.example")
                client.rcpt("unece-review@hub.example.org")
                answers[row["file"]] = client.data(wire_bytes(row))
        wait_for(
            lambda: b'"spool_pending": 0' in hub.cli("status", "--json").stdout,
            120,
            what="the worker to empty the spool",
        )
        status = hub.cli("status", "--json").stdout.decode()
        posts = {p["message_id"]: p for p in hub.posts()}
    finally:
        hub.stop()
    assert '"failed": []' in status, status
    for row in rows:
        code, text = answers[row["file"]]
        assert code in (250, 552, 554), (row["file"], code, text)
        if code != 250:  # a clear reason, never a bare error
            assert b"refused:" in text or b"Too much mail data" in text, (row["file"], text)
            continue
        expected_id = parse_message(wire_bytes(row), ParseLimits()).message_id
        assert expected_id in posts, row["file"]
        if is_bounce(row):
            assert posts[expected_id]["status"] == "discarded", row["file"]
    assert "Traceback" not in hub.log.read_text()
    refused = [f for f, (code, _) in answers.items() if code != 250]
    # Only the empty ones, the one with a 100 KiB header and the one over the test's 2 MB limit.
    assert len(refused) <= 4, refused
