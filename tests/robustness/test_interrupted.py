"""Issue 6 item 6: an interrupted run loses nothing it finished.

Why real processes and real signals: Ctrl-C (SIGINT), a CI runner stopping a job (SIGTERM) and a
killed worker (SIGKILL) reach the process from outside; only a subprocess shows what is left on disk.
The fake adds 1 s per answer at two probes at a time, so probing lasts well over a minute and the
signal always lands mid-run; the signal is sent only once the first checkpoint exists (an event,
not a sleep). All three runs go at once in one fixture to keep the folder fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from dg_entitlements.model import RunResult
from dg_entitlements.outputs import CHECKPOINT_NAME, JSON_NAME, read_checkpoint
from dg_entitlements.report.json import read_json

from .kit import ROOT

SIGNALS = {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}
BOUND_S = 60.0  # outer bound on waiting for a checkpoint or an exit: a regression fails, never hangs


@dataclass
class Interrupted:
    """What one interrupted run left behind."""

    returncode: int
    checkpoint: RunResult  # read before the signal
    final: RunResult  # read after the process ended
    report_dir: Path
    stderr: str


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the checkpoint holds its header and at least one finished cell."""
    deadline = time.monotonic() + BOUND_S
    while not (path.is_file() and path.read_bytes().count(b"\n") >= 2):
        assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint written while probing"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Interrupted]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for name in SIGNALS:
            out = tmp_path_factory.mktemp(name)
            err = (out / "stderr.txt").open("wb")
            procs[name] = (subprocess.Popen(
                [sys.executable, "-m", "dg_entitlements.cli", "check", "--dg-fake-latency-ms", "1000",
                 "--dg-concurrency", "2", "--dg-report-dir", str(out / "reports")],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err), out)
            err.close()
        results = {}
        for name, (proc, out) in procs.items():
            checkpoint_path = out / "reports" / CHECKPOINT_NAME
            _wait_for(checkpoint_path, proc)
            checkpoint = read_checkpoint(checkpoint_path)
            proc.send_signal(SIGNALS[name])
            rc = proc.wait(BOUND_S)
            json_path = out / "reports" / JSON_NAME
            final = read_json(json_path) if json_path.is_file() else read_checkpoint(checkpoint_path)
            results[name] = Interrupted(rc, checkpoint, final, out / "reports",
                                        (out / "stderr.txt").read_text(encoding="utf-8", errors="replace"))
        return results
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_the_checkpoint_is_valid_json_marked_incomplete(interrupted: dict[str, Interrupted]) -> None:
    """Appended while probing, one whole line per finished cell: readable mid-run, never complete."""
    for name, run in interrupted.items():
        assert not run.checkpoint.complete, name
        assert any("checkpoint" in note for note in run.checkpoint.notes), name
        assert any(c.observation is not None for c in run.checkpoint.cells), name


@pytest.mark.parametrize("name", ["sigint", "sigterm"])
def test_sigint_and_sigterm_leave_a_partial_run_with_what_finished(
        interrupted: dict[str, Interrupted], name: str) -> None:
    run = interrupted[name]
    assert run.returncode in (130, 2), (run.returncode, run.stderr[-2000:])
    final = run.final
    assert not final.complete and "interrupted" in final.notes
    finished = {c.test_id for c in final.cells if c.observation is not None}
    assert finished >= {c.test_id for c in run.checkpoint.cells if c.observation is not None}
    assert 0 < len(finished) < 123  # some, not all: the run really was cut short
    assert all(c.judgement is not None for c in final.cells if c.observation is not None)
    html_path = run.report_dir / "entitlements.html"
    assert html_path.is_file(), "no HTML report after an interrupted run"
    html = html_path.read_text(encoding="utf-8")
    if "dge-mx" in html:  # our matrix made it into pytest-html's page: it must say the run is partial
        assert "INCOMPLETE RUN" in html


def test_sigkill_leaves_the_last_checkpoint_whole(interrupted: dict[str, Interrupted]) -> None:
    """No handler runs on SIGKILL: the checkpoint on disk still reads back, incomplete."""
    run = interrupted["sigkill"]
    assert run.returncode == -signal.SIGKILL
    assert not (run.report_dir / JSON_NAME).exists()
    assert {c.test_id for c in run.final.cells} >= {c.test_id for c in run.checkpoint.cells}
    assert not run.final.complete
    assert any("checkpoint" in note for note in run.final.notes)
