"""Run the fake on a loopback port in a background thread with its own event loop, so synchronous
pytest code and a separate `asyncio.run()` in the probe runner can both talk to it.

The socket is bound before uvicorn starts (port 0 picks a free one), so `.port` is known and the
port cannot be taken between choosing and listening.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import threading
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from .app import WsResponder, create_app
from .config import FakeConfig
from .state import FakeState

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class _DenialNoise(logging.Filter):
    """uvicorn logs every rejected handshake (an ASGI denial response) as an error; those are answers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


_QUIET = _DenialNoise()
logging.getLogger("uvicorn.error").addFilter(_QUIET)


def _uvicorn_config(app: Starlette, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_config=None, log_level=log_level, access_log=False,
        lifespan="off", ws="websockets-sansio", timeout_graceful_shutdown=1, server_header=False,
        backlog=4096,
    )


def _with_latency(config: FakeConfig, latency_ms: int | None) -> FakeConfig:
    if latency_ms is None:
        return config
    return dataclasses.replace(config, server=dataclasses.replace(config.server, latency_ms=latency_ms))


def listening_socket(host: str) -> socket.socket:
    """A TCP listening socket whose accepted connections send without Nagle's delay.

    asyncio turns TCP_NODELAY on for a transport only when the socket's `proto` is IPPROTO_TCP, and an
    accepted socket inherits `proto` from the listening one: a socket made with proto 0 left every
    answer's last segment waiting for the client's delayed ACK (about 40 ms per REST answer on
    loopback). Both the protocol and the option (which Linux copies to accepted sockets) are set here.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class FakeServer:
    def __init__(self, config: FakeConfig, host: str = "127.0.0.1", port: int = 0, latency_ms: int | None = None,
                 ws_responder: WsResponder | None = None) -> None:
        self.config = _with_latency(config, latency_ms)
        self.host = host
        self._requested_port = port
        self.app = create_app(self.config, ws_responder=ws_responder)
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def state(self) -> FakeState:
        """The server's memory (keys, tokens' secret, open streams): for tests that mint or inspect."""
        state: FakeState = self.app.state.fake
        return state

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeServer is not started")
        return self._port

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> FakeServer:
        """Return once the server accepts connections; raise if it could not start."""
        if self._thread is not None:
            return self
        sock = listening_socket(self.host)
        sock.bind((self.host, self._requested_port))
        sock.listen(4096)
        sock.setblocking(False)
        self._sock = sock
        self._port = int(sock.getsockname()[1])
        self._server = uvicorn.Server(_uvicorn_config(self.app, "warning"))
        self._thread = threading.Thread(target=self._run, name=f"fake-deepgram:{self.port}", daemon=True)
        self._thread.start()
        deadline = START_TIMEOUT_S
        while not self._server.started and self._thread.is_alive() and deadline > 0:
            threading.Event().wait(0.01)
            deadline -= 0.01
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"fake Deepgram did not start on {self.host}:{self._requested_port}: {self._error!r}")
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=STOP_TIMEOUT_S))
            loop.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(STOP_TIMEOUT_S)
        if self._sock is not None:
            self._sock.close()
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_forever(config: FakeConfig, host: str = "127.0.0.1", port: int = 8080, region: str | None = None,
                  latency_ms: int | None = None) -> None:
    """`dg-entitlements serve`: run in the foreground until Ctrl-C, with uvicorn's own signal handling."""
    config = _with_latency(config, latency_ms)
    if region is not None:
        config = dataclasses.replace(config, server=dataclasses.replace(config.server, region=region))
    server = uvicorn.Server(_uvicorn_config(create_app(config), "info"))
    server.config.host, server.config.port = host, port
    server.run()
