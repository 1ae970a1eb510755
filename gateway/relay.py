"""One SMTP session to the relay: transactions with many recipients, PIPELINING where it is offered.

A transaction's result names each refused recipient with the relay's reply, so one refused
address among many fails only that one (RFC 5321 §3.3); a reply that refuses the whole
transaction raises Refused, permanent (5xx) or temporary (4xx); a lost connection raises OSError.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from dataclasses import dataclass

DOT_STUFF = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Reply:
    code: int
    text: str

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Refused(Exception):
    """The relay refused the whole transaction."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(str(reply))
        self.reply = reply


class SmtpSession:
    """A reused session; `close()` after a round (an idle relay session is not kept open)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.client: smtplib.SMTP | None = None

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> dict[str, Reply]:
        """Hand one message to the relay; returns the recipients it refused, with the reply.
        A reused session the relay has since closed is opened again, once, when the message's
        body has not been sent yet (so the relay cannot have taken it)."""
        reused = self.client is not None
        try:
            try:
                return self._transaction(self._session(), envelope_from, recipients, raw)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as lost:
                if not reused or getattr(lost, "body_sent", False):
                    raise
                self.close()
                return self._transaction(self._session(), envelope_from, recipients, raw)
        except Refused as refused:
            if refused.reply.code == 421:  # the relay is closing the session
                self.close()
            raise
        except (smtplib.SMTPException, OSError):
            self.close()  # a dropped or confused session: the rows are retried with a new one
            raise

    def _session(self) -> smtplib.SMTP:
        if self.client is None:
            self.client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            self.client.ehlo()
        return self.client

    def _transaction(
        self, client: smtplib.SMTP, sender: str, recipients: list[str], raw: bytes
    ) -> dict[str, Reply]:
        options = " BODY=8BITMIME" if not raw.isascii() and client.has_extn("8bitmime") else ""
        commands = [f"MAIL FROM:<{sender}>{options}", *(f"RCPT TO:<{r}>" for r in recipients), "DATA"]
        if client.has_extn("pipelining"):
            client.send("".join(f"{command}\r\n" for command in commands).encode("ascii"))
            replies = [_reply(client) for _ in commands]
        else:
            replies = []
            for command in commands:
                client.send(f"{command}\r\n".encode("ascii"))
                replies.append(_reply(client))
                if replies[0].code != 250:
                    break
        mail, rcpts, data = replies[0], replies[1:-1], replies[-1]
        if mail.code != 250:
            _reset(client, data)
            raise Refused(mail)
        refused = {
            r: reply for r, reply in zip(recipients, rcpts, strict=True) if reply.code not in (250, 251)
        }
        if data.code != 354:
            _reset(client, data)
            if len(refused) == len(recipients):
                return refused  # every recipient refused: DATA is rightly refused too
            raise Refused(data)
        body = DOT_STUFF.sub(b"..", raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        try:
            client.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
            done = _reply(client)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as lost:
            lost.body_sent = True  # the relay may have the message: never sent again in this session
            raise
        if done.code != 250:
            raise Refused(done)
        return refused

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.client.quit()
            self.client = None


def _reply(client: smtplib.SMTP) -> Reply:
    code, text = client.getreply()
    return Reply(code, text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))


def _reset(client: smtplib.SMTP, data: Reply) -> None:
    """After a refused MAIL or DATA: end a DATA the relay did start, then RSET for the next message."""
    if data.code == 354:
        client.send(b".\r\n")
        _reply(client)
    client.send(b"RSET\r\n")
    _reply(client)
