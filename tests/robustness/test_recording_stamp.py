"""Issue 11 item 5: only a whole recording re-stamps `recorded_at`.

A partial recording (a subset selected with -k, older answers kept in the files) must keep the previous
stamp, or replay would call old answers fresh; a whole re-recording stamps the new time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .kit import ROOT


def _record(cassettes: Path, reports: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    proc = subprocess.run([sys.executable, "-m", "dg_entitlements.cli", "check", "--dg-record", "--dg-cassettes",
                           str(cassettes), "--dg-report-dir", str(reports), "--dg-no-controls", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _stamps(cassettes: Path) -> dict[str, str]:
    return {p.parent.name: json.loads(p.read_text())["recorded_at"] for p in cassettes.glob("*/meta.json")}


def test_a_partial_recording_keeps_the_stamp_and_a_whole_one_renews_it(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    _record(cassettes, tmp_path / "r1", "-k", "listen")
    first = _stamps(cassettes)
    assert first
    _record(cassettes, tmp_path / "r2", "-k", "listen and nova-3")  # a subset: other answers stay old
    assert _stamps(cassettes) == first
    _record(cassettes, tmp_path / "r3", "-k", "listen")  # every answer the files hold, again
    renewed = _stamps(cassettes)
    assert all(renewed[alias] > first[alias] for alias in first), (first, renewed)
