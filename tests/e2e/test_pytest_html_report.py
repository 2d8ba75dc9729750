"""The real report a user gets (pytest-html with our matrix on top) in a real browser.

An accounts file with one wrong expectation makes the suite fail on purpose, so the page has an
unexpected deny to open, a diagnosis panel and a support ticket; the run exits 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import check_page
from .helpers import ROOT, cli
from .test_report_browser import UNEXPECTED_DENY, chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("pytest-html")
    accounts = tmp / "accounts.toml"
    accounts.write_text('[accounts.payg-no-flux]\nkey = "dgfake-payg-no-flux-k1"\ndefault = "entitled"\n')
    proc = cli("check", "--dg-accounts", str(accounts), "--dg-report-dir", str(tmp), "-k", "flux-general or nova-3")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    return tmp / "entitlements.html", proc.stdout


def test_failed_run_says_why_in_one_screen(failing_report: tuple[Path, str]) -> None:
    _, stdout = failing_report
    assert "UNEXPECTED DENY" in stdout
    assert "INSUFFICIENT_PERMISSIONS" in stdout and "Project does not have access to the requested model." in stdout
    assert "request id" in stdout.lower()


def test_pytest_html_report_opens_in_a_browser(failing_report: tuple[Path, str], chromium: str) -> None:  # noqa: F811
    page, _ = failing_report
    html = page.read_text()
    assert "Deepgram entitlement report" in html and "dge-cell" in html
    shot = ROOT / "reports" / "pytest-html-screenshot.png"
    check = check_page(page, shot, UNEXPECTED_DENY, chromium=chromium)
    assert check.ok, check.problems()
    assert "flux-general-en" in check.evidence_text
    assert "INSUFFICIENT_PERMISSIONS" in check.evidence_text


@pytest.mark.parametrize("width", [390, 1400])
def test_pytest_html_report_holds_on_a_phone_and_a_laptop(
    failing_report: tuple[Path, str],
    chromium: str,  # noqa: F811
    width: int,
) -> None:
    page, _ = failing_report
    # Our fragment must not be what widens the page (`fits`), and the page as a whole must not either.
    fits = "(function (r) { return r.scrollWidth <= r.clientWidth; })(document.getElementById('dge-report'))"
    check = check_page(
        page,
        ROOT / "reports" / f"pytest-html-{width}-open.png",
        UNEXPECTED_DENY,
        width=width,
        chromium=chromium,
        first_screen=ROOT / "reports" / f"pytest-html-{width}.png",
        measure={"lacks": "document.querySelector('#dge-summary').innerText", "fits": fits},
    )
    assert check.ok, check.problems()
    assert check.popup["in_viewport"] and check.popup["outside"] == [], check.popup
    assert "payg-no-flux" in check.measured["lacks"] and "Lacks" in check.measured["lacks"]
    assert check.measured["fits"] is True
    assert check.page_width <= check.viewport_width, f"pytest-html's page scrolls sideways: {check.page_width} px"
