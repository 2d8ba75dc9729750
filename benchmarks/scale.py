"""Scaled inputs and one measured engine run, for the scaling benchmark (benchmarks/run.py).

Why this shape:
- A run over N x the shipped fake accounts is what an organisation with many projects does: every
  copy gets its own fake key and project id, so the fake's per-project limits apply per copy.
- The inputs are derived from the shipped files by text (the accounts' expectations and the
  projects' models stay exactly as tested), never hand-written.
- `python benchmarks/scale.py run ACCOUNTS FAKE_CONFIG [LATENCY_MS|-] [REPORT_DIR]` is one engine run
  in its own process, driven as `dg-entitlements check` drives it: the JSONL checkpoint
  (`outputs.Checkpoint`) on its background thread through `engine.threaded`, then
  `outputs.write_reports`, timed apart. An event-loop lag monitor (a task that sleeps 10 ms in a loop
  and records how late it wakes) runs on the run's own loop. It prints one JSON line on stdout, and
  the probing figures on stderr before the (possibly slow) final reports.
- `measure_scaled` is the parent side: it builds the inputs, starts that child and reads the child's
  peak memory from `wait4` (ru_maxrss of that one process, the embedded fake included, since fake
  mode runs it in-process), so memory is the run's own and not the benchmark's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src/dg_entitlements/data"
LAG_TICK_S = 0.010
POLL_S = 0.2


def _copy_sections(text: str, suffix: str) -> str:
    """Every `accounts.<alias>` (table headers and key lines) renamed `<alias>-<suffix>`."""
    text = re.sub(r"(?m)^\[accounts\.([a-z0-9-]+)", lambda m: f"[accounts.{m.group(1)}-{suffix}", text)
    return re.sub(r'(?m)^key = "(dgfake-[a-z0-9-]+)"', lambda m: f'key = "{m.group(1)}-{suffix}"', text)


def _body(text: str) -> str:
    """The part of a file from its first account table on (headers such as `schema` stay once)."""
    return text[_first_account(text):]


def _first_account(text: str) -> int:
    found = re.search(r"(?m)^\[accounts\.", text)
    assert found is not None, "no account table"
    return found.start()


def scaled_inputs(copies: int, folder: Path) -> tuple[Path, Path]:
    """An accounts file and a fake config holding `copies` copies of the 3 shipped fake accounts."""
    accounts = (DATA / "accounts-fake.toml").read_text(encoding="utf-8")
    fake = (DATA / "fake-deepgram.toml").read_text(encoding="utf-8")
    acc_head, fake_head = accounts[:_first_account(accounts)], fake[:_first_account(fake)]
    acc_parts, fake_parts = [acc_head], [fake_head]
    for i in range(copies):
        suffix = f"c{i:04d}"
        acc_parts.append(_copy_sections(_body(accounts), suffix))
        body = _copy_sections(_body(fake), suffix)
        # A distinct project id per copy: the fake's stream limit is per project.
        base = (i + 1) * 1000

        def renumber(m: re.Match[str], base: int = base) -> str:
            return f'project_id = "{m.group(1)}-{base + int(m.group(2)):012d}"'

        body = re.sub(r'(?m)^project_id = "([0-9a-f-]+)-(\d{12})"', renumber, body)
        fake_parts.append(body)
    folder.mkdir(parents=True, exist_ok=True)
    acc_path, fake_path = folder / f"accounts-x{copies}.toml", folder / f"fake-x{copies}.toml"
    acc_path.write_text("\n".join(acc_parts), encoding="utf-8")
    fake_path.write_text("\n".join(fake_parts), encoding="utf-8")
    return acc_path, fake_path


def quantiles(values: list[float]) -> dict[str, Any]:
    """p50 / p99 / max of a sample, rounded for the report (samples: how many values)."""
    if len(values) < 2:
        return {"samples": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"samples": len(values), "p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2),
            "max_ms": round(max(values), 2)}


class LagMonitor:
    """An engine handler: on the first finished cell it starts, on the run's own event loop, a task
    that sleeps 10 ms in a loop and records the overshoot; on RunFinished it stops.

    (RunStarted is emitted before the run's loop exists, so the first cell is the earliest hook.)"""

    def __init__(self) -> None:
        self.overshoot_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def __call__(self, event: Any) -> None:
        from dg_entitlements.engine import CellFinished, RunFinished

        if isinstance(event, CellFinished) and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick())
        elif isinstance(event, RunFinished) and self._task is not None:
            self._task.cancel()

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK_S)
            self.overshoot_ms.append((time.perf_counter() - before - LAG_TICK_S) * 1000)

    def summary(self) -> dict[str, Any]:
        return quantiles(self.overshoot_ms)


class FinishClock:
    """An engine handler placed before the threaded checkpoint: when RunFinished arrives it notes the
    time, so what the run spends after it (the checkpoint thread draining its queue, then the embedded
    fake stopping) is measured."""

    def __init__(self) -> None:
        self.finished_at: float | None = None

    def __call__(self, event: Any) -> None:
        from dg_entitlements.engine import RunFinished

        if isinstance(event, RunFinished):
            self.finished_at = time.perf_counter()


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def child_run(accounts: str, fake_config: str, latency_ms: int | None, report_dir: str) -> dict[str, Any]:
    started = time.perf_counter()
    from dg_entitlements import engine
    from dg_entitlements.config import SuiteOptions, load
    from dg_entitlements.outputs import CHECKPOINT_NAME, Checkpoint, check_report_dir, write_reports

    options = SuiteOptions(mode="fake", accounts=accounts, fake_config=fake_config, fake_latency_ms=latency_ms,
                           report_dir=report_dir, root=str(ROOT))
    loaded = load(options)
    loaded_s = time.perf_counter() - started
    lag = LagMonitor()
    clock = FinishClock()
    checkpoint = Checkpoint(check_report_dir(Path(report_dir)))  # as `check` does, before the first request
    result = engine.run(loaded, handlers=[lag, clock, engine.threaded(checkpoint)])
    run_done = time.perf_counter()
    run_s = run_done - started - loaded_s
    drain_s = run_done - clock.finished_at if clock.finished_at is not None else None
    checkpoint_lines = _lines(Path(report_dir) / CHECKPOINT_NAME)
    figures: dict[str, Any] = {
        "cells": len(result.cells), "counts": result.counts(), "load_s": round(loaded_s, 3),
        "run_s": round(run_s, 3), "run_finished_to_return_s": None if drain_s is None else round(drain_s, 3),
        "checkpoint_lines": checkpoint_lines, "loop_lag": lag.summary(),
        "peak_rss_mb_before_reports": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures), file=sys.stderr, flush=True)  # the probing figures, before the final reports
    if not os.environ.get("DG_BENCH_NO_REPORTS"):
        write_reports(result, Path(report_dir))
    figures["reports_s"] = round(time.perf_counter() - run_done, 3)
    figures["html_bytes"] = _size(Path(report_dir) / "entitlements.html")
    figures["json_bytes"] = _size(Path(report_dir) / "entitlements.json")
    return figures


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


# ------------------------------------------------------------------------------------ parent side


def measure_scaled(copies: int, folder: Path, report_dir: Path, timeout_s: float,
                   latency_ms: int | None = None) -> dict[str, Any]:
    """One scaled run in a child process: its figures, its whole wall time and its peak RSS (wait4)."""
    accounts, fake = scaled_inputs(copies, folder)
    report_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = folder / f"run-x{copies}.out", folder / f"run-x{copies}.err"
    cmd = [sys.executable, str(Path(__file__).resolve()), "run", str(accounts), str(fake),
           "-" if latency_ms is None else str(latency_ms), str(report_dir)]
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    status, rusage, timed_out = _wait4(proc, timeout_s)
    wall = time.perf_counter() - started
    text = out_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    figures: dict[str, Any] = {}
    if text:
        try:
            figures = json.loads(text[-1])
        except json.JSONDecodeError:
            figures = {}
    if not figures:  # the probing figures come first on stderr: keep them if the reports never finished
        for line in err_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                figures = json.loads(line)
        figures["stderr_tail"] = err_path.read_text(encoding="utf-8", errors="replace")[-1500:]
    return {"copies": copies, "process_wall_s": round(wall, 3), "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
            "exit_status": status, "timed_out": timed_out, **figures}


def _wait4(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, Any, bool]:
    """wait4 on the child (its own ru_maxrss), killing it past `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    timed_out = False
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
            return proc.returncode, rusage, timed_out
        if time.monotonic() > deadline and not timed_out:
            timed_out = True
            proc.kill()
        time.sleep(POLL_S)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "run" and len(argv) >= 3:
        latency = int(argv[3]) if len(argv) > 3 and argv[3] != "-" else None
        if len(argv) > 4:
            print(json.dumps(child_run(argv[1], argv[2], latency, argv[4])))
        else:
            with tempfile.TemporaryDirectory(prefix="dg-scale-") as tmp:
                print(json.dumps(child_run(argv[1], argv[2], latency, tmp)))
        return 0
    if argv and argv[0] == "inputs":
        print(*scaled_inputs(int(argv[1]), Path(argv[2])))
        return 0
    print("usage: scale.py inputs COPIES FOLDER | scale.py run ACCOUNTS FAKE_CONFIG [LATENCY_MS|-] [REPORT_DIR]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
