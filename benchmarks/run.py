"""`make bench`: speed and capacity figures, measured side by side in one run, into reports/bench.json.

Never a timed assertion in a test: machines here are noisy, so figures are measured and reported,
and the targets are compared here, in the open.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from dg_entitlements.fsutil import atomic_write_text  # noqa: E402
from dg_entitlements.modes import all_pairs, build_plan, load, open_mode  # noqa: E402
from dg_entitlements.options import SuiteOptions  # noqa: E402
from dg_entitlements.pipeline import RunPlan, execute  # noqa: E402
from dg_entitlements.probe.runner import ProbeSettings  # noqa: E402


def timed_run(plan: RunPlan) -> tuple[float, Any]:
    import asyncio

    started = time.perf_counter()
    result = asyncio.run(execute(plan))
    return time.perf_counter() - started, result


SINGLE_PROBES = {
    "rest": ("payg-full", "listen-v1-rest::nova-3"),
    "ws": ("payg-full", "listen-v1-ws::nova-3"),
    "flux": ("payg-full", "listen-v2-ws::flux-general-en"),
    "speak-ws": ("payg-full", "speak-v1-ws::aura-asteria-en"),
}


def probing_phase(latency_ms: int) -> dict[str, Any]:
    """Full matrix against the fake with `latency_ms` added per answer, beside one probe alone and
    beside one-at-a-time probing, all against the same server in the same run.

    The matrix cannot finish before its slowest probe, so the ratio that shows whether probing is
    concurrent is wall time / the slowest single probe (a stream probe: handshake, a short read window,
    the close). The ratio against a REST probe is reported too.
    """
    options = SuiteOptions(mode="fake", fake_latency_ms=latency_ms, controls=False, root=str(ROOT))
    loaded = load(options)
    pairs = all_pairs(loaded)
    with open_mode(loaded, pairs) as env:
        plan = build_plan(loaded, pairs, env)
        from dataclasses import replace

        singles: dict[str, float] = {}
        for kind, pair in SINGLE_PROBES.items():
            one = replace(plan, selected=tuple(s for s in plan.selected if (s.account.alias, s.combo.id) == pair))
            singles[kind] = statistics.median(timed_run(one)[0] for _ in range(5))
        concurrent = [timed_run(plan) for _ in range(3)]
        concurrent_s = statistics.median(t for t, _ in concurrent)
        result = concurrent[0][1]
        serial_plan = replace(plan, settings=ProbeSettings(concurrency=1, loopback=True))
        serial_s, _ = timed_run(serial_plan)
    slowest = max(singles.values())
    return {
        "cells": len(pairs), "accounts": len({a for a, _ in pairs}), "added_latency_ms": latency_ms,
        "concurrency": plan.settings.concurrency,
        "probing_wall_s": round(concurrent_s, 3),
        "single_probe_s": {k: round(v, 3) for k, v in singles.items()},
        "ratio_wall_to_slowest_single": round(concurrent_s / slowest, 2),
        "ratio_wall_to_rest_single": round(concurrent_s / singles["rest"], 2),
        "target_ratio": 2.0, "target_met": concurrent_s / slowest < 2.0,
        "one_at_a_time_wall_s": round(serial_s, 3),
        "speedup_vs_one_at_a_time": round(serial_s / concurrent_s, 1),
        "outcomes": result.counts(),
    }


def replay_overhead() -> dict[str, Any]:
    """Replay against fake runs of the same matrix: per-combination overhead of the cassette path."""
    fake_opts = SuiteOptions(mode="fake", controls=False, root=str(ROOT))
    replay_opts = SuiteOptions(mode="replay", controls=False, root=str(ROOT))
    out: dict[str, Any] = {}
    for name, opts in (("fake", fake_opts), ("replay", replay_opts)):
        loaded = load(opts)
        pairs = all_pairs(loaded)
        with open_mode(loaded, pairs) as env:
            plan = build_plan(loaded, pairs, env)
            times = [timed_run(plan)[0] for _ in range(3)]
        out[f"{name}_wall_s"] = round(statistics.median(times), 3)
        out["cells"] = len(pairs)
    out["replay_overhead_per_cell_ms"] = round((out["replay_wall_s"] - out["fake_wall_s"]) / out["cells"] * 1000, 2)
    out["replay_per_cell_ms"] = round(out["replay_wall_s"] / out["cells"] * 1000, 2)
    out["target_ms"] = 10.0
    return out


def make_test_time() -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    last = (proc.stdout.strip().splitlines() or ["?"])[-1]
    return {"wall_s": round(wall, 1), "exit_code": proc.returncode, "summary": last, "target_s": 180}


def capacity() -> dict[str, Any]:
    try:
        from capacity import measure_capacity  # type: ignore[import-not-found]
    except ImportError:
        return {"skipped": "benchmarks/capacity.py not present"}
    return dict(measure_capacity(sessions=int(os.environ.get("DG_BENCH_SESSIONS", "500"))))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-make-test", action="store_true", help="skip timing the test suite")
    parser.add_argument("--output", default=str(ROOT / "reports/bench.json"))
    ns = parser.parse_args()
    bench: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print("probing phase (300 ms per answer)...", flush=True)
    bench["probing_phase"] = probing_phase(300)
    print(json.dumps(bench["probing_phase"], indent=2), flush=True)
    print("replay overhead...", flush=True)
    bench["replay"] = replay_overhead()
    print(json.dumps(bench["replay"], indent=2), flush=True)
    print("fake capacity...", flush=True)
    bench["fake_capacity"] = capacity()
    print(json.dumps(bench["fake_capacity"], indent=2), flush=True)
    if not ns.skip_make_test:
        print("make test wall time...", flush=True)
        bench["make_test"] = make_test_time()
        print(json.dumps(bench["make_test"], indent=2), flush=True)
    atomic_write_text(Path(ns.output), json.dumps(bench, indent=2, sort_keys=True) + "\n")
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
