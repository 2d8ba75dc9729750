"""Issue 13 item 1: checkpoints are appended per finished cell, and a killed large run reads back.

The checkpoint is the only thing a SIGKILL leaves (no handler runs), so what matters is that every
line but a torn last one is whole, and that reading it back gives a valid run marked incomplete.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dg_entitlements.engine import CellFinished, RunFinished, RunStarted
from dg_entitlements.errors import ConfigError
from dg_entitlements.outputs import CHECKPOINT_NAME, Checkpoint, read_checkpoint
from dg_entitlements.report.sample import sample_run
from dg_entitlements.runstatus import run_status

LARGE = 2_000


def _large_cells() -> list:  # type: ignore[type-arg]
    base = sample_run().cells
    return [replace(base[i % len(base)], account=f"acct-{i // len(base):03d}") for i in range(LARGE)]


def test_each_finished_cell_is_one_line_on_disk_at_once(tmp_path: Path) -> None:
    cells = _large_cells()[:50]
    checkpoint = Checkpoint(tmp_path)
    checkpoint(RunStarted(mode="fake", total=len(cells), per_account={}))
    for done, cell in enumerate(cells, start=1):
        checkpoint(CellFinished(cell, done, len(cells)))
        lines = checkpoint.path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == done + 1  # flushed as it finished, not at the end
    assert json.loads(lines[-1])["combo_id"] == cells[-1].combo_id


def test_a_killed_large_run_reads_back_valid_and_incomplete(tmp_path: Path) -> None:
    cells = _large_cells()
    checkpoint = Checkpoint(tmp_path)
    checkpoint(RunStarted(mode="fake", total=LARGE + 500, per_account={}))
    for done, cell in enumerate(cells, start=1):
        checkpoint(CellFinished(cell, done, LARGE + 500))
    path = tmp_path / CHECKPOINT_NAME
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 37])  # SIGKILL in the middle of writing the last line

    run = read_checkpoint(path)
    assert not run.complete and run.status == "interrupted"
    assert len(run.cells) == LARGE - 1
    assert [(c.account, c.combo_id) for c in run.cells] == [(c.account, c.combo_id) for c in cells[:-1]]
    assert run.cells[5].judgement == cells[5].judgement


def test_a_finished_run_closes_the_checkpoint(tmp_path: Path) -> None:
    result = sample_run()
    checkpoint = Checkpoint(tmp_path)
    checkpoint(RunStarted(mode="fake", total=1, per_account={}))
    checkpoint(RunFinished(result, run_status(result, 0.5)))
    checkpoint(CellFinished(result.cells[0], 1, 1))  # after the end: ignored, not appended
    assert len((tmp_path / CHECKPOINT_NAME).read_text(encoding="utf-8").splitlines()) == 1


def test_a_file_that_is_not_a_checkpoint_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / CHECKPOINT_NAME
    path.write_text('{"cells": []}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no checkpoint header"):
        read_checkpoint(path)
