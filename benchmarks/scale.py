"""Scaled inputs and one measured engine run, for the scaling benchmark (benchmarks/run.py).

Why this shape:
- A run over N x the shipped fake accounts is what an organisation with many projects does: every
  copy gets its own fake key and project id, so the fake's per-project limits apply per copy.
- The inputs are derived from the shipped files by text (the accounts' expectations and the
  projects' models stay exactly as tested), never hand-written.
- `python benchmarks/scale.py run ACCOUNTS FAKE_CONFIG [LATENCY_MS]` is one engine run in its own
  process (the parent reads its peak memory from wait4), with the JSONL checkpoint on its background
  thread as in `dg-entitlements check`, and an event-loop lag monitor: a task that sleeps 10 ms in a
  loop and records how late it wakes. It prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src/dg_entitlements/data"
LAG_TICK_S = 0.010


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


class LagMonitor:
    """An engine handler: on the first finished cell it starts, on the run's own event loop, a task
    that sleeps 10 ms in a loop and records the overshoot; on RunFinished it stops."""

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
        values = self.overshoot_ms
        if len(values) < 2:
            return {"samples": len(values)}
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return {"samples": len(values), "p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2),
                "max_ms": round(max(values), 2)}


def child_run(accounts: str, fake_config: str, latency_ms: int | None, report_dir: str) -> dict[str, Any]:
    started = time.perf_counter()
    from dg_entitlements import engine
    from dg_entitlements.config import SuiteOptions, load
    from dg_entitlements.outputs import Checkpoint, write_reports

    options = SuiteOptions(mode="fake", accounts=accounts, fake_config=fake_config, fake_latency_ms=latency_ms,
                           report_dir=report_dir, root=str(ROOT))
    loaded = load(options)
    loaded_s = time.perf_counter() - started
    lag = LagMonitor()
    checkpoint = Checkpoint(Path(report_dir))
    result = engine.run(loaded, handlers=[engine.threaded(checkpoint), lag])
    run_s = time.perf_counter() - started - loaded_s
    print(json.dumps({"cells": len(result.cells), "run_s": round(run_s, 3), "loop_lag": lag.summary()}),
          file=sys.stderr, flush=True)  # the probing figures, before the (slow) final reports
    if not os.environ.get("DG_BENCH_NO_REPORTS"):
        write_reports(result, Path(report_dir))
    return {"cells": len(result.cells), "counts": result.counts(), "load_s": round(loaded_s, 3),
            "run_s": round(run_s, 3), "reports_s": round(time.perf_counter() - started - loaded_s - run_s, 3),
            "loop_lag": lag.summary()}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "run":
        latency = int(argv[3]) if len(argv) > 3 and argv[3] != "-" else None
        with tempfile.TemporaryDirectory(prefix="dg-scale-") as tmp:
            print(json.dumps(child_run(argv[1], argv[2], latency, tmp)))
        return 0
    if argv and argv[0] == "inputs":
        print(*scaled_inputs(int(argv[1]), Path(argv[2])))
        return 0
    print("usage: scale.py inputs COPIES FOLDER | scale.py run ACCOUNTS FAKE_CONFIG [LATENCY_MS]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
