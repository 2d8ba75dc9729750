"""The run's artefacts, each a small handler of the engine's events.

- checkpoint: while probing, each finished cell is appended to `entitlements.checkpoint.jsonl` on a
  background thread (O(1) per cell, scrubbed line by line), so a killed run leaves what finished;
- at the end (or on interrupt): `entitlements.json`, the standalone `entitlements.html` and
  `junit.xml`, each written atomically (temp file + rename): a kill during a write leaves the
  previous good report, never a 0-byte one. The checkpoint is removed once the JSON is whole.
A run that probed nothing leaves the last reports alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from .engine import CellFinished, Event, RunFinished, RunStarted
from .errors import ConfigError
from .fsutil import atomic_write_text
from .model import SCHEMA_VERSION, Cell, RunResult
from .secrets import scrub

JSON_NAME = "entitlements.json"
HTML_NAME = "entitlements.html"
JUNIT_NAME = "junit.xml"
CHECKPOINT_NAME = "entitlements.checkpoint.jsonl"


def check_report_dir(path: Path) -> Path:
    """Usable before the first request: a folder (created if missing), never a file."""
    if path.exists() and not path.is_dir():
        raise ConfigError(str(path), "--dg-report-dir", "is a file, not a folder",
                          "give a folder (it is created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(str(path), "--dg-report-dir", f"cannot create it: {exc.strerror}",
                          "give a folder you can write to") from None
    return path


def cell_to_dict(cell: Cell) -> dict[str, Any]:
    from .report.json import _to_plain

    out = _to_plain(cell)
    out.pop("combo", None)  # in-process only: the run result carries `combos`
    return dict(out)


def cell_from_dict(data: Any, where: str) -> Cell:
    from .report.json import _from_plain, _Invalid

    try:
        cell = _from_plain(Cell, data, "$")
    except _Invalid as exc:
        raise ConfigError(where, exc.where, exc.problem, "the checkpoint is corrupt: re-run the suite") from None
    assert isinstance(cell, Cell)
    return cell


class Checkpoint:
    """Appends finished cells as JSON lines; `read_checkpoint` rebuilds an incomplete run from them."""

    def __init__(self, report_dir: Path) -> None:
        self.path = report_dir / CHECKPOINT_NAME
        self._fh: TextIO | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._fh = self.path.open("w", encoding="utf-8")
            self._write({"schema_version": SCHEMA_VERSION, "mode": event.mode, "total": event.total})
        elif isinstance(event, CellFinished) and self._fh is not None:
            self._write(cell_to_dict(event.cell))
        elif isinstance(event, RunFinished) and self._fh is not None:
            self._fh.close()
            self._fh = None

    def _write(self, data: dict[str, Any]) -> None:
        assert self._fh is not None
        self._fh.write(scrub(json.dumps(data, sort_keys=True, ensure_ascii=False)) + "\n")
        self._fh.flush()

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.path.unlink(missing_ok=True)


def write_reports(result: RunResult, report_dir: Path) -> list[Path]:
    """JSON, standalone HTML and JUnit for a finished (or interrupted) run, atomically."""
    from .report.html import render_page
    from .report.json import write_json
    from .report.junit import render_junit

    written = [write_json(result, report_dir / JSON_NAME)]
    written.append(atomic_write_text(report_dir / HTML_NAME, scrub(render_page(result))))
    written.append(atomic_write_text(report_dir / JUNIT_NAME, scrub(render_junit(result))))
    (report_dir / CHECKPOINT_NAME).unlink(missing_ok=True)
    return written


def read_checkpoint(path: Path) -> RunResult:
    """An incomplete run from a checkpoint left by a killed run (`render` accepts it)."""
    from .report.json import run_from_dict

    try:
        raw = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        if raw and not raw[-1].endswith("}"):
            raw.pop()  # a kill mid-write tears at most the last line: what came before is whole
        lines = [json.loads(line) for line in raw]
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), "", f"not a checkpoint ({exc})", "give an entitlements.json or a "
                          "checkpoint written by dg-entitlements") from None
    if not lines or not isinstance(lines[0], dict) or "mode" not in lines[0]:
        raise ConfigError(str(path), "line 1", "no checkpoint header", "give a checkpoint written by dg-entitlements")
    head = lines[0]
    shell = run_from_dict({"schema_version": head.get("schema_version"), "tool_version": "", "mode": head["mode"],
                           "started_at": "", "finished_at": "", "complete": False, "accounts": [], "cells": []},
                          str(path))
    cells = tuple(cell_from_dict(line, f"{path}: line {i + 2}") for i, line in enumerate(lines[1:]))
    return replace(shell, cells=cells, notes=("rebuilt from a checkpoint: the run was killed",),
                   status="interrupted", headline=f"Interrupted: {len(cells)} cells finished before the run "
                                                  "was killed")


def report_paths(report_dir: Path) -> list[str]:
    return [os.fspath(report_dir / n) for n in (HTML_NAME, JSON_NAME, JUNIT_NAME)]
