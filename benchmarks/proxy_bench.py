"""What `dg-entitlements proxy` costs in the path: added latency, concurrent real-time streams, CPU, memory.

Why this shape:
- Three processes: the fake (`dg-entitlements serve`, as capacity.py runs it), the proxy
  (`python -m dg_entitlements.proxy --upstream <fake> --quiet`) and this load generator, so none shares an
  event loop with another and each one's CPU and RSS are its own (/proc/<pid>/stat and /status).
- Separate processes, not separate cores: this machine has 2. By default the scheduler places the three
  processes (what an app, a proxy and a server sharing a machine get). `--pin` gives the proxy the last
  CPU to itself and the fake + generator the others; on 2 cores that crams the fake and the generator
  into one (86% busy at 500 streams, measured) and their queueing, not the proxy, then sets the tails of
  both the direct and the proxied runs. Other work on the machine is measured, not assumed away
  (`machine`: cores busy in /proc/stat minus our three processes; `other_work_cores_max`).
- Added latency is measured side by side in one run against the SAME fake, alternating direct and
  proxied rounds so drift in machine load hits both alike: a REST request (GET /v1/models, POST
  /v1/listen with 1 s of audio) and a WebSocket message round trip (Finalize -> the `from_finalize` Results
  the fake answers at once; the proxy relays both) at 100 concurrent real-time streams (16 kHz linear16,
  3200-byte chunks every 100 ms). "Added" is proxy minus direct at the same percentile.
- Streams start at independent phases spread over the 100 ms chunk period, as independent clients do.
  The same streams all sending in the same millisecond (`ws_message_burst`) are measured too, as a stress
  figure: there the added latency is the time to relay a whole burst of 100 messages one after the other.
- Then 500 real-time streams, direct and through the proxy. A stream "falls behind" when a chunk leaves
  more than one chunk period (100 ms) after its schedule, or a Finalize is not answered within one chunk
  period (its audio was not delivered and answered in real time), or not at all.
- Nothing is asserted (machines are noisy); figures and targets are written side by side as JSON.

`python benchmarks/proxy_bench.py [--out reports/bench-proxy.json] [--streams 500] [--latency-streams 100] [--pin]`
Loopback only; stops by itself in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
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
FINALIZE_EVERY = 5  # chunks between two Finalize round trips on one stream
TARGET_ADDED_P99_MS = 2.0
TARGET_STREAMS = 500
REST_REQUESTS = 150
IDLE_ROUNDS = 4
IDLE_MESSAGES = 50
LATENCY_ROUNDS = 2  # direct, proxy, direct, proxy
LATENCY_ROUND_S = 6.0
BURST_ROUND_S = 5.0
CAPACITY_PHASE_S = 10.0
OPEN_TIMEOUT_S = 10.0
REPLY_TIMEOUT_S = 5.0
START_TIMEOUT_S = 20.0
ATTEMPT_CONCURRENCY = 50
WAV = (ROOT / "fixtures" / "audio" / "probe-1s.wav").read_bytes()


# ------------------------------------------------------------------------------------ processes, CPUs


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads) from /proc/<pid>/stat (fields 14 and 15, clock ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies over all CPUs from /proc/stat: idle and iowait are not busy."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    total = float(sum(values[:8]))
    return total - values[3] - values[4], total


@dataclass(frozen=True)
class Placement:
    """Which CPUs each process may run on (None: the scheduler decides)."""

    proxy: frozenset[int] | None
    env: frozenset[int] | None  # the fake and this load generator

    def describe(self) -> dict[str, Any]:
        return {"cpus": os.cpu_count(), "pinned": self.proxy is not None,
                "proxy_cpus": sorted(self.proxy) if self.proxy else None,
                "fake_and_load_generator_cpus": sorted(self.env) if self.env else None}


def placement(pin: bool) -> Placement:
    if not pin or not hasattr(os, "sched_setaffinity"):
        return Placement(None, None)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Placement(None, None)
    return Placement(proxy=frozenset(cpus[-1:]), env=frozenset(cpus[:-1]))


def start_proxy(upstream_port: int, cpus: frozenset[int] | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)

    proc = subprocess.Popen([sys.executable, "-m", "dg_entitlements.proxy", "--port", str(port), "--upstream",
                             f"http://127.0.0.1:{upstream_port}", "--quiet", "--no-report"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            preexec_fn=pin if cpus else None)
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


@dataclass
class Pids:
    proxy: int
    fake: int


@dataclass
class Snapshot:
    at: float
    proxy: float | None
    fake: float | None
    generator: float
    machine: tuple[float, float] | None

    @classmethod
    def take(cls, pids: Pids) -> Snapshot:
        return cls(time.perf_counter(), cpu_seconds(pids.proxy), cpu_seconds(pids.fake), time.process_time(),
                   machine_busy())


def load_between(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """CPU of each process as a share of one core, and the rest of the machine's load, over [a, b]."""
    wall = max(b.at - a.at, 1e-9)

    def share(x: float | None, y: float | None) -> float | None:
        return round((y - x) / wall * 100, 1) if x is not None and y is not None else None

    ours = [share(a.proxy, b.proxy), share(a.fake, b.fake), share(a.generator, b.generator)]
    machine = None
    if a.machine is not None and b.machine is not None and b.machine[1] > a.machine[1]:
        busy_cores = (b.machine[0] - a.machine[0]) / (b.machine[1] - a.machine[1]) * (os.cpu_count() or 1)
        machine = {"busy_cores": round(busy_cores, 2),
                   "other_work_cores": round(busy_cores - sum(x or 0.0 for x in ours) / 100, 2)}
    return {"wall_s": round(wall, 1), "proxy_cpu_percent_of_one_core": ours[0],
            "fake_cpu_percent_of_one_core": ours[1], "load_generator_cpu_percent_of_one_core": ours[2],
            "machine": machine}


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
    out: dict[str, float | None] = {}
    for k in ("p50", "p95", "p99"):
        d, p = direct[k], proxy[k]
        out[k] = round(p - d, 2) if p is not None and d is not None else None
    return out


# ------------------------------------------------------------------------------------------- streams


@dataclass
class Stream:
    index: int
    rtts: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    opened: bool = False
    error: str | None = None
    unanswered: int = 0
    sent: int = 0
    received: int = 0


def _is_finalize_reply(message: str | bytes) -> bool:
    return isinstance(message, str) and '"from_finalize": true' in message.replace('":true', '": true')


async def _reader(ws: ClientConnection, stream: Stream, waiting: dict[str, Any]) -> None:
    async for message in ws:
        stream.received += 1
        if _is_finalize_reply(message):
            fut = waiting.get("fut")
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())


class Start:
    """Every stream opens first; the first chunks are scheduled once the last handshake is done (or failed)."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.ready = asyncio.Event()
        self.at = 0.0

    def arrived(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.at = time.perf_counter() + 0.2
            self.ready.set()


async def run_stream(port: int, stream: Stream, gate: asyncio.Semaphore, start: Start, offset_s: float,
                     seconds: float, finalize_offset: int) -> None:
    try:
        async with gate:
            ws = await connect(f"ws://127.0.0.1:{port}{LISTEN}", additional_headers={"Authorization": f"Token {KEY}"},
                               open_timeout=OPEN_TIMEOUT_S, ping_interval=None, compression=None, proxy=None,
                               max_size=None)
    except Exception as exc:
        stream.error = f"open: {type(exc).__name__}"
        return
    finally:
        start.arrived()
    stream.opened = True
    waiting: dict[str, Any] = {}
    reader = asyncio.create_task(_reader(ws, stream, waiting))
    try:
        await start.ready.wait()
        t0 = start.at + offset_s
        for i in range(int(seconds / PERIOD_S)):
            due = t0 + i * PERIOD_S
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            stream.lag_ms.append((time.perf_counter() - due) * 1000)
            await ws.send(CHUNK)
            stream.sent += 1
            if i % FINALIZE_EVERY == finalize_offset:
                fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                waiting["fut"] = fut
                sent = time.perf_counter()
                await ws.send('{"type": "Finalize"}')
                stream.sent += 1
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
                if _is_finalize_reply(message):
                    out.append((time.perf_counter() - sent) * 1000)
                    break
        await ws.send('{"type": "CloseStream"}')
    return out


@dataclass
class Phase:
    streams: list[Stream]
    load: dict[str, Any]  # over the sending window only (after every handshake, before the closes)
    proxy_peak_rss_kb: int | None


async def streams_phase(port: int, count: int, seconds: float, pids: Pids, staggered: bool = True) -> Phase:
    """`count` real-time streams; CPU is sampled from the first scheduled chunk to the last one."""
    streams = [Stream(i) for i in range(count)]
    gate = asyncio.Semaphore(ATTEMPT_CONCURRENCY)
    start = Start(count)

    def offset(i: int) -> float:
        return (i / count) * PERIOD_S if staggered else 0.0

    gc.collect()
    gc.freeze()  # the generator's own collector pauses would be counted as lag of both sides alike
    peak = 0
    marks: dict[str, Snapshot] = {}

    async def sample() -> None:
        nonlocal peak
        await start.ready.wait()
        await asyncio.sleep(max(0.0, start.at - time.perf_counter()))
        marks["start"] = Snapshot.take(pids)
        end = start.at + seconds
        while time.perf_counter() < end:
            peak = max(peak, rss_kb(pids.proxy) or 0)
            await asyncio.sleep(min(0.5, max(0.0, end - time.perf_counter())))
        marks["end"] = Snapshot.take(pids)

    sampler = asyncio.create_task(sample())
    try:
        await asyncio.wait_for(
            asyncio.gather(*(run_stream(port, s, gate, start, offset(s.index), seconds,
                                        (s.index % FINALIZE_EVERY) if staggered else FINALIZE_EVERY - 1)
                             for s in streams)),
            timeout=seconds + 60)
        await asyncio.wait_for(sampler, 5)
    finally:
        sampler.cancel()
        gc.unfreeze()
    load = load_between(marks["start"], marks["end"]) if "end" in marks else {}
    return Phase(streams, load, peak or None)


def behind(s: Stream) -> bool:
    limit = PERIOD_S * 1000
    return bool(s.error or s.unanswered or any(lag > limit for lag in s.lag_ms) or any(r > limit for r in s.rtts))


def summarise(streams: list[Stream]) -> dict[str, Any]:
    rtts = [r for s in streams for r in s.rtts]
    lags = [lag for s in streams for lag in s.lag_ms]
    limit = PERIOD_S * 1000
    return {"streams": len(streams), "opened": sum(s.opened for s in streams),
            "errors": sorted({s.error for s in streams if s.error}), "finalize_rtt_ms": percentiles(rtts),
            "round_trips": len(rtts), "unanswered": sum(s.unanswered for s in streams),
            "send_lag_ms": percentiles(lags),
            "streams_with_a_late_chunk": sum(1 for s in streams if any(lag > limit for lag in s.lag_ms)),
            "streams_with_a_slow_answer": sum(1 for s in streams if any(r > limit for r in s.rtts)),
            "fell_behind": sum(1 for s in streams if behind(s))}


def per_message_us(phase: Phase) -> float | None:
    """The proxy's CPU per relayed message (both directions) in the sending window, in microseconds."""
    share = phase.load.get("proxy_cpu_percent_of_one_core")
    messages = sum(s.sent + s.received for s in phase.streams)
    if share is None or not messages:
        return None
    return round(share / 100 * phase.load["wall_s"] / messages * 1e6, 1)


async def side_by_side(direct: int, proxied: int, count: int, rounds: int, seconds: float, pids: Pids,
                       staggered: bool) -> dict[str, Any]:
    """Direct and proxied rounds alternate; the round trips of each side are pooled."""
    sides: dict[str, list[Phase]] = {"direct": [], "proxy": []}
    for r in range(rounds):
        order = (("direct", direct), ("proxy", proxied)) if r % 2 == 0 else (("proxy", proxied), ("direct", direct))
        for label, port in order:
            sides[label].append(await streams_phase(port, count, seconds, pids, staggered))
    d = summarise([s for p in sides["direct"] for s in p.streams])
    p = summarise([s for p in sides["proxy"] for s in p.streams])
    last = sides["proxy"][-1]
    return {"concurrent_streams": count, "staggered": staggered, "rounds": rounds, "round_s": seconds,
            "direct": d, "proxy": p, "added_ms": _added(d["finalize_rtt_ms"], p["finalize_rtt_ms"]),
            "proxy_load": [ph.load for ph in sides["proxy"]], "direct_load": [ph.load for ph in sides["direct"]],
            "proxy_cpu_us_per_message": per_message_us(last), "proxy_peak_rss_kb": last.proxy_peak_rss_kb}


async def bench(latency_streams: int, capacity_streams: int, pin: bool,
                progress: Callable[[str], None]) -> dict[str, Any]:
    limits = raise_fd_limit(capacity_streams * 2)
    where = placement(pin)
    if where.env:
        os.sched_setaffinity(0, where.env)  # this process, and the fake it starts (affinity is inherited)
    fake: Server = start_server(capacity_streams + latency_streams)
    proxy, proxy_port = start_proxy(fake.port, where.proxy)
    pids = Pids(proxy=proxy.pid, fake=fake.proc.pid)
    started = time.perf_counter()
    try:
        idle_rss = rss_kb(proxy.pid)
        progress("REST")
        rest = await rest_latency(fake.port, proxy_port)
        progress("one stream, one message at a time")
        idle_direct, idle_proxy = [], []
        for _ in range(IDLE_ROUNDS):  # interleaved, so drift in machine load hits both alike
            idle_direct += await sequential_rtts(fake.port, IDLE_MESSAGES)
            idle_proxy += await sequential_rtts(proxy_port, IDLE_MESSAGES)
        idle = {"direct_ms": percentiles(idle_direct), "proxy_ms": percentiles(idle_proxy),
                "added_ms": _added(percentiles(idle_direct), percentiles(idle_proxy)), "round_trips": len(idle_proxy)}
        progress(f"{latency_streams} streams, independent phases")
        latency = await side_by_side(fake.port, proxy_port, latency_streams, LATENCY_ROUNDS, LATENCY_ROUND_S, pids,
                                     staggered=True)
        progress(f"{latency_streams} streams, all in the same millisecond")
        burst = await side_by_side(fake.port, proxy_port, latency_streams, 1, BURST_ROUND_S, pids, staggered=False)
        progress(f"{capacity_streams} streams direct")
        many_direct = await streams_phase(fake.port, capacity_streams, CAPACITY_PHASE_S, pids)
        progress(f"{capacity_streams} streams through the proxy")
        many = await streams_phase(proxy_port, capacity_streams, CAPACITY_PHASE_S, pids)
        many_sum = summarise(many.streams)
    finally:
        stop_proxy(proxy)
        stop_server(fake)
    ws_added = latency["added_ms"]
    loads = latency["proxy_load"] + latency["direct_load"] + [many.load, many_direct.load]
    other = [ld["machine"]["other_work_cores"] for ld in loads if ld.get("machine")]
    return {
        "benchmark": "proxy", "command": "python benchmarks/proxy_bench.py",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "fd_limit": limits,
                    "placement": where.describe()},
        "run_s": round(time.perf_counter() - started, 1),
        "other_work_cores_max": max(other) if other else None,
        "other_work_note": "CPU used by other processes on this machine while streams were measured (cores); "
                           "above ~0.2 the proxy competes with them and the figures are upper bounds",
        "rest": rest,
        "ws_message_one_stream": {**idle, "note": "one message at a time on one stream: the relay's own cost"},
        "ws_message": {**latency, "note": "round trip of one client message and its reply (the proxy relays "
                                          "both); streams at independent phases, as independent clients are"},
        "ws_message_burst": {**burst, "note": "stress: every stream sends in the same millisecond, so a message "
                                              "waits for the rest of the burst at each hop; not the target"},
        "realtime_streams": {**many_sum, "seconds": CAPACITY_PHASE_S, "proxy_load": many.load,
                             "proxy_cpu_us_per_message": per_message_us(many),
                             "proxy_peak_rss_kb": many.proxy_peak_rss_kb,
                             "direct_same_load": {**summarise(many_direct.streams), "load": many_direct.load},
                             "note": "fell_behind: a chunk sent more than 100 ms late, or a Finalize not answered "
                                     "within 100 ms; direct_same_load: the same streams straight to the fake"},
        "proxy_idle_rss_kb": idle_rss,
        "targets": {
            "ws_added_p99_ms": {"target": TARGET_ADDED_P99_MS, "got": ws_added["p99"],
                                "met": ws_added["p99"] is not None and ws_added["p99"] < TARGET_ADDED_P99_MS},
            "realtime_streams": {"target": TARGET_STREAMS, "got": many_sum["streams"] - many_sum["fell_behind"],
                                 "met": many_sum["streams"] >= TARGET_STREAMS and many_sum["fell_behind"] == 0},
        },
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="proxy_bench.py", description=(__doc__ or "").split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "bench-proxy.json")
    p.add_argument("--streams", type=int, default=TARGET_STREAMS)
    p.add_argument("--latency-streams", type=int, default=100)
    p.add_argument("--pin", action="store_true",
                   help="give the proxy the last CPU to itself, the fake and this generator the others "
                   "(default: the scheduler places all three)")
    ns = p.parse_args(argv)

    def progress(text: str) -> None:
        print(f"proxy_bench: {text}", file=sys.stderr, flush=True)

    result = asyncio.run(bench(ns.latency_streams, ns.streams, ns.pin, progress))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["targets"], indent=2))
    print(f"wrote {ns.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
