"""The history page in a real browser: it loads clean, holds on a phone, and says what was lost when."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dg_entitlements.model import Outcome, RunResult, Verdict
from dg_entitlements.report.history import cmd_history
from dg_entitlements.report.json import write_json
from dg_entitlements.report.sample import cell, failing_run, rid

from .browser import check_page
from .test_report_browser import REPORTS, chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

TEXT_JS = "document.body.textContent"  # closed <details> included: layout is checked apart


def _with_flux(run: RunResult, at: str, verdict: Verdict, n: int) -> RunResult:
    flux = cell("payg-full", "listen-v2-ws", "flux-general-en", Outcome.AS_EXPECTED, verdict, 403, n=n, expect=verdict)
    cells = (*(c for c in run.cells if c.combo_id != flux.combo_id or c.account != "payg-full"), flux)
    return dataclasses.replace(run, started_at=at, cells=cells)


@pytest.mark.parametrize("width", [390, 1400])
def test_history_page_holds_and_dates_the_loss(chromium: str, tmp_path: Path, width: int) -> None:  # noqa: F811
    base = failing_run()
    write_json(_with_flux(base, "2026-11-01T03:00:00Z", Verdict.ENTITLED, 501), tmp_path / "runs" / "1.json")
    write_json(_with_flux(base, "2026-11-02T03:00:00Z", Verdict.NOT_ENTITLED, 502), tmp_path / "runs" / "2.json")
    page = tmp_path / "history.html"
    assert cmd_history([str(tmp_path / "runs"), "-o", str(page)]) == 0
    check = check_page(
        page,
        REPORTS / f"history-{width}.png",
        "main > details > summary",
        evidence_selector="ol.runs",
        visible_selectors=("main h1", 'section[data-account="payg-full"]'),
        width=width,
        chromium=chromium,
        measure={"text": TEXT_JS},
    )
    assert check.ok, check.problems()
    assert check.page_width <= check.viewport_width
    text = check.measured["text"]
    assert "2026-11-02T03:00:00Z LOST listen-v2-ws::flux-general-en: entitled → not entitled" in text
    assert rid(502) in text and rid(501) in text
