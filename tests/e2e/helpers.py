"""Run the suite end to end from tests: through the pipeline API (fast) or the CLI (exit codes, output)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from dg_entitlements import engine
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.model import Cell, RunResult

ROOT = Path(__file__).resolve().parents[2]


def run_suite(pairs: list[tuple[str, str]] | None = None, **options: Any) -> RunResult:
    options.setdefault("cassettes", "fixtures/cassettes")
    return engine.run(load(SuiteOptions(root=str(ROOT), **options)), pairs)


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dg_entitlements.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def comparable(cell: Cell) -> dict[str, Any]:
    """A cell without its timings: what a replay must reproduce exactly."""
    obs = cell.observation
    return {
        "test_id": cell.test_id,
        "outcome": cell.outcome,
        "verdict": cell.judgement and cell.judgement.verdict,
        "reason": cell.judgement and cell.judgement.reason,
        "status": obs and obs.status,
        "headers": obs and obs.headers,
        "body": obs and obs.body,
        "frames": obs and [(f.kind, f.data, f.size) for f in obs.frames],
        "close": obs and (obs.close_code, obs.close_reason, obs.closed_by),
        "error": obs and obs.error,
        "url": obs and obs.request and obs.request.url,
        "diagnosis": cell.diagnosis and (cell.diagnosis.cause, cell.diagnosis.title),
    }
