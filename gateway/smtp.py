"""SMTP/LMTP ingress on aiosmtpd: refuse early at RCPT, answer 250 only once the spool has it."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession

from archive.record.parsing import MessageRefused, ParseLimits, check_acceptable
from config import Settings
from config.settings import split_listen
from gateway.routing import Unroutable, route
from gateway.spool import Envelope, Spool

log = logging.getLogger("hubmail.smtp")
BARE_LF = re.compile(rb"(?<!\r)\n")
# Per session. NOOP and the like only keep a slot busy; a real session has few of them (RSET comes
# between messages, so it counts among the 100,000 as MAIL does).
COMMAND_LIMITS = {"NOOP": 20, "VRFY": 10, "EXPN": 10, "HELP": 10, "*": 100_000}


class IngressHandler:
    """aiosmtpd handler: only the hooks we need, each answering with a status line."""

    def __init__(self, settings: Settings, spool: Spool, on_spooled: Callable[[], None]) -> None:
        self.settings, self.spool, self.on_spooled = settings, spool, on_spooled
        self.limits = ParseLimits(**vars(settings.limits))
        self.lmtp = settings.smtp.protocol == "lmtp"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.settings.smtp.max_recipients:
            return "452 4.5.3 Too many recipients"
        try:
            route(address, self.settings)
        except Unroutable as exc:
            log.info("RCPT %s refused: %s", address, exc)
            await self._slow_down_probing(session)
            return f"550 5.1.1 {exc}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list[str]) -> list[str]:
        """PIPELINING is advertised (aiosmtpd reads pipelined commands in order, RFC 2920)."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def _slow_down_probing(self, session: SmtpSession) -> None:
        """Each unknown recipient past the grace answered a second later than the one before."""
        refused = getattr(session, "hubmail_refused", 0) + 1
        session.hubmail_refused = refused
        if (
            refused > self.settings.smtp.probe_grace
            and session.peer[0] not in self.settings.smtp.trusted_peers
        ):
            await asyncio.sleep(min(refused - self.settings.smtp.probe_grace, 10))

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:
        raw = BARE_LF.sub(b"\r\n", envelope.original_content or b"")  # as Postfix: CRLF throughout
        try:
            check_acceptable(raw, self.limits)
        except MessageRefused as exc:
            log.info("DATA from %s refused: %s", envelope.mail_from, exc)
            return self._status(envelope, f"554 5.6.0 Message refused: {exc}")
        spooled = Envelope(
            mail_from=envelope.mail_from or "",
            recipients=list(envelope.rcpt_tos),
            source=self.settings.smtp.protocol,
            peer=str(session.peer[0]),
        )
        try:
            # fsync blocks: keep it off the event loop so other sessions go on meanwhile.
            name = await asyncio.get_running_loop().run_in_executor(None, self.spool.put, spooled, raw)
        except OSError as exc:
            log.error("spool write failed: %s", exc)
            return self._status(envelope, "451 4.3.0 Could not store the message; try again later")
        self.on_spooled()
        return self._status(envelope, f"250 2.0.0 Queued as {name.removesuffix('.msg')}")

    def _status(self, envelope: SmtpEnvelope, line: str) -> str:
        # LMTP answers DATA once per recipient (RFC 2033 §4.2).
        return "\r\n".join([line] * len(envelope.rcpt_tos)) if self.lmtp else line


class ConnectionLimit:
    """Mixin: at most `limit` simultaneous sessions per client address (more get 421 and close),
    each at most `longest` seconds; the local MTA's `trusted` addresses are exempt from both."""

    limit = 20
    longest = 600
    trusted: frozenset = frozenset()
    open_sessions: Counter

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = (transport.get_extra_info("peername") or ("?",))[0]
        self._peer_address, self._timer = peer, None
        if peer not in self.trusted and self.open_sessions[peer] >= self.limit:
            self._refused = True
            transport.write(b"421 4.7.0 Too many connections from your address; try again later\r\n")
            transport.close()
            return
        self._refused = False
        self.open_sessions[peer] += 1
        super().connection_made(transport)
        if peer not in self.trusted:
            self._timer = asyncio.get_running_loop().call_later(
                self.longest, self._session_too_long, transport
            )

    def _session_too_long(self, transport: asyncio.BaseTransport) -> None:
        """Nothing is lost: a message not yet answered 250 is the client's to send again."""
        transport.write(b"421 4.4.2 Session too long; closing\r\n")
        transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._timer is not None:
            self._timer.cancel()
        self.open_sessions[self._peer_address] -= 1
        super().connection_lost(error)


class LongLinesInData:
    """Mixin: in DATA a line may be as long as the message may be (a message with bare LF line
    ends is one "line" to the CRLF reader); outside DATA, command lines keep the usual limit."""

    async def smtp_DATA(self, arg: str) -> None:
        self._reader._limit = self.line_length_limit = self.data_size_limit or 2**26
        try:
            await super().smtp_DATA(arg)
        finally:
            self._reader._limit = self.line_length_limit = type(self).line_length_limit


def protocol_factory(settings: Settings, handler: IngressHandler) -> Callable[[], SMTP]:
    base = LMTP if settings.smtp.protocol == "lmtp" else SMTP
    # aiosmtpd refuses lines over 1,001 bytes; real HTML mail has longer ones (RFC 5321 §4.5.3.1.6
    # allows a server to accept more).
    cls = type(
        "HubmailProtocol",
        (ConnectionLimit, LongLinesInData, base),
        {
            "line_length_limit": settings.smtp.max_line_bytes,
            "limit": settings.smtp.max_connections_per_client,
            "longest": settings.smtp.max_session_seconds,
            "trusted": frozenset(settings.smtp.trusted_peers),
            "open_sessions": Counter(),
        },
    )
    hostname = settings.smtp.hostname or settings.site.domain
    return lambda: cls(
        handler,
        data_size_limit=settings.smtp.max_message_bytes,
        enable_SMTPUTF8=True,
        hostname=hostname,
        ident="hubmail",
        timeout=settings.smtp.timeout,
        command_call_limit=COMMAND_LIMITS,
    )


async def start_server(settings: Settings, spool: Spool, on_spooled: Callable[[], None]) -> asyncio.Server:
    host, port = split_listen(str(settings.path), "smtp.listen", settings.smtp.listen)
    handler = IngressHandler(settings, spool, on_spooled)
    return await asyncio.get_running_loop().create_server(
        protocol_factory(settings, handler), host=host, port=port
    )
