"""LMTP answers per recipient; `hubmail deliver` speaks sysexits to a pipe transport."""

from __future__ import annotations

import smtplib
import subprocess
import sys

from tests.e2e.test_smtp_ingress import message
from tests.support.hubserver import HubServer, Sink


def test_lmtp_gives_one_status_per_recipient(tmp_path):
    with Sink() as sink:
        hub = HubServer(tmp_path, sink.port, protocol="lmtp").start()
        try:
            client = smtplib.LMTP("127.0.0.1", hub.smtp_port)
            client.ehlo()  # smtplib's LMTP sends LHLO
            refused = client.sendmail(
                "ana@ngo.example",
                ["unece-review@hub.example.org", "unece-review+q1@hub.example.org"],
                message("lmtp@ngo.example"),
            )
            client.quit()
            assert refused == {}
            [post] = hub.wait_for_posts(1)
            assert post["message_id"] == "lmtp@ngo.example"
        finally:
            hub.stop()


def test_deliver_exit_codes(tmp_path):
    hub = HubServer(tmp_path, 9)  # not started: deliver only spools
    ok = hub.cli(
        "deliver",
        "--to",
        "unece-review+q1@hub.example.org",
        "--from",
        "ana@ngo.example",
        input=message("piped@ngo.example"),
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    unknown = hub.cli("deliver", "--to", "nobody@hub.example.org", input=message("x@y"), check=False)
    assert unknown.returncode == 67 and b"unknown address" in unknown.stderr
    empty = hub.cli("deliver", "--to", "unece-review@hub.example.org", input=b"\r\n", check=False)
    assert empty.returncode == 65 and b"empty message" in empty.stderr
    with Sink() as sink:
        hub.config.write_text(hub.config.read_text().replace("port = 9\n", f"port = {sink.port}\n"))
        hub.start()
        try:
            [post] = hub.wait_for_posts(1)
            assert post["message_id"] == "piped@ngo.example" and post["question"] == 1
        finally:
            hub.stop()


def test_deliver_with_broken_config_asks_the_mta_to_try_again(tmp_path):
    hub = HubServer(tmp_path, 9)
    hub.config.write_text("[site\n")
    result = hub.cli("deliver", "--to", "unece-review@hub.example.org", input=message("x@y"), check=False)
    assert result.returncode == 75 and b"cannot take mail now" in result.stderr


LIGHT_DELIVER = """
import io, sys
from gateway.entry import main
sys.argv = ["hubmail", "deliver", "--to", "unece-review@hub.example.org", "--config", sys.argv[1]]
sys.stdin = io.TextIOWrapper(io.BytesIO(b"From: a@ngo.example\\r\\nSubject: x\\r\\n\\r\\nhi\\r\\n"))
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.partition(".")[0] in ("sqlalchemy", "sqlmodel", "starlette"))
print(code, heavy)
"""


def test_deliver_starts_light_and_never_loads_the_database_layer(tmp_path):
    # Postfix starts one `hubmail deliver` per message: it must not import SQLAlchemy and the archive.
    hub = HubServer(tmp_path, 9)
    result = subprocess.run(
        [sys.executable, "-c", LIGHT_DELIVER, str(hub.config)], capture_output=True, text=True, timeout=60
    )
    queued, imported = result.stdout.strip().splitlines()
    assert queued.startswith("hubmail: queued as") and imported == "0 []", result.stderr
