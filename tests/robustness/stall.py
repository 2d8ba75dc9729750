"""A loopback TCP server that accepts and then stalls, optionally after half an answer.

The fake can hang a whole route (never_answer), but not stop half-way through a status line or an
upgrade: this one can, so the client's read and handshake bounds are tested against a real socket
that is left open, not against a closed port (which fails fast and proves nothing about timeouts).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HALF_HTTP = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"metadata":'
HALF_UPGRADE = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"


@contextmanager
def stalling_server(prefix: bytes = b"") -> Iterator[int]:
    """Yield a loopback port; every connection gets `prefix` (once its request arrived), then nothing."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # kept open until the test ends: a stall, not a refusal or a reset
            conn.settimeout(1.0)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                if prefix:
                    conn.sendall(prefix)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2.0)
        listener.close()
        for conn in held:
            with contextlib.suppress(OSError):
                conn.close()
