"""A TCP relay between a client and a real server that misbehaves on purpose: cuts the link, or rewrites."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import suppress


class FaultyProxy:
    """127.0.0.1:port -> target. The first `cut_connections` connections die after `cut_after` bytes
    from the server; `rewrite` changes what the server says (e.g. a wrong RFC822.SIZE)."""

    def __init__(
        self,
        target_port: int,
        cut_after: int | None = None,
        cut_connections: int = 1,
        rewrite: Callable[[bytes], bytes] = lambda data: data,
    ) -> None:
        self.target_port, self.cut_after, self.cuts_left = target_port, cut_after, cut_connections
        self.rewrite = rewrite
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(("127.0.0.1", self.target_port))
            limit = self.cut_after if self.cuts_left > 0 else None
            self.cuts_left -= 1
            threading.Thread(target=self._pipe, args=(client, server, None, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None, from_server: bool) -> None:
        passed = 0
        with suppress(OSError):
            while data := source.recv(65536):
                data = self.rewrite(data) if from_server else data
                if limit is not None and passed + len(data) > limit:
                    sink.sendall(data[: limit - passed])
                    self.cuts += 1
                    break
                sink.sendall(data)
                passed += len(data)
        for sock in (source, sink):  # either side ending ends the whole link
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.listener.close()
