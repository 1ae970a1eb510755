"""A real aiosmtpd relay whose answers a test scripts: refuse some recipients, refuse DATA, hang up."""

from __future__ import annotations

from aiosmtpd.controller import Controller

from tests.support.hubserver import free_port


class ScriptedHandler:
    def __init__(self) -> None:
        self.rcpt: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 no such user"
        self.data: list[str] = []  # replies to the next DATAs, in order ("554 ...", "hangup")
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.transactions = 0
        self.port = 0
        self.pipelining = True  # offered in EHLO; aiosmtpd reads pipelined commands in order anyway
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.transactions += 1
        reply = self.data.pop(0) if self.data else "250 OK"
        if reply == "hangup":  # the connection is reset in the middle of the transaction
            server.transport.close()
            return "421 closing"
        if reply.startswith("250"):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return reply


class ScriptedRelay:
    def __init__(self) -> None:
        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> ScriptedHandler:
        self.controller.start()
        self.handler.port = self.port
        return self.handler

    def __exit__(self, *exc) -> None:
        self.controller.stop()
