"""A TCP relay that cuts the connection after passing N bytes from the server: a dropped link, for real."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class CuttingProxy:
    """127.0.0.1:port -> target; the first `cut_connections` connections die after `cut_after` bytes."""

    def __init__(self, target_port: int, cut_after: int, cut_connections: int = 1) -> None:
        self.target_port, self.cut_after, self.cuts_left = target_port, cut_after, cut_connections
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
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        passed = 0
        with suppress(OSError):
            while data := source.recv(4096):
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
