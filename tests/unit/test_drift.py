"""Drift against a baseline: gained, lost, changed; inconclusive and skipped ignored."""

from __future__ import annotations

import dataclasses

from dg_entitlements.drift import compare, render_drift_text
from dg_entitlements.model import Cell, Outcome, RunResult, Verdict
from dg_entitlements.report.sample import cell, sample_run

E, NE, PAY, TO = Verdict.ENTITLED, Verdict.NOT_ENTITLED, Verdict.PAYMENT_REQUIRED, Verdict.TIMEOUT


def _run(*cells: Cell) -> RunResult:
    return dataclasses.replace(sample_run(with_drift=False), cells=cells)


def _c(variant: str, verdict: Verdict | None, outcome: Outcome = Outcome.AS_EXPECTED, account: str = "a") -> Cell:
    status = {E: 200, NE: 403, PAY: 402, TO: None}.get(verdict) if verdict else None
    return cell(account, "listen-v1-rest", variant, outcome, verdict, status)


def test_gained_lost_changed_and_order() -> None:
    old = _run(_c("m1", E), _c("m2", NE), _c("m3", NE), _c("m4", E), _c("m1", E, account="b"))
    new = _run(_c("m1", NE), _c("m2", E), _c("m3", PAY), _c("m4", E), _c("m1", NE, account="b"))
    drifts = compare(old, new)
    assert [(d.change, d.account, d.combo_id) for d in drifts] == [
        ("lost", "a", "listen-v1-rest::m1"),
        ("lost", "b", "listen-v1-rest::m1"),
        ("gained", "a", "listen-v1-rest::m2"),
        ("changed", "a", "listen-v1-rest::m3"),
    ]
    assert (drifts[0].before, drifts[0].after) == ("entitled", "not_entitled")


def test_inconclusive_skipped_and_new_combos_are_ignored() -> None:
    old = _run(_c("m1", E), _c("m2", E), _c("m3", NE), _c("m4", TO, Outcome.INCONCLUSIVE))
    new = _run(_c("m1", TO, Outcome.INCONCLUSIVE), _c("m2", None, Outcome.SKIPPED), _c("m5", E), _c("m4", E))
    assert compare(old, new) == ()


def test_same_verdict_is_no_drift_even_if_outcome_differs() -> None:
    old = _run(_c("m1", NE, Outcome.AS_EXPECTED))
    new = _run(_c("m1", NE, Outcome.UNEXPECTED_DENY))
    assert compare(old, new) == ()


def test_render_text() -> None:
    old = _run(_c("m1", E), _c("m2", NE))
    new = _run(_c("m1", NE), _c("m2", E))
    text = render_drift_text(compare(old, new))
    lines = text.splitlines()
    assert lines[0] == "Drift since baseline: 1 lost, 1 gained, 0 changed"
    assert lines[1].split() == ["LOST", "a", "listen-v1-rest::m1", "entitled", "->", "not_entitled"]
    assert "No drift" in render_drift_text(())
