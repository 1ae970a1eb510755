"""Behind a real Postfix: the README's transport_maps (LMTP) and pipe transport, end to end."""

from __future__ import annotations

import smtplib
import sys
from pathlib import Path

from tests.e2e.test_smtp_ingress import message
from tests.support.hubserver import HubServer, Sink, wait_for
from tests.support.postfix import throwaway_postfix
from tests.support.servers import hand_over, traversable, unprivileged_user

DOMAIN = "hub.example.org"
ONE_RECIPIENT = "hubmail_destination_recipient_limit = 1"  # ${recipient} is then one address
HUBMAIL = str(Path(sys.executable).with_name("hubmail"))


def send_through(postfix_port: int, recipients: list[str], raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", postfix_port, timeout=30) as client:
        assert client.sendmail("ana@ngo.example", recipients, raw) == {}


def test_postfix_relays_the_space_domain_to_hubmail_over_lmtp(tmp_path):
    with Sink() as sink:
        hub = HubServer(tmp_path / "hub", sink.port, protocol="lmtp").start()
        transport = f"lmtp:inet:127.0.0.1:{hub.smtp_port}"
        try:
            with throwaway_postfix(tmp_path / "postfix", DOMAIN, transport) as postfix:
                recipients = [f"unece-review+q2@{DOMAIN}", f"nosuch@{DOMAIN}"]
                send_through(postfix.port, recipients, message("via-postfix@ngo.example"))
                [post] = hub.wait_for_posts(1)
                # One status per recipient: the good one delivered, the unknown one bounced with our reason.
                log = wait_for(lambda: "status=bounced" in (t := postfix.log_tail()) and t, what="the bounce")
        finally:
            hub.stop()
    assert (post["message_id"], post["status"], post["question"]) == ("via-postfix@ngo.example", "held", 2)
    assert f"to=<unece-review+q2@{DOMAIN}>" in log and "status=sent" in log
    assert "no discussion space called 'nosuch'" in log


def test_postfix_asks_hubmail_at_rcpt_time_so_unknown_addresses_never_bounce(tmp_path):
    # The README's recipient check; mynetworks must not include us, or permit_mynetworks skips it.
    verify = (
        "mynetworks = 192.0.2.0/24\nsmtpd_recipient_restrictions = permit_mynetworks, "
        "reject_unauth_destination, reject_unverified_recipient\nunverified_recipient_reject_code = 550"
    )
    with Sink() as sink:
        hub = HubServer(tmp_path / "hub", sink.port, protocol="lmtp").start()
        transport = f"lmtp:inet:127.0.0.1:{hub.smtp_port}"
        try:
            with throwaway_postfix(tmp_path / "postfix", DOMAIN, transport, extra=verify) as postfix:
                with smtplib.SMTP("127.0.0.1", postfix.port, timeout=60) as client:
                    recipients = [f"unece-review@{DOMAIN}", f"nosuch@{DOMAIN}"]
                    refused = client.sendmail("ana@ngo.example", recipients, message("verified@ngo.example"))
                [post] = hub.wait_for_posts(1)
        finally:
            hub.stop()
    assert list(refused) == [f"nosuch@{DOMAIN}"] and refused[f"nosuch@{DOMAIN}"][0] == 550
    assert post["message_id"] == "verified@ngo.example"


def test_postfix_pipe_transport_runs_hubmail_deliver(tmp_path):
    with Sink() as sink:
        hub = HubServer(tmp_path / "hub", sink.port).start()
        hand_over(tmp_path / "hub" / "data" / "spool", unprivileged_user())  # the pipe's user writes here
        service = (
            "hubmail unix - n n - - pipe flags=Rq user=nobody "
            f"argv={HUBMAIL} deliver --config {hub.config} --to ${{recipient}} --from ${{sender}}"
        )
        python = Path(sys.executable).resolve()  # Postfix's pipe never runs a command as root
        try:
            with (
                traversable(python, Path(HUBMAIL)),
                throwaway_postfix(
                    tmp_path / "postfix", DOMAIN, "hubmail:", services=service, extra=ONE_RECIPIENT
                ) as postfix,
            ):
                send_through(postfix.port, [f"unece-review+q1@{DOMAIN}"], message("piped-pf@ngo.example"))
                [post] = hub.wait_for_posts(1)
        finally:
            hub.stop()
    assert (post["message_id"], post["question"]) == ("piped-pf@ngo.example", 1)
