"""The report in a real headless browser: no console errors, matrix and diagnosis visible, a cell's
evidence opens on click, a screenshot lands in reports/. And proof the check can fail.

Skips when chromium is missing on a developer machine; fails when CI is set (CI must install it:
`apt-get install -y chromium`), so the check can never silently vanish from the pipeline.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dg_entitlements.fsutil import atomic_write_text
from dg_entitlements.report.html import render_page
from dg_entitlements.report.sample import SAMPLE_COLUMNS, sample_run

from .browser import check_page, find_chromium

pytestmark = pytest.mark.browser

REPORTS = Path(__file__).resolve().parents[2] / "reports"
UNEXPECTED_DENY = 'details.dge-cell[data-kind="unexpected_deny"] > summary'


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("DG_CHROMIUM") or "/usr/bin/chromium"
        reason = f"chromium not found at {where} (install: apt-get install -y chromium; or set DG_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
def report_page(tmp_path: Path) -> Path:
    return atomic_write_text(tmp_path / "report.html", render_page(sample_run(), SAMPLE_COLUMNS))


def test_report_loads_clean_and_a_cell_opens_to_its_evidence(chromium: str, report_page: Path) -> None:
    shot = REPORTS / "report-screenshot.png"
    check = check_page(report_page, shot, UNEXPECTED_DENY, chromium=chromium)
    assert check.ok, check.problems()
    assert "INSUFFICIENT_PERMISSIONS" in check.evidence_text
    assert "00000005-0000-4000-8000-000000000005" in check.evidence_text
    assert check.title.startswith("Deepgram entitlements")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_diagnosis_link_opens_the_cell(chromium: str, report_page: Path, tmp_path: Path) -> None:
    check = check_page(
        report_page,
        tmp_path / "link.png",
        '#dge-diagnosis a[data-cell="cell-4"]',
        evidence_selector="#cell-4 .ev",
        chromium=chromium,
    )
    assert check.ok, check.problems()
    assert "Unexpectedly denied" in check.evidence_text


def test_check_fails_on_script_errors(chromium: str, report_page: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        report_page.read_text().replace(
            "</body>", '<script>console.error("injected console error"); null.boom();</script></body>'
        )
    )
    check = check_page(broken, tmp_path / "broken.png", UNEXPECTED_DENY, chromium=chromium)
    assert not check.ok
    assert any("injected console error" in m for m in check.console_errors)
    assert any("TypeError" in m for m in check.exceptions)


def test_check_fails_when_the_matrix_is_hidden_or_the_cell_missing(
    chromium: str, report_page: Path, tmp_path: Path
) -> None:
    hidden = tmp_path / "hidden.html"
    hidden.write_text(report_page.read_text().replace("</head>", "<style>.dge-mx{display:none}</style></head>"))
    check = check_page(hidden, tmp_path / "hidden.png", "#no-such-cell > summary", chromium=chromium)
    assert not check.ok
    assert check.visible["#dge-report table.dge-mx"] is False
    assert "the click target was not found or not visible" in check.problems()
