"""`dg-entitlements history RUN.json... | DIR`: when each account gained or lost each entitlement.

Why: a single report says what an account has today; support and account managers are asked "since
when?" and "did it ever work?". Saved run results already hold the answer, so this reads them (any
order; sorted by start time), compares each run with the one before it with `drift.compare` (the one
owner of what counts as gained, lost or changed, and of ignoring inconclusive or skipped cells), and
renders one timeline per account with the request ids that prove each change. Trap rows (checks of
the request shape, `ComboInfo.intrinsic`) are left out: they say nothing about an account.
Pure except `cmd_history`, which reads the files and writes the page atomically.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dg_entitlements.drift import compare
from dg_entitlements.errors import ConfigError
from dg_entitlements.fsutil import atomic_write_text
from dg_entitlements.model import RunResult
from dg_entitlements.report.escape import e
from dg_entitlements.report.json import read_json
from dg_entitlements.report.labels import ordered_accounts, request_id, verdict_words
from dg_entitlements.report.summary import account_summaries, is_trap
from dg_entitlements.secrets import scrub

DEFAULT_OUTPUT = "reports/history.html"


@dataclass(frozen=True)
class Change:
    """One entitlement change between two consecutive runs."""

    at: str  # started_at of the run that saw the change
    account: str
    combo_id: str
    change: str  # gained | lost | changed
    before: str
    after: str
    request_id: str | None  # of the request that saw the new state
    before_request_id: str | None  # of the request that saw the old state
    source: str  # the run file that saw the change


def load_runs(paths: Sequence[str]) -> list[tuple[str, RunResult]]:
    """(file, run) for every path (a folder gives its *.json), oldest first; bad input is a ConfigError."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(p.glob("*.json"))
            if not found:
                raise ConfigError(raw, "", "no run result (*.json) in this folder", "give a folder of saved runs")
            files.extend(found)
        else:
            files.append(p)
    runs = [(str(f), read_json(f)) for f in files]
    return sorted(runs, key=lambda fr: (fr[1].started_at, fr[0]))


def changes(runs: Sequence[tuple[str, RunResult]]) -> list[Change]:
    out: list[Change] = []
    for (_, old), (file, new) in itertools.pairwise(runs):
        for d in compare(old, new):
            try:
                cell = new.cell(d.account, d.combo_id)
            except KeyError:  # pragma: no cover - compare only yields cells present in `new`
                continue
            if is_trap(new, cell):
                continue
            prev = old.cell(d.account, d.combo_id)
            out.append(
                Change(
                    new.started_at,
                    d.account,
                    d.combo_id,
                    d.change,
                    d.before,
                    d.after,
                    request_id(cell),
                    request_id(prev),
                    file,
                )
            )
    return out


_WORDS = {"gained": "gained", "lost": "LOST", "changed": "changed"}


def render_history(runs: Sequence[tuple[str, RunResult]]) -> str:
    """The history page: runs read, then per account its first known state and every change since."""
    if not runs:
        raise ValueError("no runs")
    all_changes = changes(runs)
    accounts: list[str] = []
    for _, run in runs:
        accounts += [a for a in ordered_accounts(run) if a not in accounts]
    first_of: dict[str, tuple[str, RunResult]] = {}
    for file, run in runs:
        for a in ordered_accounts(run):
            first_of.setdefault(a, (file, run))
    sections = []
    for alias in accounts:
        file, run = first_of[alias]
        start = next((s for s in account_summaries(run) if s.alias == alias), None)
        mine = [c for c in all_changes if c.account == alias]
        rows = "".join(
            f'<li class="c-{e(c.change)}"><time>{e(c.at)}</time> <strong>{e(_WORDS.get(c.change, c.change))}</strong> '
            f"<code>{e(c.combo_id)}</code>: {e(verdict_words(c.before))} → {e(verdict_words(c.after))} "
            f'<span class="rid">request id {e(c.request_id or "none returned")}'
            f"{f' (before: {e(c.before_request_id)})' if c.before_request_id else ''}</span></li>"
            for c in mine
        )
        body = f'<ol class="changes">{rows}</ol>' if mine else '<p class="none">No change in these runs.</p>'
        sections.append(
            f'<section class="acct" data-account="{e(alias)}"><h2>{e(alias)}</h2>'
            f'<p class="start">First seen {e(run.started_at)}: {e(start.sentence() if start else "")}</p>'
            f"{body}</section>"
        )
    listed = "".join(
        f"<li><time>{e(r.started_at)}</time> {e(r.mode)} · {len(r.cells)} cells · <code>{e(f)}</code></li>"
        for f, r in runs
    )
    lost = sum(1 for c in all_changes if c.change == "lost")
    headline = (
        f"{len(all_changes)} change(s) across {len(runs)} run(s), {lost} lost"
        if all_changes
        else f"No entitlement changed across {len(runs)} run(s)"
    )
    return scrub(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark"><title>Deepgram entitlement history</title>'
        f"<style>{_CSS}</style></head><body><main>"
        f'<h1>Deepgram entitlement history</h1><p class="headline">{e(headline)}.</p>'
        + "".join(sections)
        + f'<details><summary>Runs read ({len(runs)})</summary><ol class="runs">{listed}</ol></details>'
        + "</main></body></html>\n"
    )


_CSS = """
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#fff}
main{padding:12px 16px;max-width:60em;overflow-wrap:anywhere}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:18px 0 4px;border-bottom:1px solid #ccd}
code,.rid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}.rid{color:#4a5368}
.headline{font-weight:600}.changes{padding-left:20px}.changes li{margin:3px 0}
.c-lost strong{color:#a61b1b}.c-gained strong{color:#1f6e3a}.start{color:#4a5368}
@media (prefers-color-scheme:dark){body{background:#14171f;color:#e6e9f0}.rid,.start{color:#a9b1c3}
 .c-lost strong{color:#ffb3b3}.c-gained strong{color:#9be7b4}}
@media print{body{background:#fff;color:#000}}
"""


def cmd_history(argv: Sequence[str]) -> int:
    """Entry point for `dg-entitlements history`: read runs, write the timeline page, print its path."""
    parser = argparse.ArgumentParser(
        prog="dg-entitlements history",
        description="When each account gained or lost each entitlement, from saved run results.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN.json|DIR", help="run result files, or folders of them")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help=f"page to write (default {DEFAULT_OUTPUT})")
    args = parser.parse_args(list(argv))
    out = Path(args.output)
    if out.is_dir():
        raise ConfigError(str(out), "-o", "is a folder", "give a file name, e.g. -o history.html")
    runs = load_runs(args.runs)
    atomic_write_text(out, render_history(runs))
    print(out)
    return 0
