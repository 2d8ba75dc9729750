"""The exchanges the proxy saw, as the suite's run result: the same JSON and HTML report, and a JSON line
per exchange for `--json-log` (the cell encoding of report/json.py, through its public `run_to_dict`).

The proxy's report sits beside the suite's (`proxy.json`, `proxy.html` in the report folder) so running the
proxy never overwrites the last suite run's `entitlements.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..fsutil import atomic_write_text
from ..model import SCHEMA_VERSION, AccountInfo, ComboInfo, RunResult
from ..report.html import render_page
from ..report.json import run_to_dict, write_json
from ..secrets import scrub
from .judging import Judged, account_info

JSON_NAME = "proxy.json"
HTML_NAME = "proxy.html"
MODE = "proxy"


def run_result(judged: Sequence[Judged], started_at: str, finished_at: str, targets: dict[str, str],
               complete: bool = True) -> RunResult:
    accounts: dict[str, AccountInfo] = {}
    for j in judged:
        accounts.setdefault(j.exchange.account, account_info(j.exchange, targets.get("rest", "")))
    surfaces = {j.combo.surface.name: j.combo.surface.title or j.combo.surface.name for j in judged}
    combos = {j.cell.combo_id: ComboInfo(surface=j.combo.surface.name, model=j.combo.model,
                                         why="a request the app made through the proxy") for j in judged}
    return RunResult(schema_version=SCHEMA_VERSION, tool_version=__version__, mode=MODE, started_at=started_at,
                     finished_at=finished_at, complete=complete, accounts=tuple(accounts.values()),
                     cells=tuple(j.cell for j in judged), targets=dict(targets), surfaces=surfaces, combos=combos,
                     notes=("exchanges seen by `dg-entitlements proxy`; expectation: the app expected success",))


def cell_json(judged: Judged, targets: dict[str, str]) -> dict[str, Any]:
    """One exchange in the run-result cell shape (plus the exchange's own timing), for `--json-log`."""
    run = run_result([judged], judged.exchange.at, judged.exchange.at, targets)
    cell: dict[str, Any] = run_to_dict(run)["cells"][0]
    ex = judged.exchange
    cell["proxy"] = {"transport": ex.transport, "path": ex.path, "duration_ms": ex.duration_ms,
                     "client_messages": ex.client_messages, "server_messages": ex.frames_seen,
                     "audio_bytes": ex.audio_bytes, "auth": ex.auth.where, "subprotocol": ex.subprotocol}
    return cell


def json_line(judged: Judged, targets: dict[str, str]) -> str:
    return scrub(json.dumps(cell_json(judged, targets), sort_keys=True, default=str))


def write_report(run: RunResult, directory: Path) -> tuple[Path, Path]:
    json_path = write_json(run, directory / JSON_NAME)
    html_path = atomic_write_text(directory / HTML_NAME, scrub(render_page(run)))
    return json_path, html_path
