"""What `dg-entitlements proxy` costs in the path: added latency, concurrent real-time streams, CPU, memory.

Why this shape:
- Three processes: the fake (`dg-entitlements serve`, as capacity.py runs it), the proxy
  (`python -m dg_entitlements.proxy --upstream <fake> --quiet`) and this load generator, so none shares an
  event loop with another and the proxy's CPU and RSS are its own (/proc/<pid>/stat and /status).
- Added latency is measured side by side in one run against the SAME fake: a REST request (GET /v1/models,
  POST /v1/listen with 1 s of audio) and a WebSocket message round trip (Finalize -> the `from_finalize`
  Results the fake answers at once), direct and through the proxy, at 100 concurrent real-time streams
  (16 kHz linear16, 3200-byte chunks every 100 ms). "Added" is proxy minus direct at the same percentile.
- Then 500 real-time streams through the proxy: a stream "falls behind" when a chunk leaves more than
  one chunk period (100 ms) after its schedule, or its last Finalize is not answered.
- Nothing is asserted (machines are noisy); figures and targets are written side by side as JSON.

`python benchmarks/proxy_bench.py [--out reports/bench-proxy.json] [--streams 500] [--latency-streams 100]`
Loopback only; stops by itself in about 1-2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capacity import (  # a sibling script, not a package
    KEY,
    Server,
    free_port,
    percentiles,
    raise_fd_limit,
    rss_kb,
    start_server,
    stop_server,
)

ROOT = Path(__file__).resolve().parents[1]
LISTEN = "/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
CHUNK = b"\x00\x01" * 1600  # 3200 bytes: 100 ms of 16 kHz mono linear16
PERIOD_S = 0.1
FINALIZE_EVERY = 5  # chunks between two Finalize round trips
TARGET_ADDED_P99_MS = 2.0
TARGET_STREAMS = 500
REST_REQUESTS = 150
IDLE_ROUNDS = 4
IDLE_MESSAGES = 50
LATENCY_PHASE_S = 8.0
CAPACITY_PHASE_S = 10.0
OPEN_TIMEOUT_S = 10.0
REPLY_TIMEOUT_S = 5.0
START_TIMEOUT_S = 20.0
ATTEMPT_CONCURRENCY = 50
WAV = (ROOT / "fixtures" / "audio" / "probe-1s.wav").read_bytes()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def start_proxy(upstream_port: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dg_entitlements.proxy", "--port", str(port), "--upstream",
                             f"http://127.0.0.1:{upstream_port}", "--quiet", "--no-report"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT_S
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), opener.open(f"http://127.0.0.1:{port}/v1/models", timeout=2.0) as resp:
            if resp.status == 200:
                return proc, port
        time.sleep(0.1)
    stop_proxy(proc)
    raise RuntimeError("the proxy did not start")


def stop_proxy(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


# --------------------------------------------------------------------------------------------- REST


async def rest_latency(direct: int, proxied: int) -> dict[str, Any]:
    """Sequential requests, direct and proxied interleaved so drift in machine load hits both alike."""
    out: dict[str, Any] = {}
    headers = {"Authorization": f"Token {KEY}"}
    async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
        for name, method, path, body in (("models", "GET", "/v1/models", None),
                                         ("listen_1s", "POST", "/v1/listen?model=nova-3", WAV)):
            times: dict[str, list[float]] = {"direct": [], "proxy": []}
            for i in range(REST_REQUESTS):
                for label, port in (("direct", direct), ("proxy", proxied)) if i % 2 else (("proxy", proxied),
                                                                                           ("direct", direct)):
                    t0 = time.perf_counter()
                    r = await http.request(method, f"http://127.0.0.1:{port}{path}", content=body, headers=headers)
                    r.raise_for_status()
                    times[label].append((time.perf_counter() - t0) * 1000)
            d, p = percentiles(times["direct"]), percentiles(times["proxy"])
            out[name] = {"direct_ms": d, "proxy_ms": p, "added_ms": _added(d, p), "requests": REST_REQUESTS}
    return out


def _added(direct: dict[str, float | None], proxy: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (round(proxy[k] - direct[k], 2) if proxy[k] is not None and direct[k] is not None else None)  # type: ignore[operator]
            for k in ("p50", "p95", "p99")}


# ------------------------------------------------------------------------------------------- streams


class Stream:
    def __init__(self) -> None:
        self.rtts: list[float] = []
        self.lag_ms: list[float] = []
        self.opened = False
        self.error: str | None = None
        self.unanswered = 0


async def _reader(ws: ClientConnection, waiting: dict[str, Any]) -> None:
    async for message in ws:
        if isinstance(message, str) and '"from_finalize": true' in message.replace('":true', '": true'):
            fut = waiting.get("fut")
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())


async def run_stream(port: int, stream: Stream, gate: asyncio.Semaphore, start_at: float, seconds: float) -> None:
    try:
        async with gate:
            ws = await connect(f"ws://127.0.0.1:{port}{LISTEN}", additional_headers={"Authorization": f"Token {KEY}"},
                               open_timeout=OPEN_TIMEOUT_S, ping_interval=None, compression=None, proxy=None,
                               max_size=None)
    except Exception as exc:
        stream.error = f"open: {type(exc).__name__}"
        return
    stream.opened = True
    waiting: dict[str, Any] = {}
    reader = asyncio.create_task(_reader(ws, waiting))
    try:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        t0 = time.perf_counter()
        n = int(seconds / PERIOD_S)
        for i in range(n):
            due = t0 + i * PERIOD_S
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            stream.lag_ms.append((time.perf_counter() - due) * 1000)
            await ws.send(CHUNK)
            if i % FINALIZE_EVERY == FINALIZE_EVERY - 1:
                fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                waiting["fut"] = fut
                sent = time.perf_counter()
                await ws.send('{"type": "Finalize"}')
                try:
                    got = await asyncio.wait_for(asyncio.shield(fut), REPLY_TIMEOUT_S)
                    stream.rtts.append((got - sent) * 1000)
                except TimeoutError:
                    stream.unanswered += 1
        await ws.send('{"type": "CloseStream"}')
    except Exception as exc:
        stream.error = f"stream: {type(exc).__name__}"
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)


async def sequential_rtts(port: int, n: int) -> list[float]:
    """One stream, one message at a time: Finalize -> its Results, n times (the relay's own cost, no load)."""
    out: list[float] = []
    async with connect(f"ws://127.0.0.1:{port}{LISTEN}", additional_headers={"Authorization": f"Token {KEY}"},
                       open_timeout=OPEN_TIMEOUT_S, ping_interval=None, compression=None, proxy=None) as ws:
        for _ in range(n):
            await ws.send(CHUNK)
            sent = time.perf_counter()
            await ws.send('{"type": "Finalize"}')
            while True:
                message = await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)
                if isinstance(message, str) and '"from_finalize": true' in message.replace('":true', '": true'):
                    out.append((time.perf_counter() - sent) * 1000)
                    break
        await ws.send('{"type": "CloseStream"}')
    return out


async def streams_phase(port: int, count: int, seconds: float) -> list[Stream]:
    streams = [Stream() for _ in range(count)]
    gate = asyncio.Semaphore(ATTEMPT_CONCURRENCY)
    start_at = time.perf_counter() + min(8.0, 0.5 + count * 0.01)  # all streams start sending together
    await asyncio.wait_for(asyncio.gather(*(run_stream(port, s, gate, start_at, seconds) for s in streams)),
                           timeout=seconds + 60)
    return streams


def summarise(streams: list[Stream]) -> dict[str, Any]:
    rtts = [r for s in streams for r in s.rtts]
    lags = [lag for s in streams for lag in s.lag_ms]
    behind = sum(1 for s in streams if s.error or s.unanswered or (s.lag_ms and max(s.lag_ms) > PERIOD_S * 1000))
    return {"streams": len(streams), "opened": sum(s.opened for s in streams),
            "errors": sorted({s.error for s in streams if s.error}), "finalize_rtt_ms": percentiles(rtts),
            "round_trips": len(rtts), "unanswered": sum(s.unanswered for s in streams),
            "send_lag_ms": percentiles(lags), "fell_behind": behind}


async def measured(proxy_pid: int, coro: Any, fake_pid: int | None = None) -> tuple[Any, dict[str, Any]]:
    """The proxy's CPU (share of one core) and peak RSS while `coro` runs, with the fake's and this load
    generator's CPU beside it: on a small machine the three compete, and the figures say which one is busy."""
    cpu0, t0 = cpu_seconds(proxy_pid), time.perf_counter()
    fake0 = cpu_seconds(fake_pid) if fake_pid else None
    gen0 = time.process_time()
    peak = rss_kb(proxy_pid) or 0

    async def sample() -> None:
        nonlocal peak
        while True:
            await asyncio.sleep(0.5)
            peak = max(peak, rss_kb(proxy_pid) or 0)

    sampler = asyncio.create_task(sample())
    try:
        result = await coro
    finally:
        sampler.cancel()
    cpu1, wall = cpu_seconds(proxy_pid), time.perf_counter() - t0
    cpu = round((cpu1 - cpu0) / wall * 100, 1) if cpu0 is not None and cpu1 is not None else None
    fake1 = cpu_seconds(fake_pid) if fake_pid else None
    fake_cpu = round((fake1 - fake0) / wall * 100, 1) if fake0 is not None and fake1 is not None else None
    return result, {"proxy_cpu_percent_of_one_core": cpu, "proxy_peak_rss_kb": peak, "wall_s": round(wall, 1),
                    "fake_cpu_percent_of_one_core": fake_cpu,
                    "load_generator_cpu_percent_of_one_core": round((time.process_time() - gen0) / wall * 100, 1),
                    "loadavg_1min_after": round(os.getloadavg()[0], 2)}


async def bench(latency_streams: int, capacity_streams: int) -> dict[str, Any]:
    limits = raise_fd_limit(capacity_streams * 2)
    fake: Server = start_server(capacity_streams + latency_streams)
    proxy, proxy_port = start_proxy(fake.port)
    started = time.perf_counter()
    try:
        idle_rss = rss_kb(proxy.pid)
        rest = await rest_latency(fake.port, proxy_port)
        idle_direct, idle_proxy = [], []
        for _ in range(IDLE_ROUNDS):  # interleaved, so drift in machine load hits both alike
            idle_direct += await sequential_rtts(fake.port, IDLE_MESSAGES)
            idle_proxy += await sequential_rtts(proxy_port, IDLE_MESSAGES)
        idle = {"direct_ms": percentiles(idle_direct), "proxy_ms": percentiles(idle_proxy),
                "added_ms": _added(percentiles(idle_direct), percentiles(idle_proxy)), "round_trips": len(idle_proxy)}
        direct = summarise(await streams_phase(fake.port, latency_streams, LATENCY_PHASE_S))
        through, load = await measured(proxy.pid, streams_phase(proxy_port, latency_streams, LATENCY_PHASE_S),
                                       fake.proc.pid)
        through = summarise(through)
        ws_added = _added(direct["finalize_rtt_ms"], through["finalize_rtt_ms"])
        many_direct, direct_load = await measured(proxy.pid, streams_phase(fake.port, capacity_streams,
                                                                           CAPACITY_PHASE_S), fake.proc.pid)
        many_direct = {**summarise(many_direct), "load": direct_load}
        many, many_load = await measured(proxy.pid, streams_phase(proxy_port, capacity_streams, CAPACITY_PHASE_S),
                                         fake.proc.pid)
        many = summarise(many)
    finally:
        stop_proxy(proxy)
        stop_server(fake)
    return {
        "benchmark": "proxy", "command": "python benchmarks/proxy_bench.py", "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "fd_limit": limits},
        "run_s": round(time.perf_counter() - started, 1),
        "rest": rest,
        "ws_message_one_stream": {**idle, "note": "one message at a time on one stream: the relay's own cost"},
        "ws_message": {"concurrent_streams": latency_streams, "direct": direct, "proxy": through,
                       "added_ms": ws_added, "proxy_load": load,
                       "note": "round trip of one client message and its reply: the proxy relays both"},
        "realtime_streams": {**many, "seconds": CAPACITY_PHASE_S, "proxy_load": many_load,
                             "direct_same_load": many_direct,
                             "note": "direct_same_load: the same streams straight to the fake; when both fall "
                                     "behind, the load generator or the fake is the limit on this machine"},
        "proxy_idle_rss_kb": idle_rss,
        "targets": {
            "ws_added_p99_ms": {"target": TARGET_ADDED_P99_MS, "got": ws_added["p99"],
                                "met": ws_added["p99"] is not None and ws_added["p99"] < TARGET_ADDED_P99_MS},
            "realtime_streams": {"target": TARGET_STREAMS, "got": many["streams"] - many["fell_behind"],
                                 "met": many["streams"] >= TARGET_STREAMS and many["fell_behind"] == 0},
        },
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="proxy_bench.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "bench-proxy.json")
    p.add_argument("--streams", type=int, default=TARGET_STREAMS)
    p.add_argument("--latency-streams", type=int, default=100)
    ns = p.parse_args(argv)
    result = asyncio.run(bench(ns.latency_streams, ns.streams))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["targets"], indent=2))
    print(f"wrote {ns.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
