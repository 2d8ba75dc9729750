"""The HTML report: a cell per (account, combo) with the right class and words, evidence, diagnosis
ordering, banners, drift first, and a byte-identical re-render from the saved JSON."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

from dg_entitlements.model import Diagnosis, Outcome, Verdict
from dg_entitlements.report.html import render_matrix, render_page
from dg_entitlements.report.json import read_json, write_json
from dg_entitlements.report.sample import SAMPLE_COLUMNS, cell, sample_run


class _Cells(HTMLParser):
    """Collects each cell's <details> attributes and the class of its <td>."""

    def __init__(self) -> None:
        super().__init__()
        self.td_class = ""
        self.cells: dict[str, dict[str, str]] = {}
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "td":
            self.td_class = a.get("class", "")
        if tag == "details" and "dge-cell" in a.get("class", ""):
            self.cells[a["data-test-id"]] = {**a, "td": self.td_class}


def _parse(text: str) -> _Cells:
    p = _Cells()
    p.feed(text)
    return p


def _section(html: str, cell_id: str) -> str:
    """The HTML of one cell's <details>."""
    start = html.index(f'id="{cell_id}"')
    return html[start : html.index("</details>", start)]


def test_a_cell_per_account_and_combo_with_the_right_class() -> None:
    run = sample_run()
    cells = _parse(render_matrix(run, SAMPLE_COLUMNS)).cells
    assert set(cells) == {c.test_id for c in run.cells}
    expect = {
        "payg-full::listen-v1-rest::nova-3": "k-allow",
        "payg-full::listen-v2-ws::flux-general-en+channels": "k-deny",
        "payg-full::speak-v1-rest::aura-2-thalia-en": "k-unexpected_deny",
        "payg-full::project-keys-v1::list": "k-inconclusive",
        "payg-no-flux::listen-v2-ws::flux-general-en": "k-unexpected_allow",
        "payg-no-flux::speak-v1-rest::aura-2-thalia-en": "k-skipped",
    }
    for test_id, cls in expect.items():
        assert cells[test_id]["td"].split()[0] == cls, test_id


def test_cell_text_status_verdict_request_id_and_words() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    deny = _section(html, "cell-4")
    assert ">403</span>" in deny and "not entitled" in deny and "UNEXPECTED DENY" in deny
    assert "00000005…" in deny  # short request id in the cell, the full one in the evidence
    assert "00000005-0000-4000-8000-000000000005" in deny
    expected_deny = _section(html, "cell-3")
    assert "denied as expected" in expected_deny


def test_retried_cell_is_marked_and_never_a_clean_pass() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    cells = _parse(html).cells
    retried = cells["payg-full::listen-v1-ws::nova-3"]
    assert "retried" in retried["td"].split()
    assert "↻3 tries" in _section(html, "cell-1")
    assert "retried: not a clean pass" in _section(html, "cell-1")
    assert "<caption>Attempts</caption>" in _section(html, "cell-1")


def test_evidence_holds_expected_got_deepgram_words_and_controls() -> None:
    ev = _section(render_matrix(sample_run(), SAMPLE_COLUMNS), "cell-8")
    for text in (
        "Expected",
        "entitled",
        "Got",
        "403 not entitled",
        "INSUFFICIENT_PERMISSIONS",
        "Project does not have access to the requested model",
        "dg-error",
        "Body excerpt",
        "Control probes",
        "known good model",
        "Support ticket text",
        "What to do:",
    ):
        assert text in ev, text


def test_column_titles_from_the_catalogue_and_unknown_surfaces_kept() -> None:
    run = sample_run()
    html = render_matrix(run, [("listen-v2-ws", "wss /v2/listen (Flux)")])
    assert "wss /<wbr>v2/<wbr>listen (Flux)</th>" in html
    assert 'title="listen-v1-rest">listen-v1-rest</th>' in html  # not in `columns`, still shown


def test_diagnosis_panel_most_serious_first_with_cells_remedy_and_ticket() -> None:
    run = sample_run()
    html = render_matrix(run, SAMPLE_COLUMNS)
    panel = html[html.index('id="dge-diagnosis"') : html.index('class="dge-matrix"')]
    causes = re.findall(r'data-account="([^"]+)" data-cause="([^"]+)"', panel)
    assert causes[:3] == [
        ("payg-full", "not_entitled"),
        ("payg-no-flux", "not_entitled"),
        ("payg-no-flux", "unexpected_allow"),
    ]
    assert 'href="#cell-4"' in panel and "What to do:" in panel
    assert "Entitlement leak" in panel
    assert '<pre id="ticket-0"' in panel and 'data-copy="ticket-0"' in panel


def test_more_serious_cause_comes_first_whatever_the_cell_order() -> None:
    low = Diagnosis("malformed_request", "Unknown parameter", "Remove it.", 2, False)
    high = Diagnosis("invalid_auth", "The key is invalid", "Use a valid key.", 9, False)
    run = dataclasses.replace(
        sample_run(),
        cells=(
            cell("a", "listen-v1-rest", "m1", Outcome.UNEXPECTED_DENY, Verdict.MALFORMED_REQUEST, 400, diagnosis=low),
            cell("a", "listen-v1-rest", "m2", Outcome.UNEXPECTED_DENY, Verdict.MALFORMED_REQUEST, 400, diagnosis=low),
            cell("a", "listen-v1-ws", "m1", Outcome.UNEXPECTED_DENY, Verdict.INVALID_AUTH, 401, diagnosis=high),
        ),
    )
    html = render_matrix(run)
    assert re.findall(r'data-cause="([^"]+)"', html) == ["invalid_auth", "malformed_request"]
    assert html.count('class="dge-cause"') == 2  # one block per account x cause, not per cell
    assert "Not an entitlement problem" in html


def test_incomplete_banner_and_cassette_warning() -> None:
    assert "INCOMPLETE RUN" not in render_matrix(sample_run())
    html = render_matrix(sample_run(complete=False))
    assert "INCOMPLETE RUN" in html and 'role="alert"' in html
    assert "cassettes are 84 days old" in html


def test_drift_section_comes_before_the_diagnosis_and_lost_first() -> None:
    html = render_matrix(sample_run())
    drift = html.index('class="dge-drift"')
    assert drift < html.index('id="dge-diagnosis"') < html.index('class="dge-matrix"')
    assert html.index("LOST", drift) < html.index("gained", drift)
    assert 'class="dge-drift"' not in render_matrix(sample_run(with_drift=False))


def test_header_then_the_accounts_then_totals_and_cost() -> None:
    html = render_matrix(sample_run())
    head = html[: html.index("</header>")]
    assert "Contract broken" in head
    totals = html[html.index('class="dge-totals-box"') :]
    assert html.index("</header>") < html.index('id="dge-summary"') < html.index('class="dge-totals-box"')
    assert "Unexpectedly denied" in totals
    assert "<strong>11</strong> requests" in totals and "<strong>10</strong>" in totals


def test_text_is_escaped() -> None:
    evil = cell(
        "<b>acct</b>", "listen-v1-rest", "<script>alert(1)</script>", Outcome.AS_EXPECTED, Verdict.ENTITLED, 200
    )
    run = dataclasses.replace(sample_run(), cells=(evil,), accounts=())
    html = render_matrix(run)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>acct</b>" not in html


def test_accessibility_legend_titles_captions() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    assert 'class="dge-legend"' in html and "<caption>Entitlements of account payg-full</caption>" in html
    summaries = re.findall(r'<details class="dge-cell"[^>]*><summary( title="[^"]+")?>', html)
    assert summaries and all(summaries)
    assert 'lang="en"' in render_page(sample_run())


def test_fragment_is_self_contained() -> None:
    html = render_matrix(sample_run())
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<style>") == 1 and html.count("<script>") == 1


def test_rerender_from_saved_json_is_byte_identical(tmp_path: Path) -> None:
    run = sample_run()
    write_json(run, tmp_path / "run.json")
    first = render_page(read_json(tmp_path / "run.json"), SAMPLE_COLUMNS)
    second = render_page(read_json(tmp_path / "run.json"), SAMPLE_COLUMNS)
    assert first == second == render_page(run, SAMPLE_COLUMNS)
    assert first.startswith("<!DOCTYPE html>") and first.endswith("</html>\n")


def test_html_is_well_nested() -> None:
    html = render_page(sample_run(), SAMPLE_COLUMNS)
    void = {"meta", "input", "br", "link", "wbr"}

    class Nest(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.errors: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in void:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not self.stack or self.stack[-1] != tag:
                self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            else:
                self.stack.pop()

    n = Nest()
    n.feed(html)
    assert not n.errors[:5] and not n.stack
