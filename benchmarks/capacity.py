"""Capacity of ONE fake Deepgram process: how many concurrent streaming sessions it holds, how fast it
answers their handshakes, and what they cost in memory.

Why this shape:
- The server runs in a separate process (`dg-entitlements serve`, exactly what app developers run), so
  the client's own CPU and memory are not counted as the server's, and the server's RSS is readable in
  /proc/<pid>/status.
- Sessions are Flux (`wss /v2/listen`): the fake greets each one with `Connected`, which proves the
  session got past admission (auth, entitlement, per-project concurrency) into a live stream handler,
  not just that the TCP/HTTP upgrade completed. Flux has no KeepAlive (the fake answers one with a fatal
  Error, as Deepgram does) and its idle window is 60 s, longer than this whole run, so held sessions need
  no traffic to stay open.
- Connection attempts are bounded (ATTEMPT_CONCURRENCY at a time, each with an open timeout), as a real
  fleet of clients ramps up; per-session handshake latency is measured from the TCP connect to the 101.
- Nothing is asserted: figures and targets are reported side by side (machines here are noisy).

`python benchmarks/capacity.py [sessions]` prints the result as JSON; benchmarks/run.py runs it so, in
a process of its own (the client's event loop shares nothing with the rest of the benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

ROOT = Path(__file__).resolve().parents[1]
FAKE_CONFIG = ROOT / "src/dg_entitlements/data/fake-deepgram.toml"
KEY = "dgfake-payg-full-k1"  # payg-full in src/dg_entitlements/data/fake-deepgram.toml: entitled to Flux
FLUX_PATH = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"

TARGET_SESSIONS = 2000  # issue 13: 2,000 concurrent Flux streams held on this machine
TARGET_P99_MS = 200.0
ATTEMPT_CONCURRENCY = 50  # connection attempts in flight at once
OPEN_TIMEOUT_S = 10.0  # one handshake
FIRST_MESSAGE_TIMEOUT_S = 10.0  # `Connected` after the 101
HOLD_S = 3.0  # all sessions held open together this long before the second check
SERVER_START_TIMEOUT_S = 20.0
CLOSE_TIMEOUT_S = 10.0  # closing every session, all together
STOP_TIMEOUT_S = 10.0
ATTEMPT_PHASE_TIMEOUT_S = 30.0  # the whole ramp-up; keeps the run well under a minute


@dataclass
class Session:
    index: int
    conn: ClientConnection | None = None
    handshake_ms: float | None = None
    first_message_ms: float | None = None
    error: str | None = None


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    config_path: Path
    tmpdir: tempfile.TemporaryDirectory[str] = field(repr=False)


def free_port() -> int:
    """A port free right now on loopback (the server binds it a moment later; a race is unlikely here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_fd_limit(sessions: int) -> dict[str, int]:
    """Each session is one fd here and one in the server (which inherits this limit): raise the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sessions * 2 + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        soft = new_soft
    return {"soft": int(soft), "hard": int(hard)}


def capacity_config(sessions: int) -> str:
    """The fixture accounts with every project's `max_concurrent_streams` raised to hold `sessions`.

    Text substitution keeps the fixture's comments and every other setting exactly as tested.
    """
    text = FAKE_CONFIG.read_text(encoding="utf-8")
    limit = max(sessions + 10, 50)
    out, count = re.subn(r"(?m)^max_concurrent_streams\s*=\s*\d+", f"max_concurrent_streams = {limit}", text)
    if count == 0:
        raise RuntimeError(f"no max_concurrent_streams in {FAKE_CONFIG}")
    return out


def server_command(port: int, config_path: Path) -> list[str]:
    """The installed console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "dg-entitlements"
    if not script.exists():
        script = ROOT / ".venv" / "bin" / "dg-entitlements"
    return [str(script), "serve", "--port", str(port), "--host", "127.0.0.1", "--accounts", str(config_path)]


def answers_models(port: int) -> bool:
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
        with opener.open(f"http://127.0.0.1:{port}/v1/models", timeout=2.0) as resp:
            return int(resp.status) == 200
    except OSError:
        return False


def start_server(sessions: int) -> Server:
    tmpdir = tempfile.TemporaryDirectory(prefix="dg-capacity-")
    config_path = Path(tmpdir.name) / "fake-deepgram.toml"
    config_path.write_text(capacity_config(sessions), encoding="utf-8")
    log_path = Path(tmpdir.name) / "server.log"
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(server_command(port, config_path), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    server = Server(proc=proc, port=port, log_path=log_path, config_path=config_path, tmpdir=tmpdir)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if answers_models(port):
            return server
        time.sleep(0.1)
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    stop_server(server)
    raise RuntimeError(f"fake server did not answer GET /v1/models on port {port}: exit={proc.poll()} log:\n{tail}")


def stop_server(server: Server) -> int | None:
    """SIGINT (uvicorn's graceful stop), then SIGTERM, then SIGKILL: always gone when this returns."""
    proc = server.proc
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_TIMEOUT_S / 2)
        return proc.poll()
    finally:
        server.tmpdir.cleanup()


def rss_kb(pid: int) -> int | None:
    """VmRSS of the server process in kB (Linux), or None where /proc is unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    if len(values) == 1:
        v = round(values[0], 2)
        return {"p50": v, "p95": v, "p99": v, "max": v}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
            "max": round(max(values), 2)}


async def open_session(session: Session, url: str, gate: asyncio.Semaphore) -> None:
    """Handshake (timed), then wait for Flux's `Connected`: the session is live inside the fake."""
    async with gate:
        started = time.perf_counter()
        try:
            conn = await connect(url, additional_headers={"Authorization": f"Token {KEY}"}, proxy=None,
                                 open_timeout=OPEN_TIMEOUT_S, ping_interval=None, close_timeout=2.0)
        except Exception as exc:  # every failure is counted and reported, never raised
            session.error = f"handshake: {type(exc).__name__}: {str(exc)[:120]}"
            return
        session.handshake_ms = (time.perf_counter() - started) * 1000
        session.conn = conn
        try:
            first = await asyncio.wait_for(conn.recv(), FIRST_MESSAGE_TIMEOUT_S)
            session.first_message_ms = (time.perf_counter() - started) * 1000
            if not isinstance(first, str) or json.loads(first).get("type") != "Connected":
                session.error = f"first message was not Connected: {str(first)[:120]}"
        except Exception as exc:
            session.error = f"first message: {type(exc).__name__}: {str(exc)[:120]}"


async def close_session(session: Session) -> None:
    """Politely: Flux's CloseStream, then the close handshake (bounded by close_timeout)."""
    conn = session.conn
    if conn is None or conn.state is not State.OPEN:
        return
    with contextlib.suppress(Exception):
        await conn.send(json.dumps({"type": "CloseStream"}))
    with contextlib.suppress(Exception):
        await conn.close()


def count_open(sessions: list[Session]) -> int:
    return sum(1 for s in sessions if s.conn is not None and s.conn.state is State.OPEN and s.error is None)


async def drive(port: int, pid: int, n: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}{FLUX_PATH}"
    sessions = [Session(i) for i in range(n)]
    gate = asyncio.Semaphore(ATTEMPT_CONCURRENCY)
    rss_before = rss_kb(pid)
    started = time.perf_counter()
    try:
        tasks = [asyncio.ensure_future(open_session(s, url, gate)) for s in sessions]
        _, pending = await asyncio.wait(tasks, timeout=ATTEMPT_PHASE_TIMEOUT_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for s in sessions:
            if s.handshake_ms is None and s.error is None:
                s.error = "attempt phase timed out"
        ramp_s = time.perf_counter() - started
        open_after_ramp = count_open(sessions)
        await asyncio.sleep(HOLD_S)
        held = count_open(sessions)  # open after ramp-up AND after the hold: held together
        rss_holding = rss_kb(pid)
    finally:
        close_started = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.gather(*(close_session(s) for s in sessions), return_exceptions=True)
        for s in sessions:  # anything left after the bound is dropped without ceremony
            if s.conn is not None and s.conn.state is not State.CLOSED:
                s.conn.transport.abort()
        close_s = time.perf_counter() - close_started
    errors: dict[str, int] = {}
    for s in sessions:
        if s.error is not None:
            kind = s.error.split(":")[0] if not s.error.startswith("handshake") else s.error[:60]
            errors[kind] = errors.get(kind, 0) + 1
    handshakes = [s.handshake_ms for s in sessions if s.handshake_ms is not None]
    firsts = [s.first_message_ms for s in sessions if s.first_message_ms is not None]
    return {
        "sessions_attempted": n,
        "sessions_opened": len(handshakes),
        "sessions_open_after_ramp": open_after_ramp,
        "sessions_held_concurrently": held,
        "failures": n - held,
        "failure_kinds": errors,
        "handshake_ms": percentiles(handshakes),
        "connected_message_ms": percentiles(firsts),
        "ramp_up_s": round(ramp_s, 2),
        "hold_s": HOLD_S,
        "close_all_s": round(close_s, 2),
        "rss_before_kb": rss_before,
        "rss_holding_kb": rss_holding,
    }


def measure_capacity(sessions: int = TARGET_SESSIONS) -> dict[str, Any]:
    """Start `dg-entitlements serve` in its own process, hold `sessions` Flux streams open at once, report.

    Always stops the server (finally), and bounds every phase so the run ends by itself in well under
    a minute even when the server misbehaves.
    """
    wall_started = time.perf_counter()
    fd_limit = raise_fd_limit(sessions)
    server = start_server(sessions)
    exit_code: int | None = None
    try:
        figures = asyncio.run(drive(server.port, server.proc.pid, sessions))
    finally:
        exit_code = stop_server(server)
    before, holding = figures.pop("rss_before_kb"), figures.pop("rss_holding_kb")
    p99 = figures["handshake_ms"]["p99"]
    met_sessions = figures["sessions_held_concurrently"] >= TARGET_SESSIONS
    met_p99 = p99 is not None and p99 < TARGET_P99_MS
    held = figures["sessions_held_concurrently"]
    return {
        "endpoint": "wss /v2/listen (Flux, flux-general-en, linear16 16 kHz), one fake key/project",
        "setup": ("client and server on loopback (127.0.0.1), separate processes; server: one "
                  "`dg-entitlements serve` process (uvicorn, one worker); client: websockets asyncio, "
                  f"{ATTEMPT_CONCURRENCY} handshakes in flight at most, open_timeout {OPEN_TIMEOUT_S} s"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        **figures,
        "server_rss_mb": {
            "before": round(before / 1024, 1) if before is not None else None,
            "holding": round(holding / 1024, 1) if holding is not None else None,
            "per_session_kb": (round((holding - before) / held, 1)
                               if before is not None and holding is not None and held else None),
        },
        "targets": {"sessions": TARGET_SESSIONS, "handshake_p99_ms_below": TARGET_P99_MS},
        "met": {"sessions": met_sessions, "handshake_p99": met_p99, "all": met_sessions and met_p99},
        "fd_limit": fd_limit,
        "server_exit_code": exit_code,  # 130: stopped by SIGINT as asked (the CLI's Ctrl-C exit code)
        "server_stopped": exit_code is not None,
        "wall_s": round(time.perf_counter() - wall_started, 2),
    }


def main(argv: list[str]) -> int:
    sessions = int(argv[0]) if argv else TARGET_SESSIONS
    print(json.dumps(measure_capacity(sessions), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
