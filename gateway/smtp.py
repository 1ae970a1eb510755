"""SMTP/LMTP ingress on aiosmtpd: refuse early at RCPT, answer 250 only once the spool has it."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession

from archive.parsing import MessageRefused, ParseLimits, check_acceptable
from config import Settings
from config.settings import split_listen
from gateway.routing import Unroutable, route
from gateway.spool import Envelope, Spool

log = logging.getLogger("hubmail.smtp")


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
            return f"550 5.1.1 {exc}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
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
    """Mixin: at most `limit` simultaneous sessions per client address; more get 421 and close."""

    limit = 20
    open_sessions: Counter

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = (transport.get_extra_info("peername") or ("?",))[0]
        self._peer_address = peer
        if self.open_sessions[peer] >= self.limit:
            self._refused = True
            transport.write(b"421 4.7.0 Too many connections from your address; try again later\r\n")
            transport.close()
            return
        self._refused = False
        self.open_sessions[peer] += 1
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self.open_sessions[self._peer_address] -= 1
        super().connection_lost(error)


def protocol_factory(settings: Settings, handler: IngressHandler) -> Callable[[], SMTP]:
    base = LMTP if settings.smtp.protocol == "lmtp" else SMTP
    # aiosmtpd refuses lines over 1,001 bytes; real HTML mail has longer ones (RFC 5321 §4.5.3.1.6
    # allows a server to accept more).
    cls = type(
        "HubmailProtocol",
        (ConnectionLimit, base),
        {
            "line_length_limit": settings.smtp.max_line_bytes,
            "limit": settings.smtp.max_connections_per_client,
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
    )


async def start_server(settings: Settings, spool: Spool, on_spooled: Callable[[], None]) -> asyncio.Server:
    host, port = split_listen(str(settings.path), "smtp.listen", settings.smtp.listen)
    handler = IngressHandler(settings, spool, on_spooled)
    return await asyncio.get_running_loop().create_server(
        protocol_factory(settings, handler), host=host, port=port
    )
