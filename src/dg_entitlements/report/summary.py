"""What a reader asks first, as data: which account has, lacks or could not use which model, and why.

Why a separate, pure module: the HTML page, the pytest-html fragment and the terminal summary must
give the same answer in the same words, and a reader's question ("which account lacks which model?")
is not the matrix's shape (account x endpoint x variant). So the run is folded here once:
- per account, every model (or endpoint without a model) lands in exactly one bucket: has, lacks
  (Deepgram said not entitled), failed for another reason (no credits, a key scope, a malformed
  request, ...) or not measured (inconclusive or not sent);
- rows the catalogue marks intrinsic (`ComboInfo.intrinsic`: the outcome is the same for every
  account, e.g. Flux on /v1/listen) are "trap rows", checks of the request shape: they are kept
  out of the accounts' lines, else every account seems to lack `nova-3-genral`;
- cells that need attention are grouped per account x cause (one block, one ticket), most serious
  first by `diagnosis.SEVERITY`, an unexpected allow headed as an entitlement leak.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dg_entitlements.diagnosis import SEVERITY
from dg_entitlements.model import Cell, Outcome, RunResult, Verdict
from dg_entitlements.report.labels import ordered_accounts, request_id, verdict_words

# Plain words for the causes a reader meets in an account's line ("failed for other reasons").
CAUSE_WORDS: dict[str, str] = {
    "no_credits": "no credits",
    "payment_required": "no credits",
    "missing_scope": "key lacks a scope",
    "insufficient_permissions": "key lacks a scope",
    "invalid_key": "key rejected",
    "invalid_auth": "key rejected",
    "missing_key": "no key sent",
    "expired_token": "token expired",
    "no_such_model": "no such model",
    "unknown_model": "no such model",
    "malformed_request": "malformed request",
    "wrong_endpoint": "wrong endpoint",
    "feature_not_allowed": "feature not allowed",
    "not_found": "not served here",
    "not_entitled_or_no_such_model": "not entitled, or no such model",
}
LEAK = "unexpected_allow"
LEAK_HEADING = "Entitlement leak: allowed although the contract expected a refusal"


def cause_words(cause: str) -> str:
    return CAUSE_WORDS.get(cause, verdict_words(cause))


def severity(cause: str, fallback: int = 0) -> int:
    return SEVERITY.get(cause, fallback)


@dataclass(frozen=True)
class Item:
    """One model (or one endpoint, for model-less surfaces) and the cells that say so."""

    name: str
    where: tuple[str, ...]  # endpoint titles
    cells: tuple[Cell, ...]
    why: str = ""  # the catalogue's reason for the first combination, shown as a tooltip

    @property
    def unexpected(self) -> bool:
        return any(c.outcome.breaks_contract for c in self.cells)


@dataclass(frozen=True)
class AccountSummary:
    alias: str
    has: tuple[Item, ...]
    lacks: tuple[Item, ...]  # Deepgram said: not entitled
    other: tuple[tuple[str, tuple[Item, ...]], ...]  # (reason words, items), most serious first
    unmeasured: tuple[Item, ...]
    broken: int  # cells that broke the contract

    def sentence(self) -> str:
        """The line a non-engineer reads, e.g. `payg-no-flux has 7 models; lacks flux-general-en (not
        entitled); could not use GET /v1/projects/{id}/keys (key lacks a scope).`"""
        parts = [f"{self.alias} has {_count(self.has)}"]
        leaks = [i for i in self.has if i.unexpected]
        if leaks:
            parts[0] += f", including {_names(leaks)} which it was expected to lack (entitlement leak)"
        if self.lacks:
            parts.append(f"lacks {_names(self.lacks)} (not entitled)")
        else:
            parts.append("lacks nothing it was tested for")
        for reason, items in self.other:
            parts.append(f"could not use {_names(items)} ({reason})")
        if self.unmeasured:
            parts.append(f"not measured: {_names(self.unmeasured)}")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class TrapRow:
    """A check of the request shape: the catalogue fixes its outcome for every account."""

    combo_id: str
    name: str
    where: str
    why: str
    expected: str
    got: str  # what the accounts got, or "differs" (then some cell broke the contract)
    cells: tuple[Cell, ...]

    @property
    def kept(self) -> bool:
        return all(c.outcome is Outcome.AS_EXPECTED for c in self.cells)


@dataclass(frozen=True)
class CauseGroup:
    """Cells of one account that need attention for one cause: one block and one ticket."""

    account: str
    cause: str
    heading: str
    severity: int
    is_entitlement: bool | None  # None: no diagnosis to say
    cells: tuple[Cell, ...]
    ticket: str | None


def _count(items: Sequence[Item]) -> str:
    models = sum(1 for i in items if i.cells and i.cells[0].model)
    endpoints = len(items) - models
    words = []
    if models:
        words.append(f"{models} model{'s' if models != 1 else ''}")
    if endpoints:
        words.append(f"{endpoints} other endpoint{'s' if endpoints != 1 else ''}")
    return " and ".join(words) or "nothing"


def _names(items: Sequence[Item]) -> str:
    return ", ".join(i.name for i in items)


def is_trap(run: RunResult, cell: Cell) -> bool:
    info = run.combos.get(cell.combo_id)
    return bool(info and info.intrinsic)


def why(run: RunResult, cell: Cell) -> str:
    info = run.combos.get(cell.combo_id)
    if info and info.why:
        return info.why
    return cell.combo.why if cell.combo is not None else ""


def _titles(run: RunResult, surface: str) -> str:
    return run.surfaces.get(surface, surface)


def bucket(cell: Cell) -> str:
    """has | lacks | unmeasured | the words of another reason (`no credits`, ...)."""
    j = cell.judgement
    if cell.outcome in (Outcome.SKIPPED, Outcome.INCONCLUSIVE) or j is None or j.verdict.is_inconclusive:
        return "unmeasured"
    if j.verdict.is_allow:
        return "has"
    cause = cell.diagnosis.cause if cell.diagnosis else j.verdict.value
    if j.verdict is Verdict.NOT_ENTITLED and cause == Verdict.NOT_ENTITLED.value:
        return "lacks"
    return cause_words(cause)


def _items(run: RunResult, cells: Iterable[Cell]) -> tuple[Item, ...]:
    """Cells folded by model (or by endpoint when the surface takes no model), in run order."""
    groups: dict[str, list[Cell]] = {}
    for c in cells:
        groups.setdefault(c.model or _titles(run, c.surface), []).append(c)
    out = []
    for name, cs in groups.items():
        where: list[str] = []
        for c in cs:
            t = _titles(run, c.surface)
            if t not in where:
                where.append(t)
        out.append(Item(name, tuple(where), tuple(cs), why(run, cs[0])))
    return tuple(out)


def account_summaries(run: RunResult) -> list[AccountSummary]:
    out = []
    for alias in ordered_accounts(run):
        buckets: dict[str, list[Cell]] = {}
        for c in run.cells:
            if c.account == alias and not is_trap(run, c):
                buckets.setdefault(bucket(c), []).append(c)
        # A model the account has on one endpoint but not another is listed in both: both are true.
        other_keys = [k for k in buckets if k not in ("has", "lacks", "unmeasured")]

        def rank(words: str, buckets: dict[str, list[Cell]] = buckets) -> tuple[int, str]:
            cells = buckets[words]
            worst = max((c.diagnosis.severity for c in cells if c.diagnosis), default=0)
            return (-worst, words)

        out.append(
            AccountSummary(
                alias=alias,
                has=_items(run, buckets.get("has", ())),
                lacks=_items(run, buckets.get("lacks", ())),
                other=tuple((k, _items(run, buckets[k])) for k in sorted(other_keys, key=rank)),
                unmeasured=_items(run, buckets.get("unmeasured", ())),
                broken=sum(1 for c in run.cells if c.account == alias and c.outcome.breaks_contract),
            )
        )
    return out


def trap_rows(run: RunResult) -> list[TrapRow]:
    from dg_entitlements.report.labels import expected_text, got_text

    groups: dict[str, list[Cell]] = {}
    for c in run.cells:
        if is_trap(run, c):
            groups.setdefault(c.combo_id, []).append(c)
    rows = []
    for combo_id, cells in groups.items():
        first = cells[0]
        gots = {got_text(c) for c in cells}
        rows.append(
            TrapRow(
                combo_id=combo_id,
                name=first.variant,
                where=_titles(run, first.surface),
                why=why(run, first),
                expected=expected_text(first.expectation),
                got=gots.pop() if len(gots) == 1 else "differs between accounts",
                cells=tuple(cells),
            )
        )
    return rows


def needs_attention(cell: Cell) -> bool:
    return cell.outcome is not Outcome.AS_EXPECTED


def cause_of(cell: Cell) -> str:
    if cell.diagnosis:
        return cell.diagnosis.cause
    if cell.outcome is Outcome.UNEXPECTED_ALLOW:
        return LEAK
    if cell.outcome is Outcome.SKIPPED:
        return "skipped"
    if cell.outcome is Outcome.INCONCLUSIVE and cell.judgement:
        return cell.judgement.verdict.value
    return "undiagnosed"


def heading(cause: str, cells: Sequence[Cell]) -> str:
    if cause == LEAK or all(c.outcome is Outcome.UNEXPECTED_ALLOW for c in cells):
        return LEAK_HEADING
    if cause == "skipped":
        return "Not sent"
    if cause == "undiagnosed":
        return "No diagnosis available"
    words = cause_words(cause)
    return words[:1].upper() + words[1:]


def cause_groups(run: RunResult) -> list[CauseGroup]:
    """One group per account x cause over the cells that need attention, most serious first."""
    order = {a: i for i, a in enumerate(ordered_accounts(run))}
    groups: dict[tuple[str, str], list[Cell]] = {}
    for c in run.cells:
        if needs_attention(c):
            groups.setdefault((c.account, cause_of(c)), []).append(c)
    out = []
    for (account, cause), cells in groups.items():
        diags = [c.diagnosis for c in cells if c.diagnosis]
        # A diagnosis carries its severity (diagnosis.SEVERITY); a cell without one ranks by its outcome.
        rank = max((d.severity for d in diags), default=severity(LEAK, 60) if cause == LEAK else -1)
        out.append(
            CauseGroup(
                account=account,
                cause=cause,
                heading=heading(cause, cells),
                severity=rank,
                is_entitlement=any(d.is_entitlement for d in diags) if diags else None,
                cells=tuple(cells),
                ticket=merged_ticket(run, cells),
            )
        )
    return sorted(out, key=lambda g: (-g.severity, order.get(g.account, 999), g.cause))


def merged_ticket(run: RunResult, cells: Sequence[Cell]) -> str | None:
    """One support ticket for an account x cause: the first cell's text, then every other request
    that failed the same way with its request id (Deepgram support needs the ids, not N copies)."""
    with_ticket = [c for c in cells if c.diagnosis and c.diagnosis.ticket]
    if not with_ticket:
        return None
    first = with_ticket[0]
    assert first.diagnosis and first.diagnosis.ticket
    text = first.diagnosis.ticket.rstrip()
    rest = [c for c in cells if c is not first]
    if rest:
        lines = [
            f"- {c.model or c.variant} on {_titles(run, c.surface)}: request id {request_id(c) or 'none returned'}"
            for c in rest
        ]
        text += f"\n\nThe same happened on {len(rest)} more request(s) from this account:\n" + "\n".join(lines)
    return text
