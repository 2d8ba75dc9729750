"""Run the proxy: in a background thread (tests, `with ProxyServer(...)`) or in the foreground (the CLI).

The listening socket is bound before uvicorn starts (port 0 picks a free one), as the fake does. With
`--upstream fake` the embedded fake runs in its own thread and both hosts point at it. In the foreground,
uvicorn handles Ctrl-C and SIGTERM (graceful shutdown with a deadline) and the report is written after it
returns, so an interrupted session still leaves its report and cassettes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

import uvicorn

from ..catalogue import load_catalogue
from ..defaults import CATALOGUE, FAKE_CONFIG
from ..fake.config import load_fake_config
from ..fake.server import FakeServer
from .app import Targets, create_app
from .observe import Observer
from .readahead import protocol_class
from .record import aliases_from_accounts
from .session import Session
from .settings import DEFAULT_AGENT_UPSTREAM, FAKE, ProxySettings, upstream_from

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def _config(app: object, log_level: str) -> uvicorn.Config:
    # proxy_headers=False: X-Forwarded-* from the app are forwarded upstream untouched, never interpreted here.
    # ws_per_message_deflate=False: compression is per hop and the upstream leg never negotiates it either;
    # on loopback it saves nothing and would cost a (de)compression of every audio frame on the relay path
    # (and a few compressed bytes read at once could queue many large messages).
    return uvicorn.Config(app, log_config=None, log_level=log_level, access_log=False, lifespan="on",  # type: ignore[arg-type]
                          ws=protocol_class(), ws_max_size=1 << 30, ws_ping_interval=None, proxy_headers=False,
                          ws_per_message_deflate=False,
                          timeout_graceful_shutdown=int(STOP_TIMEOUT_S), server_header=False, date_header=False,
                          backlog=4096)


class _Server(uvicorn.Server):
    """uvicorn re-raises a captured SIGINT/SIGTERM after shutting down, which would kill the process before
    the report is written; here the signal only asks for a graceful stop and `run_foreground` returns."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not the default 0: asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP
    # (asyncio.base_events._set_nodelay), and without it Nagle + delayed ACK add ~40 ms to every response
    # written as headers then body (measured: 45 ms added per REST request before this).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from ..errors import ConfigError

        raise ConfigError("command line", "--port", f"cannot listen on {host}:{port} ({exc.strerror})",
                          "choose a free port, or --port 0 for any") from None
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def _print(text: str) -> None:
    print(text, file=sys.stdout, flush=True)


class ProxyServer:
    def __init__(self, settings: ProxySettings, out: Callable[[str], None] | None = _print) -> None:
        self.settings = settings
        self.fake: FakeServer | None = None
        if settings.upstream == FAKE or settings.agent_upstream == FAKE:
            self.fake = FakeServer(load_fake_config(FAKE_CONFIG))
        self._out = None if settings.quiet else out
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.session: Session | None = None
        self.observer: Observer | None = None

    def _targets(self) -> Targets:
        def base(value: str | None, default: str, option: str) -> str:
            if value == FAKE:
                assert self.fake is not None
                return self.fake.http_url
            return value or default

        api_default = self.fake.http_url if self.fake is not None and self.settings.upstream == FAKE else ""
        api = base(self.settings.upstream, api_default, "--upstream")
        agent_default = api if self.settings.upstream == FAKE else DEFAULT_AGENT_UPSTREAM
        agent = base(self.settings.agent_upstream, agent_default, "--agent-upstream")
        return Targets(api=upstream_from(api, "--upstream"), agent=upstream_from(agent, "--agent-upstream"))

    def prepare(self) -> uvicorn.Server:
        if self.fake is not None:
            self.fake.start()
        targets = self._targets()
        catalogue = load_catalogue(CATALOGUE)
        aliases = aliases_from_accounts(self.settings.accounts) if self.settings.accounts is not None else None
        self.session = Session(catalogue, {"rest": targets.api.http, "ws": targets.api.ws, "agent": targets.agent.ws},
                               self._out, json_log=self.settings.json_log, record=self.settings.record,
                               report_dir=self.settings.report_dir, record_aliases=aliases)
        self._sock = _bind(self.settings.host, self.settings.port)
        self.observer = Observer(self.session.on_exchange)
        self._server = _Server(_config(create_app(catalogue, targets, self.observer), "warning"))
        return self._server

    @property
    def port(self) -> int:
        assert self._sock is not None, "ProxyServer is not started"
        return int(self._sock.getsockname()[1])

    @property
    def http_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.settings.host}:{self.port}"

    # ------------------------------------------------------------------ background (tests, benchmark)

    def start(self) -> ProxyServer:
        server = self.prepare()
        self._thread = threading.Thread(target=self._run, name=f"dg-proxy:{self.port}", daemon=True)
        self._thread.start()
        waited = 0.0
        while not server.started and self._thread.is_alive() and waited < START_TIMEOUT_S:
            threading.Event().wait(0.01)
            waited += 0.01
        if not server.started:
            self.stop()
            raise RuntimeError(f"the proxy did not start on {self.settings.host}:{self.settings.port}")
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S * 2)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        self._close()

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self.observer is not None:
            self.observer.flush()  # anything the stopped loop had not judged yet
        if self.session is not None:
            for path in self.session.finish():
                if self._out is not None:
                    self._out(f"wrote {path}")
        if self.fake is not None:
            self.fake.stop()

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------------------------ foreground (CLI)

    def run_foreground(self) -> None:
        server = self.prepare()
        # The ~40,000 objects alive now (modules, the catalogue) are never garbage; without this every full
        # collection walks them all on the relay's loop (11 ms measured), a stall for every open stream.
        # Only the CLI process does it: an embedding process keeps its own collector settings.
        gc.freeze()
        if self._out is not None:
            assert self.session is not None
            self._out(f"dg-entitlements proxy on {self.http_url} -> {self.session.targets['rest']} "
                      f"(agent: {self.session.targets['agent']}); point your SDK's base URL here. Ctrl-C to stop.")
        assert self._sock is not None
        try:
            server.run(sockets=[self._sock])
        finally:
            self._close()
