"""The compact table printed at the end of a run.

It answers "did anything break, and where do I look" in one screen: counts per account, then only
the cells someone has to act on (unexpected or inconclusive), each with its request id so it can be
quoted to Deepgram support straight from a CI log. Colour only when asked (a TTY): CI logs and files
must not fill with escape codes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dg_entitlements.drift import render_drift_text
from dg_entitlements.model import Cell, Outcome, RunResult
from dg_entitlements.report.labels import expected_text, got_text, ordered_accounts, request_id, tries
from dg_entitlements.report.summary import account_summaries
from dg_entitlements.secrets import scrub

_COLUMNS = (
    (Outcome.AS_EXPECTED, "ok"),
    (Outcome.UNEXPECTED_DENY, "unexp.deny"),
    (Outcome.UNEXPECTED_ALLOW, "unexp.allow"),
    (Outcome.INCONCLUSIVE, "inconcl."),
    (Outcome.SKIPPED, "skipped"),
)
_ANSI = {
    Outcome.AS_EXPECTED: "32",
    Outcome.UNEXPECTED_DENY: "1;31",
    Outcome.UNEXPECTED_ALLOW: "1;33",
    Outcome.INCONCLUSIVE: "33",
    Outcome.SKIPPED: "2",
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def render_summary(run: RunResult, color: bool = False, reports: Sequence[str | os.PathLike[str]] = ()) -> str:
    """The end-of-run table as text (scrubbed). `reports` are the paths written, listed last."""
    lines = [_header(run), ""]
    # The same sentence as the HTML report's first screen: who has, lacks or could not use what.
    lines.extend(f"• {s.sentence()}" for s in account_summaries(run))
    lines.append("")
    lines.extend(_counts_table(run, color))
    problems = [
        c for c in run.cells if c.outcome in (Outcome.UNEXPECTED_DENY, Outcome.UNEXPECTED_ALLOW, Outcome.INCONCLUSIVE)
    ]
    if problems:
        lines.append("")
        lines.append("Needs a look (expected / got / request id):")
        width = max(len(c.test_id) for c in problems)
        for cell in problems:
            lines.append(_problem_line(cell, width, color))
    retried_ok = sum(1 for c in run.cells if c.retried and c.outcome is Outcome.AS_EXPECTED)
    if retried_ok:
        lines.append(f"{retried_ok} as-expected cell(s) needed retries (shown with ↻ in the report).")
    if run.drift:
        lines.append("")
        lines.extend(render_drift_text(run.drift).rstrip("\n").splitlines())
    lines.append("")
    c = run.cost
    lines.append(f"Cost: {c.requests} requests, {c.audio_seconds:g} s of audio, {c.characters} characters")
    if not run.complete:
        lines.append(_paint("INCOMPLETE RUN: the run was interrupted; results above are partial.", "1;31", color))
    for path in reports:
        lines.append(f"Report: {os.fspath(path)}")
    return scrub("\n".join(lines) + "\n")


def _header(run: RunResult) -> str:
    total = len(run.cells)
    return f"Deepgram entitlements · mode {run.mode} · {total} cells · {run.started_at} → {run.finished_at}"


def _counts_table(run: RunResult, color: bool) -> list[str]:
    accounts = ordered_accounts(run)
    acc_w = max([len("account"), *(len(a) for a in accounts)])
    head = f"{'account':<{acc_w}}  " + "  ".join(f"{label:>11}" for _, label in _COLUMNS)
    rows = [head, "-" * len(head)]
    for alias in accounts:
        cells = [c for c in run.cells if c.account == alias]
        parts = []
        for outcome, _ in _COLUMNS:
            n = sum(1 for c in cells if c.outcome is outcome)
            text = f"{n:>11}"
            parts.append(_paint(text, _ANSI[outcome], color and n > 0 and outcome is not Outcome.AS_EXPECTED))
        rows.append(f"{alias:<{acc_w}}  " + "  ".join(parts))
    return rows


def _problem_line(cell: Cell, width: int, color: bool) -> str:
    mark = {Outcome.UNEXPECTED_DENY: "✗", Outcome.UNEXPECTED_ALLOW: "!", Outcome.INCONCLUSIVE: "?"}[cell.outcome]
    retry = f" ↻{tries(cell)} tries" if cell.retried else ""
    rid = request_id(cell) or "no request id"
    text = (
        f"{mark} {cell.test_id:<{width}}  expected {expected_text(cell.expectation)}; "
        f"got {got_text(cell)}{retry}; {rid}"
    )
    return _paint(text, _ANSI[cell.outcome], color)
