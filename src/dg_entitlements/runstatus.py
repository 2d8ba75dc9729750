"""What a whole run means, as one word, one headline and one exit code (pure).

A nightly job reads the exit code; a person reads the headline; both must say the same thing. A run
in which Deepgram barely answered (a dead network, a wrong base URL, a WAF, all-429, all-5xx) must
never be green and never be called "contract kept": it measured too little to say anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import EXIT_CONTRACT_BROKEN, EXIT_NOTHING_MEASURED, EXIT_OK
from .model import Outcome, RunResult


class RunKind(enum.StrEnum):
    KEPT = "kept"  # every measured cell as expected, enough measured
    BROKEN = "broken"  # an unexpected allow or deny, or a lost entitlement against the baseline
    UNMEASURED = "unmeasured"  # nothing, or too little, was measured
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class RunStatus:
    kind: RunKind
    exit_code: int
    headline: str
    measured: int
    unreadable: int  # inconclusive cells
    skipped: int


def run_status(result: RunResult, inconclusive_limit: float) -> RunStatus:
    """Broken beats unmeasured (an unexpected deny is actionable even on a flaky night); unmeasured
    beats kept. `inconclusive_limit` is the largest share of unreadable cells a kept run may have."""
    counts = result.counts()
    unreadable = counts[Outcome.INCONCLUSIVE.value]
    skipped = counts[Outcome.SKIPPED.value]
    probed = len(result.cells) - skipped
    measured = probed - unreadable
    broken = counts[Outcome.UNEXPECTED_ALLOW.value] + counts[Outcome.UNEXPECTED_DENY.value]
    lost = sum(1 for d in result.drift if d.change == "lost")
    if not result.complete:
        return RunStatus(RunKind.INTERRUPTED, 130, f"Interrupted: {len(result.cells)} cells finished, the rest "
                         "were not probed", measured, unreadable, skipped)
    if broken or lost:
        parts = []
        if counts[Outcome.UNEXPECTED_ALLOW.value]:
            parts.append(f"{counts[Outcome.UNEXPECTED_ALLOW.value]} unexpected allow(s) (entitlement leak)")
        if counts[Outcome.UNEXPECTED_DENY.value]:
            parts.append(f"{counts[Outcome.UNEXPECTED_DENY.value]} unexpected denial(s)")
        if lost:
            parts.append(f"{lost} entitlement(s) lost since the baseline")
        return RunStatus(RunKind.BROKEN, EXIT_CONTRACT_BROKEN, "Contract broken: " + ", ".join(parts),
                         measured, unreadable, skipped)
    if measured == 0:
        why = "no answer from Deepgram" if probed else "nothing was probed"
        return RunStatus(RunKind.UNMEASURED, EXIT_NOTHING_MEASURED,
                         f"Nothing measured: {why} ({unreadable} unreadable, {skipped} skipped)",
                         measured, unreadable, skipped)
    if probed and unreadable / probed > inconclusive_limit:
        return RunStatus(RunKind.UNMEASURED, EXIT_NOTHING_MEASURED,
                         f"Too little measured: {unreadable} of {probed} probed cells got no readable answer "
                         f"from Deepgram (limit {inconclusive_limit:.0%})", measured, unreadable, skipped)
    tail = f"; {unreadable} unreadable" if unreadable else ""
    return RunStatus(RunKind.KEPT, EXIT_OK, f"Contract kept: {measured} cells as expected{tail}",
                     measured, unreadable, skipped)
