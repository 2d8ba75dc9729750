"""Issue 6 item 1: transient answers are retried, visibly; answers about the account are not.

A nightly check that hides retries shows a flaky project as a clean pass; one that retries a 403
pays for the same denial three times. Each test reads the recorded attempts, never the wall clock.
"""

from __future__ import annotations

from dg_entitlements.model import Outcome, Verdict
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.report.html import render_matrix
from dg_entitlements.report.terminal import render_summary

from .kit import Cells, fake_server, plan_for, run_bounded, target_of

REST = "listen-v1-rest::nova-3"
WS = "listen-v1-ws::nova-3"
TTS = "speak-v1-rest::aura-2-thalia-en"


def test_every_nth_5xx_is_retried_and_the_cell_is_marked_retried() -> None:
    """error_rate_5xx = 0.5 fails exactly the 2nd, 4th, ... request: one cell gets [503, 200]."""
    policy = RetryPolicy(max_tries=3, base_delay_s=0.02, max_delay_s=0.02, max_probe_s=10.0, max_run_retry_s=10.0)
    with fake_server({"flaky": {"faults": {"error_rate_5xx": 0.5, "status_5xx": 503}}}) as server:
        plan = plan_for([("flaky", REST), ("flaky", TTS)], {"flaky": target_of(server)}, retry=policy, concurrency=1)
        result = run_bounded(plan)
    statuses = sorted([a.status for a in c.observation.attempts] for c in result.cells if c.observation)
    assert statuses == [[200], [503, 200]]
    retried = next(c for c in result.cells if c.retried)
    clean = next(c for c in result.cells if not c.retried)
    obs = retried.observation
    assert obs is not None and obs.tries == 2
    assert obs.attempts[0].waited_ms == 0.0
    assert 10.0 <= obs.attempts[1].waited_ms <= 20.0  # full jitter in [ceiling/2, ceiling], recorded
    assert retried.judgement is not None and retried.judgement.verdict is Verdict.ENTITLED
    assert retried.outcome is Outcome.AS_EXPECTED
    # Shown as retried, never as a clean pass: the HTML cell carries the mark, the terminal counts it.
    html = render_matrix(result)
    assert f'data-test-id="{retried.test_id}"' in html
    chunk = html.split(f'data-test-id="{retried.test_id}"', 1)[1].split("</details>", 1)[0]
    assert "↻2 tries" in chunk
    assert "↻" not in html.split(f'data-test-id="{clean.test_id}"', 1)[1].split("</details>", 1)[0]
    assert 'class="k-allow retried"' in html
    assert "1 as-expected cell(s) needed retries" in render_summary(result)


def test_429_with_retry_after_waits_exactly_the_capped_value() -> None:
    """Retry-After 0.05 s is honoured as is; Retry-After 5 s is capped at the policy's 0.03 s."""
    policy = RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.03, max_probe_s=10.0, max_run_retry_s=10.0)
    with fake_server({"short": {"faults": {"rate_limit": True, "retry_after_s": 0.02}},
                      "long": {"faults": {"rate_limit": True, "retry_after_s": 5.0}},
                      "none": {"faults": {"rate_limit": True}}}) as server:
        target = target_of(server)
        plan = plan_for([("short", REST), ("long", WS), ("none", TTS)],
                        {"short": target, "long": target, "none": target}, retry=policy)
        cells = Cells(run_bounded(plan))
    short, long_, none = cells("short", REST), cells("long", WS), cells("none", TTS)
    for cell in (short, long_, none):
        obs = cell.observation
        assert obs is not None and obs.tries == 3 and cell.retried
        assert [a.status for a in obs.attempts] == [429, 429, 429]
        assert cell.judgement is not None and cell.judgement.verdict is Verdict.RATE_LIMITED
        assert cell.outcome is Outcome.INCONCLUSIVE
        assert obs.cost.requests == 3  # every try is a request on the bill
    assert short.observation is not None and long_.observation is not None and none.observation is not None
    assert [a.retry_after_s for a in short.observation.attempts] == [0.02, 0.02, 0.02]
    assert [a.waited_ms for a in short.observation.attempts] == [0.0, 20.0, 20.0]
    assert [a.retry_after_s for a in long_.observation.attempts] == [5.0, 5.0, 5.0]
    assert [a.waited_ms for a in long_.observation.attempts] == [0.0, 30.0, 30.0]
    assert [a.retry_after_s for a in none.observation.attempts] == [None, None, None]
    waits = [a.waited_ms for a in none.observation.attempts]
    assert waits[0] == 0.0 and 5.0 <= waits[1] <= 10.0 and 10.0 <= waits[2] <= 20.0  # exponential, jittered
    # A retried inconclusive cell says so in the terminal summary and in the HTML.
    text = render_summary(cells.result)
    assert f"{short.test_id}" in text and "↻3 tries" in text
    assert "↻3 tries" in render_matrix(cells.result)


def test_answers_about_the_account_are_never_retried() -> None:
    """400, 401, 402 and 403 are Deepgram's answers: one try each, whatever the retry policy allows."""
    policy = RetryPolicy(max_tries=5, base_delay_s=0.01, max_delay_s=0.01, max_probe_s=10.0, max_run_retry_s=10.0)
    with fake_server({"broke": {"credits": 0.0},
                      "denied": {"denied_models": ["nova-3", "aura-2-*"]},
                      "full": {}}) as server:
        target = target_of(server)
        pairs = [("broke", REST), ("denied", REST), ("denied", TTS), ("denied", WS), ("nokey", REST),
                 ("full", "listen-v1-rest::flux-general-en")]
        plan = plan_for(pairs, dict.fromkeys(("broke", "denied", "full", "nokey"), target), retry=policy,
                        keys={"nokey": "dgfake-nobody-k1"})
        result = run_bounded(plan)
    statuses = {c.test_id: c.observation.status for c in result.cells if c.observation}
    assert sorted({s for s in statuses.values() if s is not None}) == [400, 401, 402, 403], statuses
    assert None not in statuses.values(), statuses
    for cell in result.cells:
        assert cell.observation is not None
        assert cell.observation.tries == 1 and not cell.retried, cell.test_id
        assert cell.observation.cost.requests == 1


def test_the_run_retry_budget_stops_retrying_when_spent() -> None:
    """Three always-429 probes, Retry-After 0.03 s, a run budget of 0.07 s: exactly two retries in all."""
    policy = RetryPolicy(max_tries=5, base_delay_s=0.03, max_delay_s=0.03, max_probe_s=10.0, max_run_retry_s=0.07)
    with fake_server({"limited": {"faults": {"rate_limit": True, "retry_after_s": 0.03}}}) as server:
        plan = plan_for([("limited", REST), ("limited", TTS), ("limited", WS)], {"limited": target_of(server)},
                        retry=policy, concurrency=1)
        result = run_bounded(plan)
    tries = [c.observation.tries for c in result.cells if c.observation]
    assert len(tries) == 3
    assert sum(tries) - len(tries) == 2, tries  # 15 tries without the budget
    assert result.cost.requests == sum(tries)


def test_the_per_probe_bound_stops_a_retry_that_would_overrun_it() -> None:
    """A Retry-After longer than what is left of the probe's own bound ends the probe at once."""
    policy = RetryPolicy(max_tries=5, base_delay_s=0.01, max_delay_s=8.0, max_probe_s=0.5, max_run_retry_s=10.0)
    with fake_server({"limited": {"faults": {"rate_limit": True, "retry_after_s": 3.0}}}) as server:
        result = run_bounded(plan_for([("limited", REST)], {"limited": target_of(server)}, retry=policy))
    obs = result.cells[0].observation
    assert obs is not None and obs.tries == 1 and obs.attempts[0].retry_after_s == 3.0
