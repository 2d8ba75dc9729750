"""The first screen of the report (pure HTML): per account what it has and lacks and why, the trap
rows apart with their `why`, then what needs attention grouped per account x cause.

Why this comes before the matrix: support staff and account managers ask "which account lacks which
model, and why"; the matrix answers "what did each request get" and is for engineers. The data is
folded in `report.summary`, so every renderer says the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dg_entitlements.model import Cell, Outcome, RunResult
from dg_entitlements.report.escape import e
from dg_entitlements.report.labels import cell_kind, expected_text, got_text
from dg_entitlements.report.summary import (
    LEAK,
    AccountSummary,
    CauseGroup,
    Item,
    account_summaries,
    cause_groups,
    trap_rows,
    why,
)


def _item(item: Item, ids: Mapping[int, str], *, show_where: bool = True, flag_each: bool = True) -> str:
    first = item.cells[0]
    where = f' <span class="where">on {e(", ".join(item.where))}</span>' if show_where and first.model else ""
    flag = ' <strong class="flag">unexpected</strong>' if item.unexpected and flag_each else ""
    anchor = ids.get(id(first), "")
    reason = f' title="{e(item.why)}"' if item.why else ""
    return (
        f'<li><a href="#{anchor}" data-cell="{anchor}" class="k-{cell_kind(first)}"{reason}>{e(item.name)}</a>'
        f"{where}{flag}</li>"
    )


def _items(items: Sequence[Item], ids: Mapping[int, str], *, show_where: bool = True) -> str:
    """The items as links to their first cell; "unexpected" once for the list when it applies to all."""
    every = bool(items) and all(i.unexpected for i in items)
    lis = "".join(_item(i, ids, show_where=show_where, flag_each=not every) for i in items)
    note = ' <strong class="flag">all unexpected</strong>' if every else ""
    return f'<ul class="items">{lis}</ul>{note}'


def _account(s: AccountSummary, ids: Mapping[int, str]) -> str:
    rows = []
    has = f"Has {len(s.has)}"
    rows.append(
        f'<div class="has"><details><summary><span class="lbl">{e(has)}</span> '
        f'<span class="hint">(show)</span></summary>{_items(s.has, ids, show_where=False)}</details></div>'
    )
    if s.lacks:
        rows.append(f'<div class="lacks"><span class="lbl">Lacks (not entitled):</span>{_items(s.lacks, ids)}</div>')
    else:
        rows.append('<div class="lacks none"><span class="lbl">Lacks:</span> nothing it was tested for</div>')
    for reason, items in s.other:
        rows.append(
            f'<div class="other" data-reason="{e(reason)}"><span class="lbl">Failed, {e(reason)}:</span>'
            f"{_items(items, ids, show_where=False)}</div>"
        )
    if s.unmeasured:
        rows.append(f'<div class="unmeasured"><span class="lbl">Not measured:</span>{_items(s.unmeasured, ids)}</div>')
    state = "broken" if s.broken else "kept"
    note = f"{s.broken} cell(s) broke the contract" if s.broken else "as expected"
    return (
        f'<li class="dge-acct-line {state}" data-account="{e(s.alias)}">'
        f'<p class="line"><strong class="alias">{e(s.alias)}</strong> <span class="state">{e(note)}</span></p>'
        f'<p class="sentence">{e(s.sentence())}</p>' + "".join(rows) + "</li>"
    )


def render_summary(run: RunResult, ids: Mapping[int, str]) -> str:
    lines = "".join(_account(s, ids) for s in account_summaries(run))
    return (
        '<section class="dge-summary" id="dge-summary" aria-labelledby="dge-sum-h">'
        '<h3 id="dge-sum-h">Per account: what it has, what it lacks, and why</h3>'
        f'<ul class="dge-accts">{lines}</ul></section>'
    )


def render_traps(run: RunResult, ids: Mapping[int, str]) -> str:
    rows = trap_rows(run)
    if not rows:
        return ""
    items = []
    for t in rows:
        state = "kept" if t.kept else "broken"
        links = " ".join(
            f'<a href="#{ids[id(c)]}" data-cell="{ids[id(c)]}" class="k-{cell_kind(c)}">{e(c.account)}</a>'
            for c in t.cells
        )
        got = t.got if t.kept else "differs: " + "; ".join(f"{c.account} {got_text(c)}" for c in t.cells)
        items.append(
            f'<li class="trap {state}" data-combo="{e(t.combo_id)}"><p><code>{e(t.name)}</code> on {e(t.where)}: '
            f"expected <strong>{e(t.expected)}</strong>, got <strong>{e(got)}</strong> "
            f'<span class="accts">({links})</span></p>' + (f'<p class="why">{e(t.why)}</p>' if t.why else "") + "</li>"
        )
    return (
        '<section class="dge-traps" id="dge-traps" aria-labelledby="dge-traps-h">'
        '<h3 id="dge-traps-h">Checks of the request shape, the same for every account</h3>'
        '<p class="dge-meta">These rows test that the suite reads Deepgram right (a misspelled model, a model on '
        "the wrong endpoint, a parameter an endpoint refuses): every account gets the same answer, so they say "
        "nothing about any account's entitlements.</p>"
        f'<ul class="dge-trap-list">{"".join(items)}</ul></section>'
    )


def _group(g: CauseGroup, run: RunResult, ids: Mapping[int, str], titles: Mapping[str, str], n: int) -> str:
    badge = ""
    if g.cause == LEAK:
        badge = '<span class="badge ent">Entitlement leak</span>'
    elif g.is_entitlement is False:
        badge = '<span class="badge not-ent">Not an entitlement problem</span>'
    elif g.is_entitlement:
        badge = '<span class="badge ent">Entitlement</span>'
    titles_seen: list[str] = []
    remedies_seen: list[str] = []
    for c in g.cells:
        title, remedy = (c.diagnosis.title, c.diagnosis.remedy) if c.diagnosis else (_undiagnosed(c), "")
        if title not in titles_seen:
            titles_seen.append(title)
        if remedy and remedy not in remedies_seen:
            remedies_seen.append(remedy)
    shown = titles_seen if len(titles_seen) <= 3 else [*titles_seen[:3], f"… and {len(titles_seen) - 3} more"]
    remedies = [f'<p class="title">{e(t)}</p>' for t in shown]
    remedies += [f'<p class="remedy"><strong>What to do:</strong> {e(r)}</p>' for r in remedies_seen[:2]]
    links = ", ".join(
        f'<a href="#{ids[id(c)]}" data-cell="{ids[id(c)]}" class="k-{cell_kind(c)}">'
        f"{e(c.model or titles.get(c.surface, c.surface))} · {e(titles.get(c.surface, c.surface))}</a>"
        for c in g.cells
    )
    ticket = ""
    if g.ticket:
        tid = f"ticket-{n}"
        ticket = (
            '<details class="tickets"><summary>Support ticket text: one for this account and cause, ready to send '
            f'to Deepgram</summary><div class="ticket"><pre id="{tid}" tabindex="0">{e(g.ticket)}</pre>'
            f'<button type="button" class="copy" data-copy="{tid}" title="Copy this text to the clipboard">'
            "Copy ticket text</button></div></details>"
        )
    return (
        f'<article class="dge-cause" data-account="{e(g.account)}" data-cause="{e(g.cause)}" '
        f'data-severity="{g.severity}"><h4><span class="alias">{e(g.account)}</span>: {e(g.heading)} '
        f'<span class="count">{len(g.cells)} cell(s)</span> {badge}</h4>'
        + "".join(remedies)
        + f'<p class="affects">Affects: {links}</p>'
        + ticket
        + "</article>"
    )


def _undiagnosed(cell: Cell) -> str:
    reason = cell.judgement.reason if cell.judgement else "no verdict was recorded"
    if cell.outcome is Outcome.SKIPPED:
        return f"Not sent: {cell.skipped_reason or 'no reason recorded'}"
    if cell.outcome is Outcome.UNEXPECTED_ALLOW:
        return (
            f"Allowed, but the expectation was {expected_text(cell.expectation)}: the account may have gained "
            "access, or the expectation is out of date"
        )
    if cell.outcome is Outcome.INCONCLUSIVE:
        return f"No answer about the account ({reason}); run again to get one"
    return reason


def render_attention(run: RunResult, ids: Mapping[int, str], titles: Mapping[str, str]) -> str:
    groups = cause_groups(run)
    if not groups:
        body = '<p class="dge-none">Nothing needs attention: every cell came out as expected.</p>'
    else:
        body = "".join(_group(g, run, ids, titles, n) for n, g in enumerate(groups))
    return (
        '<section class="dge-diag" id="dge-diagnosis" aria-labelledby="dge-diag-h"><h3 id="dge-diag-h">'
        "What needs attention, per account and cause, most serious first</h3>"
        f"{body}</section>"
    )


def combo_why(run: RunResult, cell: Cell) -> str:
    """The catalogue's reason for a row, for the evidence popup."""
    return why(run, cell)
