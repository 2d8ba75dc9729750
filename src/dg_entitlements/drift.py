"""Drift: what an account gained or lost since a baseline run (pure).

A lost entitlement is the regression people need to hear about first (a nightly run that silently
stops being allowed Flux breaks production), so `compare` orders lost before gained before changed,
and `RunResult.contract_broken` turns a loss into exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from dg_entitlements.model import Cell, Drift, Outcome, RunResult, Verdict

_ORDER = {"lost": 0, "gained": 1, "changed": 2}


def comparable_verdict(cell: Cell) -> Verdict | None:
    """The verdict a drift comparison may use, or None when the cell says nothing about the account.

    Skipped cells were never sent, and inconclusive ones (timeouts, 5xx, 429, network errors,
    unreadable answers) are transient: comparing them would report a blip as a lost entitlement.
    """
    if cell.outcome in (Outcome.SKIPPED, Outcome.INCONCLUSIVE) or cell.judgement is None:
        return None
    verdict = cell.judgement.verdict
    return None if verdict.is_inconclusive else verdict


def compare(old: RunResult, new: RunResult) -> tuple[Drift, ...]:
    """Per (account, combo) present in both runs: gained (deny -> allow), lost (allow -> deny),
    changed (one denial verdict -> another, e.g. not_entitled -> payment_required).

    Ignored, on purpose: cells inconclusive or skipped on either side (see `comparable_verdict`), and
    combinations present in only one run (a catalogue change is not an entitlement change).
    Result order: lost, gained, changed; then account, then combination id.
    """
    before = {(c.account, c.combo_id): v for c in old.cells if (v := comparable_verdict(c)) is not None}
    drifts: list[Drift] = []
    for cell in new.cells:
        after = comparable_verdict(cell)
        prev = before.get((cell.account, cell.combo_id))
        if after is None or prev is None or after is prev:
            continue
        drifts.append(Drift(cell.account, cell.combo_id, _change(prev, after), prev.value, after.value))
    return tuple(sorted(drifts, key=lambda d: (_ORDER[d.change], d.account, d.combo_id)))


def _change(prev: Verdict, after: Verdict) -> Literal["gained", "lost", "changed"]:
    if after.is_allow and not prev.is_allow:
        return "gained"
    if prev.is_allow and not after.is_allow:
        return "lost"
    return "changed"


def sort_drifts(drifts: Iterable[Drift]) -> list[Drift]:
    """Lost first: the order every renderer uses, so the most important line is always on top."""
    return sorted(drifts, key=lambda d: (_ORDER.get(d.change, 9), d.account, d.combo_id))


def render_drift_text(drifts: Sequence[Drift]) -> str:
    """Plain text for the terminal and `dg-entitlements diff`: one line per change, lost first."""
    if not drifts:
        return "No drift: every comparable cell has the same verdict as in the baseline.\n"
    ordered = sort_drifts(drifts)
    counts = {k: sum(1 for d in ordered if d.change == k) for k in _ORDER}
    head = f"Drift since baseline: {counts['lost']} lost, {counts['gained']} gained, {counts['changed']} changed"
    acc_w = max(len(d.account) for d in ordered)
    combo_w = max(len(d.combo_id) for d in ordered)
    lines = [head]
    for d in ordered:
        lines.append(f"  {d.change.upper():<8}{d.account:<{acc_w}}  {d.combo_id:<{combo_w}}  {d.before} -> {d.after}")
    return "\n".join(lines) + "\n"
