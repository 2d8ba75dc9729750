"""The HTML report: a cell per (account, combo) with the right class and words, evidence, diagnosis
ordering, banners, drift first, and a byte-identical re-render from the saved JSON.

The evidence of each cell is embedded data (issue 13: a page of 10,000 cells must open fast): these
tests decode it the way the page's script does (`_evidence`), check it is every cell's full
evidence, and that no data can end its script element early."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from dg_entitlements import secrets
from dg_entitlements.model import Diagnosis, Outcome, Verdict
from dg_entitlements.report.escape import WITHHELD, json_script, json_text
from dg_entitlements.report.html import EVIDENCE_ID, evidence_data, render_matrix, render_page
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
    """The HTML of one cell's <details> in the matrix."""
    start = html.index(f'id="{cell_id}"')
    return html[start : html.index("</details>", start)]


class _Scripts(HTMLParser):
    """Every <script> element as the browser's parser sees it: (attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = {k: v or "" for k, v in attrs}
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _scripts(html: str) -> list[tuple[dict[str, str], str]]:
    p = _Scripts()
    p.feed(html)
    p.close()
    return p.scripts


def _data(html: str) -> dict[str, Any]:
    """The embedded evidence data, read as the page reads it (JSON.parse of the element's text)."""
    found = [text for attrs, text in _scripts(html) if attrs.get("id") == EVIDENCE_ID]
    assert len(found) == 1 and 'type="application/json"' in html
    data: dict[str, Any] = json.loads(found[0])
    return data


def _evidence(html: str, cell_id: str) -> str:
    """One cell's evidence HTML, decoded as `_JS` does: n >= 0 is piece n, -k the k pieces after."""
    data = _data(html)
    out, last = [], -1
    for ref in data["cells"][int(cell_id.removeprefix("cell-"))]:
        if ref < 0:
            out += data["pieces"][last + 1 : last + 1 - ref]
            last -= ref
        else:
            out.append(data["pieces"][ref])
            last = ref
    return "".join(out)


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
    assert "00000005…" in deny  # short request id in the cell, the full one in its title and evidence
    assert "00000005-0000-4000-8000-000000000005" in deny
    assert '<code class="rid-full">00000005-0000-4000-8000-000000000005</code>' in _evidence(html, "cell-4")
    expected_deny = _section(html, "cell-3")
    assert "denied as expected" in expected_deny


def test_retried_cell_is_marked_and_never_a_clean_pass() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    cells = _parse(html).cells
    retried = cells["payg-full::listen-v1-ws::nova-3"]
    assert "retried" in retried["td"].split()
    assert "↻3 tries" in _section(html, "cell-1")
    assert "retried: not a clean pass" in _evidence(html, "cell-1")
    assert "<caption>Attempts</caption>" in _evidence(html, "cell-1")


def test_evidence_holds_expected_got_deepgram_words_and_controls() -> None:
    ev = _evidence(render_matrix(sample_run(), SAMPLE_COLUMNS), "cell-8")
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
    assert html.count('<script type="application/json" id="dge-evidence">') == 1


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


# ------------------------------------------------------------------------------ the embedded evidence


def test_every_cell_has_its_full_evidence_in_the_data_and_none_in_the_matrix() -> None:
    from dg_entitlements.report.html import _evidence as rendered  # the server's own evidence HTML
    from dg_entitlements.report.overview import combo_why

    run = sample_run()
    html = render_matrix(run, SAMPLE_COLUMNS)
    titles = dict(SAMPLE_COLUMNS)
    for i, c in enumerate(run.cells):
        assert _evidence(html, f"cell-{i}") == rendered(c, titles.get(c.surface, c.surface), combo_why(run, c)), i
    matrix = html[html.index('class="dge-matrix"') : html.index(f'id="{EVIDENCE_ID}"')]
    assert 'class="ev"' not in matrix and "<dl>" not in matrix  # the matrix carries no evidence markup


def test_repeated_evidence_is_stored_once() -> None:
    run = sample_run()
    twins = dataclasses.replace(run, cells=run.cells * 3)  # the same evidence three times over
    data = evidence_data(twins, SAMPLE_COLUMNS)
    once = evidence_data(run, SAMPLE_COLUMNS)
    assert data["pieces"] == once["pieces"]  # no piece twice
    n = len(run.cells)
    assert data["cells"][:n] == data["cells"][n : 2 * n] == data["cells"][2 * n :]
    assert len(once["cells"][0]) < 6  # consecutive pieces of a first cell are one run: [0, -k, ...]


HOSTILE = "</script><script>alert(1)</script><!--<script>x</SCRIPT >"


def test_embedded_json_cannot_end_its_script_element() -> None:
    values = [HOSTILE, "<!--", "</script", "</ScRiPt>", "<" + "0" * 36 + ">", "a\u2028b\u2029c"]
    out = json_script("data", values)
    found = _scripts(f"<body>{out}<p>after</p></body>")
    assert len(found) == 1, found  # one element: nothing inside ended it or opened another
    attrs, text = found[0]
    assert attrs == {"type": "application/json", "id": "data"}
    assert "<" not in text  # neither `</script` nor `<!--` can occur
    assert json.loads(text) == values  # and JSON.parse gives back exactly the data


def test_a_hostile_body_stays_inside_the_evidence() -> None:
    hostile = cell(
        "acct", "listen-v1-rest", "nova-3", Outcome.UNEXPECTED_DENY, Verdict.MALFORMED_REQUEST, 400, body=HOSTILE
    )
    run = dataclasses.replace(sample_run(), cells=(hostile, *sample_run().cells))
    html = render_page(run, SAMPLE_COLUMNS)
    scripts = _scripts(html)
    assert [a.get("type", "") for a, _ in scripts] == ["application/json", ""]  # the data, then the code
    assert scripts[1][1].lstrip().startswith("(function () {")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in _evidence(html, "cell-0")


def test_data_that_turns_secret_shaped_once_encoded_is_withheld() -> None:
    # `<` is written `\u003C`: a registered secret that starts with that escape's letters would be
    # cut in half by the page's final scrub, leaving invalid JSON; such data is withheld instead.
    secrets.register_secret("u003Cdgcanary-split-77")
    assert json.loads(json_text({"x": "<dgcanary-split-77"})) == WITHHELD
    secrets.register_secret("\\u003Cdgcanary-whole-78")
    redacted = json.loads(json_text({"x": "<dgcanary-whole-78"}))  # still valid once scrubbed: kept, redacted
    assert "[redacted" in redacted["x"] and "dgcanary-whole-78" not in redacted["x"]
    plain = {"x": "<b>nothing secret</b>"}
    assert json.loads(json_text(plain)) == plain


def test_rows_stay_aligned_when_empty_cells_are_merged() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    tables = re.findall(r'<table class="dge-mx">(.*?)</table>', html)
    assert tables
    merged = 0
    for table in tables:
        width = len(re.findall(r"<th scope=\"col\"", table))
        for row in re.findall(r"<tbody>(.*)</tbody>", table)[0].split("</tr>")[:-1]:
            spans = [int(n or 1) for n in re.findall(r'<t[dh](?: class="[^"]*")?(?: colspan="(\d+)")?[ >]', row)]
            assert sum(spans) == width, row  # every row spans exactly the columns of its header
            merged += sum(1 for n in spans if n > 1)
    assert merged  # the sample has neighbouring not-probed cells, shown as one
    assert '<td class="na" colspan="' in html and '<td class="na">·</td><td class="na">' not in html
