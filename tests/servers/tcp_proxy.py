"""A TCP proxy on 127.0.0.1 that can cut a connection after a number of bytes.

It stands between a client and a real server to break the connection at a chosen point of
a transfer (the middle of a fetch), the way a dropped network or a restarted server does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class CuttingProxy:
    """Forwards 127.0.0.1:``port`` to ``target``. The first ``cuts`` connections are closed
    once the server has sent ``cut_after`` bytes on them; later ones pass everything."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        cut_after: int,
        cuts: int = 1,
        on_cut: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.on_cut = on_cut  # runs before the cut connection closes (change the server)
        self.cut_after = cut_after
        self.cuts_left = cuts
        self.connections = 0
        self.cut = 0  # connections cut so far
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self.connections += 1
                limit = None
                if self.cuts_left > 0:
                    self.cuts_left -= 1
                    limit = self.cut_after
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, limit), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: limit - sent])
                    with self._lock:
                        self.cut += 1
                    if self.on_cut is not None:
                        self.on_cut()
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
