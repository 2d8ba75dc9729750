"""Words shared by every renderer, so the terminal, the HTML and the assertion say the same thing.

The report is read by support staff and account managers, so each outcome has a plain-English label
as well as a colour: colour alone is neither accessible nor copy-pasteable into a ticket.
"""

from __future__ import annotations

from dg_entitlements.model import Cell, Expectation, Outcome, RunResult

# Display classes: an as-expected cell is split into allow and deny because "denied as expected" and
# "allowed" mean very different things to a reader, although both keep the contract.
KIND_LABELS: dict[str, str] = {
    "allow": "Allowed (as expected)",
    "deny": "Denied as expected",
    "unexpected_allow": "Unexpectedly allowed",
    "unexpected_deny": "Unexpectedly denied",
    "inconclusive": "Inconclusive (no answer about the account)",
    "skipped": "Skipped (not sent)",
}
KIND_ORDER = ("unexpected_deny", "unexpected_allow", "inconclusive", "skipped", "deny", "allow")

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.AS_EXPECTED: "as expected",
    Outcome.UNEXPECTED_ALLOW: "unexpected allow",
    Outcome.UNEXPECTED_DENY: "unexpected deny",
    Outcome.INCONCLUSIVE: "inconclusive",
    Outcome.SKIPPED: "skipped",
}


def cell_kind(cell: Cell) -> str:
    """One of KIND_LABELS' keys."""
    if cell.outcome is not Outcome.AS_EXPECTED:
        return cell.outcome.value
    verdict = cell.judgement.verdict if cell.judgement else cell.expectation.verdict
    return "allow" if verdict.is_allow else "deny"


def verdict_words(value: str) -> str:
    """`not_entitled` -> `not entitled`: readable, and still greppable against the JSON."""
    return value.replace("_", " ")


def status_text(cell: Cell) -> str:
    obs = cell.observation
    if obs is None or obs.status is None:
        return "—"
    return str(obs.status)


def got_text(cell: Cell) -> str:
    """What Deepgram answered, in a few words: `403 not entitled`, `— timeout`, `skipped`."""
    if cell.outcome is Outcome.SKIPPED and cell.observation is None:
        return "not sent"
    verdict = verdict_words(cell.judgement.verdict.value) if cell.judgement else "no verdict"
    obs = cell.observation
    if obs is not None and obs.status is None and obs.error:
        return f"— {verdict} ({obs.error})"
    return f"{status_text(cell)} {verdict}"


def expected_text(exp: Expectation) -> str:
    words = verdict_words(exp.verdict.value)
    return f"{exp.status} {words}" if exp.status is not None else words


def request_id(cell: Cell) -> str | None:
    return cell.observation.request_id if cell.observation else None


def tries(cell: Cell) -> int:
    return cell.observation.tries if cell.observation else 0


def ordered_accounts(run: RunResult) -> list[str]:
    """Accounts in the order the run lists them, then any that only appear in cells (stable)."""
    seen = [a.alias for a in run.accounts]
    for cell in run.cells:
        if cell.account not in seen:
            seen.append(cell.account)
    return seen
