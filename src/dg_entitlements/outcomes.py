"""A verdict judged against what the account should get, and the one-screen message when they differ.

Pure: the pytest layer asserts on `outcome_for`, and prints `explain_mismatch` when the assertion
fails, so the first thing an engineer reads is expected vs got in Deepgram's own words.
"""

from __future__ import annotations

from .model import Cell, Expectation, Judgement, Observation, Outcome, Verdict
from .secrets import scrub


def outcome_for(expectation: Expectation, judgement: Judgement, status: int | None) -> Outcome:
    """Expected vs got, in four answers.

    An inconclusive answer (timeout, 5xx, 429, unreadable) says nothing about the account, so it is
    never a contract break unless that very verdict was what we expected. A denial other than the
    expected one (or the expected verdict with another status) is still an unexpected deny: the
    contract named *how* Deepgram refuses, and that changed.
    """
    got = judgement.verdict
    wanted = expectation.verdict
    if got is wanted and got is Verdict.ENTITLED:
        return Outcome.AS_EXPECTED
    if got is wanted and (expectation.status is None or expectation.status == status):
        return Outcome.AS_EXPECTED
    if got.is_inconclusive and got is not wanted:
        return Outcome.INCONCLUSIVE
    if got is Verdict.ENTITLED:
        return Outcome.UNEXPECTED_ALLOW
    return Outcome.UNEXPECTED_DENY


def needs_explaining(cell: Cell) -> bool:
    """The one gate for diagnosis: every judged cell but a clean, expected allow.

    An unexpected allow is explained too (an entitlement leak deserves the first line of a report),
    and so is an expected refusal (the reader still wants to know why it is refused)."""
    if cell.judgement is None:
        return False
    return not (cell.outcome is Outcome.AS_EXPECTED and cell.judgement.verdict is Verdict.ENTITLED)


def worth_controls(cell: Cell) -> bool:
    """Controls cost requests on a live bill: only where they can change what a reader does, i.e.
    a broken contract or an answer that could not be read."""
    return needs_explaining(cell) and cell.outcome is not Outcome.AS_EXPECTED


def _expected_text(expectation: Expectation) -> str:
    status = f"status {expectation.status}" if expectation.status is not None else "any status"
    source = f"  [{expectation.source}]" if expectation.source else ""
    return f"{expectation.verdict.value} ({status}){source}"


def _got_text(judgement: Judgement, observation: Observation) -> str:
    status = observation.status if observation.status is not None else "no status"
    extra = []
    if judgement.parameter:
        extra.append(f"parameter `{judgement.parameter}`")
    if judgement.right_endpoint:
        extra.append(f"use {judgement.right_endpoint}")
    if observation.error:
        extra.append(f"error {observation.error}")
    if observation.tries > 1:
        extra.append(f"after {observation.tries} tries")
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"{judgement.verdict.value} ({status}){tail}"


def explain_mismatch(expectation: Expectation, judgement: Judgement, observation: Observation) -> str:
    """The failure message: expected, got, Deepgram's words, the request id; scrubbed of any secret."""
    outcome = outcome_for(expectation, judgement, observation.status)
    lines = [
        f"{outcome.value.replace('_', ' ')}: expected {_expected_text(expectation)}",
        f"  got:        {_got_text(judgement, observation)}",
        f"  why:        {judgement.reason}",
    ]
    if judgement.err_code or judgement.err_msg:
        message = f'"{judgement.err_msg}"' if judgement.err_msg else ""
        said = " ".join(p for p in (judgement.err_code, message) if p)
        lines.append(f"  Deepgram:   {said}")
    if observation.dg_error and observation.dg_error != judgement.err_msg:
        lines.append(f"  dg-error:   {observation.dg_error}")
    if observation.close_code is not None:
        lines.append(f"  close:      {observation.close_code} {observation.close_reason or ''}".rstrip())
    lines.append(f"  request id: {observation.request_id or '(none returned)'}")
    if observation.request is not None:
        auth = observation.request.auth_scheme or "no credentials"
        lines.append(f"  request:    {observation.request.method} {observation.request.url} (auth: {auth})")
    if observation.at:
        lines.append(f"  at:         {observation.at}")
    return scrub("\n".join(lines))
