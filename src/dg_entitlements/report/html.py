"""The entitlement report as HTML (pure): verdict, per-account summary, totals, drift, what needs
attention (per account x cause), the trap rows, then the matrix.

Written for the people who read it without having run it (support staff, account managers):
- the answer comes first: one line per account saying what it has, lacks (not entitled), could not
  use for another reason and could not measure (report.overview / report.summary), then lost
  entitlements and root causes with what to do; the matrix after, every cell opening to its evidence;
- layout holds on any screen: the page never scrolls sideways (each matrix scrolls in its own box),
  the evidence opens as a fixed box inside the viewport with its own table styles (matrix rules use
  child selectors so they cannot leak into nested tables), dark mode and print have their own rules;
- every outcome has words and a symbol as well as a colour (accessible, and quotable in a ticket);
- a cell that needed retries is marked and never looks like a clean pass.

Engineering constraints, and why:
- a fragment with its own scoped <style> and a little vanilla JS, no external resources, so it
  works inside pytest-html's self-contained report and as a standalone page opened from disk;
- it opens fast at scale (issue 13: 10,000 cells in under 3 s): the first screen and the whole matrix
  are plain HTML (searchable with the browser's find, each cell's title says expected and got even
  without scripts), but the evidence of each cell, most of the weight, is data (`evidence_data`: one
  <script type="application/json">, each repeated piece stored once) that the script turns into the
  evidence box when the cell opens; in a large report (`LAZY_LAYOUT_CELLS`) an account's matrix off
  screen is not laid out (CSS content-visibility); a find box filters the matrix by account or model;
- pure and deterministic (no render-time clock, stable ordering), so re-rendering a saved JSON
  gives a byte-identical page and two reports can be diffed;
- every piece of text is scrubbed and then HTML-escaped, the embedded data is JSON that cannot end
  its script element (`escape.json_script`), and the whole page is scrubbed again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dg_entitlements.drift import sort_drifts
from dg_entitlements.model import (
    BODY_BOUND,
    Cell,
    ControlResult,
    Diagnosis,
    Drift,
    Observation,
    Outcome,
    RunResult,
    Surface,
)
from dg_entitlements.report.escape import e, json_script
from dg_entitlements.report.labels import (
    KIND_LABELS,
    KIND_ORDER,
    cell_kind,
    expected_text,
    ordered_accounts,
    request_id,
    status_text,
    tries,
    verdict_words,
)
from dg_entitlements.report.overview import combo_why, render_attention, render_summary, render_traps
from dg_entitlements.report.summary import is_trap
from dg_entitlements.secrets import bounded, scrub

BODY_EXCERPT_CHARS = BODY_BOUND  # model.BODY_BOUND: the JSON report and the run keep the same bound
ROOT_ID = "dge-report"
EVIDENCE_ID = "dge-evidence"
# From this many cells on, an account's matrix is laid out only near the viewport (class `big`): the
# page opens 4x faster at 12,300 cells, but a full-page screenshot no longer shows the matrices off
# screen, so small reports (the shipped matrix is 123 cells) keep every block laid out.
LAZY_LAYOUT_CELLS = 1000
# Where evidence HTML is cut into pieces for `evidence_data`: after a line, a definition, an item or
# a table row, never inside a word (a key is never split, and the pieces stay readable).
_PIECE_END = re.compile(r"(?<=\n)|(?<=</dd>)|(?<=</li>)|(?<=</tr>)")

_KIND_MARK = {
    "allow": "✓ allowed",
    "deny": "⊘ denied as expected",
    "unexpected_allow": "! UNEXPECTED ALLOW",
    "unexpected_deny": "✗ UNEXPECTED DENY",
    "inconclusive": "? inconclusive",
    "skipped": "– skipped",
}


# ------------------------------------------------------------------------------------------ columns


def columns_from_surfaces(surfaces: Mapping[str, Surface]) -> list[tuple[str, str]]:
    """(surface name, title) in catalogue order: pass `catalogue.surfaces` to get the human titles."""
    return [(name, s.title or name) for name, s in surfaces.items()]


def _columns(run: RunResult, columns: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """The given columns that have cells, in their order, then any surface the run has but they lack."""
    used: list[str] = []
    for cell in run.cells:
        if cell.surface not in used:
            used.append(cell.surface)
    if columns is None:
        columns = list(run.surfaces.items())  # the run carries its own titles, so `render` needs no catalogue
    given = [(n, t) for n, t in columns if n in used]
    known = {n for n, _ in given}
    return given + [(n, n) for n in used if n not in known]


def _rows(cells: Iterable[Cell]) -> list[str]:
    rows: list[str] = []
    for cell in cells:
        if cell.variant not in rows:
            rows.append(cell.variant)
    return rows


# ------------------------------------------------------------------------------------------- header


def _header(run: RunResult) -> tuple[str, str]:
    """(the header with the one-line verdict, the totals and cost): the per-account summary goes
    between them, so the first screen answers "who lacks what" before the counts."""
    counts = run.counts()
    kinds = {k: 0 for k in KIND_ORDER}
    for cell in run.cells:
        kinds[cell_kind(cell)] += 1
    broken = sum(1 for c in run.cells if c.outcome.breaks_contract)
    lost = sum(1 for d in run.drift if d.change == "lost")
    if run.contract_broken:
        parts = [f"{broken} unexpected cell(s)"] if broken else []
        parts += [f"{lost} lost entitlement(s)"] if lost else []
        verdict = f'<p class="dge-verdict bad">Contract broken: {e(", ".join(parts))}.</p>'
    else:
        verdict = '<p class="dge-verdict good">Contract kept: every cell that answered came out as expected.</p>'
    banners = []
    if not run.complete:
        banners.append(
            '<p class="dge-banner incomplete" role="alert"><strong>INCOMPLETE RUN.</strong> The run was '
            "interrupted before every probe finished: what finished is shown, the rest is missing.</p>"
        )
    banners.extend(_cassette_banner(run.cassettes))
    chips = "".join(
        f'<li class="k-{k}" title="{e(KIND_LABELS[k])}"><span class="n">{kinds[k]}</span> {e(KIND_LABELS[k])}</li>'
        for k in KIND_ORDER
        if kinds[k] or k in ("allow", "unexpected_deny")
    )
    outcome_line = ", ".join(f"{v} {verdict_words(k)}" for k, v in counts.items())
    targets = " · ".join(f"{e(k)}: <code>{e(v)}</code>" for k, v in sorted(run.targets.items()))
    c = run.cost
    notes = "".join(f"<li>{e(n)}</li>" for n in run.notes)
    return (
        '<header class="dge-head">'
        "<h2>Deepgram entitlement report</h2>"
        f'<p class="dge-meta">Mode <strong>{e(run.mode)}</strong> · '
        f"{e(run.started_at)} → {e(run.finished_at)}"
        f" · {len(run.cells)} cells · {len(ordered_accounts(run))} account(s) · tool {e(run.tool_version)}"
        f" · schema {run.schema_version}</p>"
        + (f'<p class="dge-meta">{targets}</p>' if targets else "")
        + verdict
        + "".join(banners)
        + "</header>"
    ), (
        '<section class="dge-totals-box" aria-label="Totals">'
        f'<ul class="dge-totals" aria-label="Totals per outcome" title="{e(outcome_line)}">{chips}</ul>'
        f'<p class="dge-cost">Sent: <strong>{c.requests}</strong> requests, '
        f"<strong>{c.audio_seconds:g}</strong>"
        f" seconds of audio, <strong>{c.characters}</strong> characters of text to synthesize.</p>"
        + (f'<ul class="dge-notes">{notes}</ul>' if notes else "")
        + "</section>"
    )


def _cassette_banner(cassettes: Mapping[str, Any]) -> list[str]:
    """Replay runs say how old their recordings are: an old cassette is not today's account."""
    if not cassettes:
        return []
    warning = cassettes.get("warning")
    details = " · ".join(f"{e(k)}: {e(v)}" for k, v in sorted(cassettes.items()) if k != "warning")
    out = []
    if warning:
        out.append(f'<p class="dge-banner cassette" role="alert"><strong>Cassettes:</strong> {e(warning)}</p>')
    if details:
        out.append(f'<p class="dge-meta">Replayed from cassettes · {details}</p>')
    return out


# -------------------------------------------------------------------------------------------- drift


def _drift(drifts: Sequence[Drift]) -> str:
    if not drifts:
        return ""
    words = {"lost": "LOST", "gained": "gained", "changed": "changed"}
    items = "".join(
        f'<li class="d-{e(d.change)}"><strong>{words.get(d.change, e(d.change))}</strong> '
        f"{e(d.account)} · <code>{e(d.combo_id)}</code>: {e(verdict_words(d.before))} → "
        f"{e(verdict_words(d.after))}</li>"
        for d in sort_drifts(drifts)
    )
    return (
        '<section class="dge-drift" aria-labelledby="dge-drift-h"><h3 id="dge-drift-h">Changes since the '
        f"baseline run</h3><ul>{items}</ul></section>"
    )


# ---------------------------------------------------------------------------------------- diagnosis


def _cell_ids(run: RunResult) -> dict[int, str]:
    """Stable anchor per cell (its index in the run), so the panel can link to the matrix."""
    return {id(cell): f"cell-{i}" for i, cell in enumerate(run.cells)}


def _surface_titles(columns: Sequence[tuple[str, str]]) -> dict[str, str]:
    return dict(columns)


# ------------------------------------------------------------------------------------------- matrix


def _legend() -> str:
    items = "".join(
        f'<li><span class="sw k-{k}" aria-hidden="true"></span>{e(_KIND_MARK[k])}: {e(KIND_LABELS[k])}</li>'
        for k in ("allow", "deny", "unexpected_deny", "unexpected_allow", "inconclusive", "skipped")
    )
    items += (
        '<li><span class="sw k-allow retried" aria-hidden="true"></span>↻ needed retries: the answer came '
        "only after transient failures, so it is not a clean pass</li>"
        "<li>· not probed: this combination is not in the catalogue</li>"
    )
    return f'<ul class="dge-legend" aria-label="Legend">{items}</ul>'


def _matrix(run: RunResult, columns: list[tuple[str, str]]) -> str:
    ids = _cell_ids(run)
    rows_order = _rows(run.cells)
    infos = {a.alias: a for a in run.accounts}
    blocks = []
    for alias in ordered_accounts(run):
        cells = [c for c in run.cells if c.account == alias]
        blocks.append(_account_block(run, alias, infos.get(alias), cells, rows_order, columns, ids))
    return (
        '<section class="dge-matrix" aria-labelledby="dge-mx-h"><h3 id="dge-mx-h">Entitlement matrix</h3>'
        '<p class="dge-meta">Rows are models (or variants), columns are endpoints. Click a cell to see the '
        'evidence. <label><input type="checkbox" class="only-problems"> '
        "Show only rows with a problem</label></p>"
        '<p class="dge-find" hidden><label>Find an account or model: <input type="search" class="find" '
        'autocomplete="off" spellcheck="false" placeholder="e.g. nova-3"></label> '
        '<span class="found" role="status" aria-live="polite"></span></p>'
        '<noscript><p class="dge-banner noscript">Scripts are off: each cell\'s title (hover it) says what was '
        "expected and what came back, but its full evidence is shown by the page's script. Turn scripts on "
        "for this file, or read the run's entitlements.json.</p></noscript>"
        + _legend()
        + "".join(blocks)
        + "</section>"
    )


def _account_block(
    run: RunResult,
    alias: str,
    info: Any,
    cells: list[Cell],
    rows_order: list[str],
    columns: list[tuple[str, str]],
    ids: Mapping[int, str],
) -> str:
    meta = []
    if info is not None:
        meta.append(f"key <code>{e(info.fingerprint or 'none')}</code> ({e(info.key_source)})")
        meta.append(f"project <code>{e(info.project_id or 'unknown')}</code>")
        meta.append(f"<code>{e(info.base_url)}</code>")
    counts = {k: 0 for k in KIND_ORDER}
    for c in cells:
        counts[cell_kind(c)] += 1
    summary = ", ".join(f"{n} {KIND_LABELS[k].split(' (')[0].lower()}" for k, n in counts.items() if n)
    by_pos: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        by_pos.setdefault((c.variant, c.surface), []).append(c)
    cols = list(columns)  # the same columns for every account, so blocks compare side by side
    # <wbr> after each "/" lets a long path wrap at a path boundary instead of mid-word.
    head = "".join(f'<th scope="col" title="{e(n)}">{e(t).replace("/", "/<wbr>")}</th>' for n, t in cols)
    body = []
    for variant in (r for r in rows_order if any(c.variant == r for c in cells)):
        row_cells = [c for c in cells if c.variant == variant]
        problem = any(c.outcome is not Outcome.AS_EXPECTED or c.retried for c in row_cells)
        tds = _merge_empty([_td(by_pos.get((variant, n), []), t, ids) for n, t in cols])
        trap = any(is_trap(run, c) for c in row_cells)
        mark = ' <span class="trapmark" title="the same for every account">shape check</span>' if trap else ""
        body.append(
            f'<tr data-problem="{int(problem)}" data-trap="{int(trap)}"><th scope="row">{e(variant)}{mark}</th>'
            f"{tds}</tr>"
        )
    return (
        f'<section class="dge-acct" data-account="{e(alias)}"><h4>Account '
        f'<span class="alias">{e(alias)}</span></h4><p class="dge-meta">{" · ".join(meta)}</p>'
        f'<p class="dge-meta">{len(cells)} cells: {e(summary)}</p>'
        f'<div class="dge-scroll" role="region" tabindex="0" aria-label="Matrix of account {e(alias)}, '
        'scrolls sideways">'
        f'<table class="dge-mx"><caption>Entitlements of account {e(alias)}</caption><thead><tr>'
        f'<th scope="col">Model / variant</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        "</table></div></section>"
    )


_NOT_PROBED = '<td class="na">·</td>'  # explained once, in the legend (a title on each was 6 MB at scale)


def _merge_empty(tds: Sequence[str]) -> str:
    """Neighbouring not-probed cells of a row as one cell spanning them: a model is probed on a few
    endpoints only, so at scale most cells of a matrix are empty (84,300 of 96,600 in a 12,300-cell run)."""
    out: list[str] = []
    empty = 0
    for td in [*tds, ""]:
        if td == _NOT_PROBED:
            empty += 1
            continue
        if empty:
            out.append(_NOT_PROBED if empty == 1 else f'<td class="na" colspan="{empty}">·</td>')
            empty = 0
        out.append(td)
    return "".join(out)


def _td(cells: list[Cell], column_title: str, ids: Mapping[int, str]) -> str:
    if not cells:
        return _NOT_PROBED
    kinds = [cell_kind(c) for c in cells]
    retried = " retried" if any(c.retried for c in cells) else ""
    inner = "".join(_cell(c, column_title, ids[id(c)]) for c in cells)
    return f'<td class="k-{kinds[0]}{retried}">{inner}</td>'


def _cell_title(cell: Cell, column_title: str) -> str:
    kind = cell_kind(cell)
    rid = request_id(cell)
    parts = [
        f"{cell.account} · {column_title} · {cell.variant}: {KIND_LABELS[kind]}",
        f"expected {expected_text(cell.expectation)}",
        f"got {_got(cell)}",
    ]
    if cell.retried:
        parts.append(f"needed {tries(cell)} tries")
    if rid:
        parts.append(f"request id {rid}")
    return "; ".join(parts)


def _got(cell: Cell) -> str:
    if cell.observation is None:
        return "nothing (not sent)"
    verdict = verdict_words(cell.judgement.verdict.value) if cell.judgement else "no verdict"
    return f"{status_text(cell)} {verdict}"


def _cell(cell: Cell, column_title: str, anchor: str) -> str:
    """The cell as the matrix shows it: a <details> whose summary says status, verdict, marks and the
    short request id. Its evidence is not here: `_JS` builds it from `evidence_data` when it opens."""
    kind = cell_kind(cell)
    rid = request_id(cell)
    verdict = verdict_words(cell.judgement.verdict.value) if cell.judgement else "not sent"
    retry = f'<span class="rt" title="needed {tries(cell)} tries">↻{tries(cell)} tries</span>' if cell.retried else ""
    mark = "" if kind == "allow" else f'<span class="mk">{e(_KIND_MARK[kind])}</span>'
    rid_html = (
        f'<span class="rid">{e(rid[:8])}…</span>' if rid and len(rid) > 9 else f'<span class="rid">{e(rid)}</span>'
    )
    return (
        f'<details class="dge-cell" id="{anchor}" data-test-id="{e(cell.test_id)}" data-kind="{kind}">'
        f'<summary title="{e(_cell_title(cell, column_title))}">'
        f'<span class="st">{e(status_text(cell))}</span> '
        f'<span class="vd">{e(verdict)}</span>{mark}{retry}{rid_html if rid else ""}</summary></details>'
    )


# ----------------------------------------------------------------------------------------- evidence


def _dl(pairs: Iterable[tuple[str, str | None]]) -> str:
    """Definition list of (label, already-escaped html); empty values are left out."""
    items = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f"<dl>{items}</dl>"


def _excerpt(body: Any) -> str:
    if body is None:
        return ""
    text = (
        body if isinstance(body, str) else json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False, default=str)
    )
    if len(text) > BODY_EXCERPT_CHARS:  # scrubbed before the cut: a cut key is no longer recognisable
        text = bounded(text, BODY_EXCERPT_CHARS) + f"\n… ({len(text) - BODY_EXCERPT_CHARS} more characters)"
    return text


def _evidence(cell: Cell, column_title: str, why: str = "") -> str:
    kind = cell_kind(cell)
    j = cell.judgement
    obs = cell.observation
    exp = cell.expectation
    pairs: list[tuple[str, str | None]] = [
        ("Outcome", f'<strong class="k-{kind}">{e(KIND_LABELS[kind])}</strong>'),
        ("Test", f"<code>{e(cell.test_id)}</code>"),
        ("Endpoint", f"{e(column_title)} (<code>{e(cell.surface)}</code>)"),
        ("Model", e(cell.model) if cell.model else None),
        ("Why this row", e(why) if why else None),
        (
            "Expected",
            e(expected_text(exp)) + (f' <span class="src">from {e(exp.source)}</span>' if exp.source else ""),
        ),
        ("Got", e(_got(cell))),
        ("Why", e(j.reason) if j else None),
        ("Not sent because", e(cell.skipped_reason) if cell.skipped_reason else None),
    ]
    if j:
        pairs += [
            ("Deepgram err_code", f"<code>{e(j.err_code)}</code>" if j.err_code else None),
            ("Deepgram err_msg", e(j.err_msg) if j.err_msg else None),
            ("Offending parameter", f"<code>{e(j.parameter)}</code>" if j.parameter else None),
            ("Right endpoint", e(j.right_endpoint) if j.right_endpoint else None),
        ]
    if obs is not None:
        pairs += _observation_pairs(obs)
    out = _dl(pairs)
    if obs is not None and len(obs.attempts) > 1:
        out += _attempts(obs)
    if cell.diagnosis:
        out += _diagnosis_detail(cell.diagnosis)
    return out


def _observation_pairs(obs: Observation) -> list[tuple[str, str | None]]:
    rid = obs.request_id
    headers = "".join(f"<li><code>{e(k)}: {e(v)}</code></li>" for k, v in sorted(obs.headers.items()))
    frames = "".join(
        f"<li>{e(f.kind)} {e(f.type or '')} at {f.at_ms:g} ms{f' ({f.size} bytes)' if f.size else ''}</li>"
        for f in obs.frames[:8]
    )
    req = obs.request
    excerpt = _excerpt(obs.body)
    close = f"{obs.close_code} {obs.close_reason or ''}".strip() if obs.close_code is not None else None
    if close and obs.closed_by:
        close += f" (closed by the {obs.closed_by})"
    error = f"{obs.error}{': ' + obs.error_detail if obs.error_detail else ''}" if obs.error else None
    cost = obs.cost
    return [
        ("Deepgram dg-error", e(obs.dg_error) if obs.dg_error else None),
        ("Request id", f'<code class="rid-full">{e(rid)}</code>' if rid else "none returned"),
        (
            "Request",
            f"<code>{e(req.method)} {e(req.url)}</code> auth: {e(req.auth_scheme or 'none')}" if req else None,
        ),
        ("Network error", e(error) if error else None),
        ("Body excerpt", f'<pre class="body">{e(excerpt)}</pre>' if excerpt else None),
        ("Body", f"{e(obs.body_kind)}, {obs.body_size} bytes, {e(obs.content_type or 'no content type')}"),
        ("Headers", f"<ul>{headers}</ul>" if headers else None),
        ("First messages", f"<ul>{frames}</ul>" if frames else None),
        ("Close", e(close) if close else None),
        ("Tries", f"{obs.tries}" + (" (retried: not a clean pass)" if obs.tries > 1 else "")),
        ("Latency", f"{obs.latency_ms:g} ms"),
        ("Probed at", e(obs.at) if obs.at else None),
        ("Cost", f"{cost.requests} request(s), {cost.audio_seconds:g} s audio, {cost.characters} characters"),
    ]


def _attempts(obs: Observation) -> str:
    rows = "".join(
        f"<tr><td>{i}</td><td>{e(a.status if a.status is not None else '—')}</td><td>{e(a.error or '')}</td>"
        f"<td>{a.latency_ms:g} ms</td><td>{a.waited_ms:g} ms</td>"
        f"<td>{'' if a.retry_after_s is None else f'{a.retry_after_s:g} s'}</td></tr>"
        for i, a in enumerate(obs.attempts, 1)
    )
    return (
        '<table class="attempts"><caption>Attempts</caption><thead><tr><th>#</th><th>status</th>'
        "<th>error</th><th>latency</th><th>waited before</th><th>Retry-After</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _controls(controls: Sequence[ControlResult]) -> str:
    rows = "".join(
        f"<tr><td>{e(verdict_words(c.purpose))}</td><td><code>{e(c.combo_id)}</code></td>"
        f"<td>{e(c.status if c.status is not None else '—')}</td><td>{e(verdict_words(c.verdict.value))}</td>"
        f"<td><code>{e(c.request_id or '')}</code></td><td>{e(c.note)}</td></tr>"
        for c in controls
    )
    return (
        '<table class="controls"><caption>Control probes</caption><thead><tr><th>control</th><th>request</th>'
        "<th>status</th><th>verdict</th><th>request id</th><th>note</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _diagnosis_detail(d: Diagnosis) -> str:
    flag = "an entitlement problem" if d.is_entitlement else "not an entitlement problem"
    evidence = "".join(f"<li><strong>{e(x.label)}:</strong> {e(x.value)}</li>" for x in d.evidence)
    return (
        f'<div class="diag"><p class="title">Diagnosis: {e(d.title)} '
        f'<span class="badge">({e(flag)})</span></p>'
        f'<p class="remedy"><strong>What to do:</strong> {e(d.remedy)}</p>'
        + (f"<ul>{evidence}</ul>" if evidence else "")
        + (_controls(d.controls) if d.controls else "")
        + (
            f'<p><strong>Support ticket text</strong></p><pre class="ticket-text">{e(d.ticket)}</pre>'
            if d.ticket
            else ""
        )
        + "</div>"
    )


def evidence_data(run: RunResult, columns: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Every cell's evidence (the same escaped HTML as `_evidence`), stored once per distinct piece.

    Why: the evidence is most of a report's weight (a 12,300-cell run had ~80 elements per cell) and
    most of it repeats from cell to cell (the row's why, the expectation's source, the same body
    lines). So the evidence is cut into pieces (`_PIECE_END`), each distinct piece is kept once in
    `pieces`, and `cells[i]` lists the pieces of cell i in order: a number n >= 0 is piece n, a number
    -k means the k pieces after the previous one (runs are common, since pieces are numbered as first
    met). The page builds a cell's evidence only when it is opened (`_JS`), so loading costs nothing.
    """
    titles = dict(columns)
    index: dict[str, int] = {}
    cells: list[list[int]] = []
    for cell in run.cells:
        html = _evidence(cell, titles.get(cell.surface, cell.surface), combo_why(run, cell))
        refs = [index.setdefault(piece, len(index)) for piece in _PIECE_END.split(html) if piece]
        cells.append(_runs(refs))
    return {"cells": cells, "pieces": list(index)}


def _runs(refs: Sequence[int]) -> list[int]:
    """[7, 8, 9, 10, 3] -> [7, -3, 3]: a run of consecutive pieces as its length, negated."""
    out: list[int] = []
    for i, ref in enumerate(refs):
        if i and ref == refs[i - 1] + 1:
            if out[-1] < 0:
                out[-1] -= 1
            else:
                out.append(-1)
        else:
            out.append(ref)
    return out


# -------------------------------------------------------------------------------------- entry points


def render_matrix(run: RunResult, columns: Sequence[tuple[str, str]] | None = None) -> str:
    """The report fragment: header, drift (lost first), diagnosis panel, legend and matrix.

    `columns` are (surface name, title) pairs in display order (see `columns_from_surfaces`); without
    them, surfaces appear in the order of the run's cells, labelled by name.
    """
    cols = _columns(run, columns)
    head, totals = _header(run)
    fragment = (
        f'<div class="{"dge big" if len(run.cells) >= LAZY_LAYOUT_CELLS else "dge"}" id="{ROOT_ID}">'
        f"<style>{_CSS}</style>"
        + head
        + render_summary(run, _cell_ids(run))
        + totals
        + _drift(run.drift)
        + render_attention(run, _cell_ids(run), _surface_titles(cols))
        + render_traps(run, _cell_ids(run))
        + _matrix(run, cols)
        + json_script(EVIDENCE_ID, evidence_data(run, cols))
        + f"<script>{_JS}</script></div>"
    )
    return scrub(fragment)


def render_page(run: RunResult, columns: Sequence[tuple[str, str]] | None = None) -> str:
    """The standalone entitlement page for readers (the default artefact): `render_matrix` in a page of
    its own, light or dark; deterministic for a given run. pytest-html embeds `render_matrix` itself."""
    title = f"Deepgram entitlements · {run.mode} · {run.started_at}"
    return scrub(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{e(title)}</title></head><body>\n{render_matrix(run, columns)}\n</body></html>\n"
    )


_CSS = """
.dge{--fg:#1d2433;--bg:#fff;--muted:#4a5368;--line:#ccd;--soft:#f4f5f8;--head:#eef0f5;--link:#1c5cd6;
 --allow:#d3f2dc;--allow-b:#2f8f4e;--deny:#e4eaf3;--deny-b:#7b8aa5;--ua:#ffd8a8;--ua-b:#d9480f;
 --ud:#ffc9c9;--ud-b:#c92a2a;--inc:#fff3bf;--inc-b:#d4a200;--good:#14532d;--bad:#8a1010;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
 padding:12px 16px;box-sizing:border-box;max-width:100%;overflow-wrap:anywhere}
@media (prefers-color-scheme:dark){.dge{--fg:#e6e9f0;--bg:#14171f;--muted:#a9b1c3;--line:#3a4152;
 --soft:#1e2230;--head:#252b3a;--link:#8ab4ff;--allow:#173d26;--allow-b:#4caf6e;--deny:#262d3d;
 --deny-b:#7b8aa5;--ua:#5a3411;--ua-b:#ff8c42;--ud:#5c1c1c;--ud-b:#ff6b6b;--inc:#4a3f10;--inc-b:#e0b000;
 --good:#9be7b4;--bad:#ffb3b3}}
.dge *,.dge *::before,.dge *::after{box-sizing:border-box}
.dge a{color:var(--link)}
.dge h2{font-size:22px;margin:0 0 4px}.dge h3{font-size:18px;margin:18px 0 6px;border-bottom:1px solid var(--line)}
.dge h4{font-size:15px;margin:12px 0 4px}
.dge code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.dge .dge-meta{color:var(--muted);margin:2px 0}
.dge .dge-verdict{font-size:17px;font-weight:700;margin:8px 0;padding:6px 10px;border-radius:4px}
.dge .dge-verdict.good{background:var(--allow);color:var(--good)}
.dge .dge-verdict.bad{background:var(--ud);color:var(--bad)}
.dge .dge-banner{padding:8px 10px;border-radius:4px;margin:6px 0;font-weight:600}
.dge .dge-banner.incomplete{background:#8a1010;color:#fff}
.dge .dge-banner.cassette{background:var(--inc);border:1px solid var(--inc-b)}
.dge .dge-totals{list-style:none;display:flex;flex-wrap:wrap;gap:6px;padding:0;margin:8px 0}
.dge .dge-totals li{padding:3px 8px;border-radius:12px;border:1px solid var(--line)}
.dge .dge-totals .n{font-weight:700}
.dge .k-allow{background:var(--allow);border-color:var(--allow-b)}
.dge .k-deny{background:var(--deny);border-color:var(--deny-b)}
.dge .k-unexpected_allow{background:var(--ua);border-color:var(--ua-b)}
.dge .k-unexpected_deny{background:var(--ud);border-color:var(--ud-b)}
.dge .k-inconclusive{background:var(--inc);border-color:var(--inc-b)}
.dge .k-skipped{background:var(--bg);border-color:var(--line);border-style:dashed}
.dge .dge-accts{list-style:none;padding:0;margin:0}
.dge .dge-acct-line{border:1px solid var(--line);border-left:6px solid var(--allow-b);border-radius:4px;
 padding:4px 12px;margin:8px 0}
.dge .dge-acct-line.broken{border-left-color:var(--ud-b)}
.dge .dge-acct-line .line{margin:2px 0}.dge .dge-acct-line .state{color:var(--muted)}
.dge .dge-acct-line .sentence{margin:2px 0 4px}
.dge .dge-acct-line .lbl{font-weight:600;margin-right:4px}
.dge .items{display:inline;list-style:none;padding:0;margin:0}
.dge .items li{display:inline-block;margin:1px 6px 1px 0}
.dge .items a,.dge .affects a,.dge .accts a{display:inline-block;padding:0 4px;border-radius:3px;border:1px solid;
 color:var(--fg);text-decoration:none;font-size:12px}
.dge .where{color:var(--muted);font-size:12px}.dge .flag{color:var(--bad);font-size:12px}
.dge .has details{display:inline}.dge .has summary{cursor:pointer;display:inline}.dge .hint{color:var(--muted)}
.dge .dge-trap-list{list-style:none;padding:0}.dge .trap{border-left:4px solid var(--deny-b);padding:2px 10px;
 margin:6px 0}.dge .trap.broken{border-left-color:var(--ud-b)}.dge .trap p{margin:2px 0}
.dge .trap .why{color:var(--muted)}
.dge .trapmark{display:block;font-family:system-ui,sans-serif;font-size:10px;font-weight:400;color:var(--muted)}
.dge .dge-drift{border:2px solid var(--ud-b);border-radius:6px;padding:4px 12px}
.dge .dge-drift .d-lost{color:var(--bad);font-weight:700}.dge .dge-drift .d-gained{color:var(--good)}
.dge .dge-cause{border:1px solid var(--line);border-left:6px solid var(--ud-b);border-radius:4px;padding:4px 12px;
 margin:8px 0}
.dge .dge-cause[data-cause=undiagnosed],.dge .dge-cause[data-cause=skipped]{border-left-color:var(--line)}
.dge .dge-cause[data-cause=unexpected_allow]{border-left-color:var(--ua-b)}
.dge .title{font-weight:600;margin:4px 0}.dge .remedy{margin:2px 0}
.dge .count{font-weight:400;color:var(--muted);font-size:13px}
.dge .badge{font-size:12px;font-weight:600;padding:1px 6px;border-radius:8px;background:var(--deny)}
.dge .badge.ent{background:var(--ud)}
.dge .ticket{margin:6px 0}
.dge pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);
 padding:6px;margin:2px 0;font-size:12px;max-height:22em;overflow:auto;color:var(--fg)}
.dge button{font:inherit;font-size:12px;padding:2px 10px;cursor:pointer}
.dge .dge-legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.dge .sw{display:inline-block;width:14px;height:14px;border:1px solid;vertical-align:-2px;margin-right:4px}
.dge .dge-acct{margin:10px 0 18px}.dge .alias{font-family:ui-monospace,Menlo,Consolas,monospace}
/* A large report: an account's matrix off screen is neither styled, laid out nor painted until it
 scrolls near; `live` while one of its cells is open, so the fixed evidence box is placed against the
 viewport, not clipped to the block by the containment. */
.dge.big .dge-acct{content-visibility:auto;contain-intrinsic-size:auto 24em}
.dge.big .dge-acct.live{content-visibility:visible}
.dge .dge-find input{font:inherit;padding:2px 6px;width:16em;max-width:100%}.dge .found{color:var(--muted)}
.dge .dge-banner.noscript{background:var(--inc);border:1px solid var(--inc-b);font-weight:400}
.dge .dge-scroll{max-width:100%;overflow-x:auto;border:1px solid var(--line)}
.dge .dge-scroll:focus-visible{outline:2px solid var(--link)}
.dge table.dge-mx{border-collapse:collapse;font-size:12px;overflow-wrap:normal}
.dge .dge-mx>caption{text-align:left;position:absolute;left:-9999px}
.dge .dge-mx>thead>tr>th,.dge .dge-mx>tbody>tr>th,.dge .dge-mx>tbody>tr>td{border:1px solid var(--line);padding:0;
 vertical-align:top}
.dge .dge-mx>thead>tr>th{background:var(--head);padding:4px;font-weight:600;max-width:9em;overflow-wrap:break-word}
.dge .dge-mx>tbody>tr>th{text-align:left;padding:4px 6px;background:var(--soft);white-space:nowrap;
 font-family:ui-monospace,Menlo,Consolas,monospace}
.dge .dge-mx>tbody>tr>td{min-width:6.5em;max-width:10em}
.dge .dge-mx>tbody>tr>td.na{color:var(--muted);text-align:center;background:var(--bg)}
.dge .dge-mx>tbody>tr>td.k-unexpected_deny{border:3px solid var(--ud-b);font-weight:600}
.dge .dge-mx>tbody>tr>td.k-unexpected_allow{border:3px solid var(--ua-b);font-weight:600}
.dge .dge-mx>tbody>tr>td.retried{outline:2px dashed #b8860b;outline-offset:-3px}
.dge .dge-cell>summary{cursor:pointer;padding:3px 5px;list-style:none;display:block}
.dge .dge-cell>summary::-webkit-details-marker{display:none}
.dge .dge-cell>summary:focus-visible{outline:2px solid var(--link)}
.dge .dge-cell .st{font-weight:700}
.dge .dge-cell .mk,.dge .dge-cell .rt,.dge .dge-cell .rid{display:block;font-size:11px}
.dge .dge-cell .rid{color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace}
.dge .dge-cell .rt{color:#7a5600;font-weight:700}
.dge .dge-cell[open]>summary{box-shadow:inset 0 0 0 2px var(--link)}
.dge .dge-cell>.ev{position:fixed;z-index:1000;left:50%;top:50%;transform:translate(-50%,-50%);
 width:min(40em,calc(100vw - 16px));max-height:calc(100vh - 16px);overflow:auto;background:var(--bg);
 color:var(--fg);border:1px solid var(--deny-b);box-shadow:0 6px 24px rgba(0,0,0,.35);padding:6px 10px;
 font-weight:400;font-size:12px;white-space:normal;overflow-wrap:anywhere;text-align:left}
.dge .ev .close{float:right;margin:0 0 4px 8px}
.dge .ev dl{display:grid;grid-template-columns:minmax(6em,max-content) minmax(0,1fr);gap:2px 10px;margin:4px 0}
.dge .ev dt{font-weight:600;color:var(--muted)}.dge .ev dd{margin:0;min-width:0}
.dge .ev ul{margin:0;padding-left:16px}.dge .src{color:var(--muted);font-size:11px}
.dge .ev table{border-collapse:collapse;margin:4px 0;width:100%;table-layout:fixed;font-size:11px}
.dge .ev table caption{text-align:left;font-weight:600}
.dge .ev table td,.dge .ev table th{border:1px solid var(--line);padding:1px 4px;text-align:left;
 overflow-wrap:anywhere;vertical-align:top;min-width:0;max-width:none;position:static}
.dge .ev .diag{border-top:1px solid var(--line);margin-top:4px}
.dge.only-problems .dge-mx>tbody>tr[data-problem="0"]{display:none}
@media print{.dge{--bg:#fff;--fg:#000;padding:0;font-size:11px}.dge *{print-color-adjust:exact;
 -webkit-print-color-adjust:exact}.dge .dge-scroll{overflow:visible;border:0}.dge button,
 .dge .only-problems{display:none}.dge .dge-cell>.ev{display:none}.dge details.tickets>*{display:block}
 .dge .dge-cause,.dge .dge-acct-line,.dge tr{break-inside:avoid}}
"""

# The page's behaviour. The first screen (summary, causes, traps) and the matrix are complete HTML;
# the script adds each cell's evidence when it opens (from the #dge-evidence data), keeps one cell
# open at a time, closes it with Escape or its button, follows the first screen's links to a cell,
# filters the matrix, and copies ticket text. Evidence goes in with innerHTML: it is the server's own
# markup, every text in it escaped by `e` as everywhere else in the page.
_JS = """
(function () {
  var root = document.getElementById("dge-report");
  if (!root) { return; }
  var data = null;
  function evidence() {
    if (data === null) {
      var el = document.getElementById("dge-evidence");
      try { data = JSON.parse(el ? el.textContent : "null") || {}; } catch (err) { data = {}; }
    }
    return data;
  }
  function evidenceHtml(n) {
    var d = evidence(), refs = d.cells && d.cells[n], pieces = d.pieces || [], out = [], last = -1;
    if (!refs) {
      return "<p>The evidence of this cell is not in this page" + (d.withheld ? " (withheld: it looked " +
        "like a secret once encoded)" : "") + ". It is in the run's entitlements.json.</p>";
    }
    for (var i = 0; i < refs.length; i++) {
      var r = refs[i];
      if (r < 0) { for (var k = 0; k < -r; k++) { last++; out.push(pieces[last]); } }
      else { last = r; out.push(pieces[r]); }
    }
    return out.join("");
  }
  function fill(d) {
    if (d.querySelector(".ev")) { return; }
    var ev = document.createElement("div");
    ev.className = "ev";
    ev.setAttribute("role", "dialog");
    ev.setAttribute("aria-label", "Evidence for " + (d.getAttribute("data-test-id") || ""));
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "close";
    btn.setAttribute("aria-label", "Close the evidence");
    btn.textContent = "Close \\u2715";
    ev.appendChild(btn);
    ev.insertAdjacentHTML("beforeend", evidenceHtml(parseInt(d.id.slice(5), 10)));
    d.appendChild(ev);
  }
  function opened() { return root.querySelectorAll("details.dge-cell[open]"); }
  function shut(d, focus) {
    d.open = false;
    var sum = d.querySelector("summary");
    if (focus && sum) { sum.focus({preventScroll: true}); }
  }
  root.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d || !d.classList || !d.classList.contains("dge-cell")) { return; }
    var box = d.closest(".dge-acct");
    if (!d.open) {
      if (box && !box.querySelector("details.dge-cell[open]")) { box.classList.remove("live"); }
      return;
    }
    fill(d);
    if (box) { box.classList.add("live"); }
    var all = opened();
    for (var i = 0; i < all.length; i++) { if (all[i] !== d) { shut(all[i], false); } }
    var btn = d.querySelector(".ev .close");
    if (btn) { btn.focus({preventScroll: true}); }
  }, true);
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var all = opened();
    for (var i = 0; i < all.length; i++) { shut(all[i], true); }
  });
  root.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t || !t.closest) { return; }
    var link = t.closest("a[data-cell]");
    if (link) {
      var d = document.getElementById(link.getAttribute("data-cell"));
      if (d) {
        ev.preventDefault();
        var box = root.querySelector("input.only-problems");
        if (box && box.checked) { box.checked = false; root.classList.remove("only-problems"); }
        if (find && find.value) { find.value = ""; filter(); }
        d.open = true;
        d.scrollIntoView({block: "center"});
        var s = d.querySelector("summary");
        if (s) { s.focus(); }
      }
      return;
    }
    var btn = t.closest("button.copy");
    if (btn) { copy(btn); return; }
    var close = t.closest("button.close");
    if (close) {
      var cell = close.closest("details.dge-cell");
      if (cell) { shut(cell, true); }
    }
  });
  root.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains("only-problems")) {
      root.classList.toggle("only-problems", t.checked);
    }
  });
  // Find: an account whose name matches shows all its rows, otherwise only the rows whose model does.
  var find = root.querySelector("input.find"), found = root.querySelector(".dge-find .found"), timer = 0;
  function filter() {
    var q = find.value.trim().toLowerCase(), blocks = root.querySelectorAll("section.dge-acct"), shown = 0;
    for (var i = 0; i < blocks.length; i++) {
      var b = blocks[i], all = !q || (b.getAttribute("data-account") || "").toLowerCase().indexOf(q) >= 0;
      var rows = b.querySelectorAll("table.dge-mx > tbody > tr"), any = false;
      for (var j = 0; j < rows.length; j++) {
        var th = rows[j].firstElementChild;
        var hit = all || (th && th.textContent.toLowerCase().indexOf(q) >= 0);
        rows[j].hidden = !hit;
        any = any || hit;
      }
      b.hidden = !any;
      if (any) { shown++; }
    }
    found.textContent = q ? shown + " of " + blocks.length + " accounts shown" : "";
  }
  if (find && found) {
    find.parentNode.parentNode.hidden = false;
    find.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(filter, 150); });
    find.addEventListener("change", function () { clearTimeout(timer); filter(); });
  } else {
    find = null;
  }
  function copy(btn) {
    var pre = document.getElementById(btn.getAttribute("data-copy"));
    if (!pre) { return; }
    var text = pre.textContent || "";
    function done(ok) {
      btn.textContent = ok ? "Copied" : "Select the text and press Ctrl+C";
      setTimeout(function () { btn.textContent = "Copy ticket text"; }, 2000);
    }
    function fallback() {
      var ok = false;
      try {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        ok = document.execCommand && document.execCommand("copy");
      } catch (err) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }
})();
"""
