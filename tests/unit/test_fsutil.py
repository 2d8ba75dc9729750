"""Atomic writes: an interrupted write never leaves half a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dg_entitlements import fsutil
from dg_entitlements.fsutil import atomic_write_bytes, atomic_write_text


def test_writes_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "report.json"
    assert atomic_write_text(target, "héllo\n") == target
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # readable by others, like a normal file
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_failure_mid_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    atomic_write_text(target, "old and complete")

    def boom(fd: int) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(fsutil.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new but never finished" * 1000)
    assert target.read_text() == "old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind


def test_interrupt_during_replace_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    atomic_write_text(target, "old")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and len(os.listdir(tmp_path)) == 1


def test_keeps_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("x")
    target.chmod(0o640)
    atomic_write_text(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640
