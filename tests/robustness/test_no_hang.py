"""Issue 6 item 2: nothing hangs. A route that never answers, a handshake that stalls half-way and a
server that never closes each end as an inconclusive TIMEOUT within the configured bound, and the
run goes on with the other cells.

Asserted on recorded facts (error kind, verdict, that the run completed and the healthy cell was
judged), never on wall time; `run_bounded` only turns a regression into a failure instead of a hang.
"""

from __future__ import annotations

from dg_entitlements.model import Outcome, Verdict
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.probe.target import Target

from .kit import Cells, fake_server, plan_for, run_bounded, target_of
from .stall import HALF_HTTP, HALF_UPGRADE, stalling_server

REST = "listen-v1-rest::nova-3"
WS = "listen-v1-ws::nova-3"
FLUX = "listen-v2-ws::flux-general-en"
TWO_TRIES = RetryPolicy(max_tries=2, base_delay_s=0.01, max_delay_s=0.01, max_probe_s=10.0, max_run_retry_s=5.0)


def _raw(port: int) -> Target:
    return Target(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")


def test_every_stall_ends_in_an_inconclusive_timeout_and_the_run_goes_on() -> None:
    with fake_server({"silent": {"faults": {"never_answer": ["/v1/listen", "/v2/listen"]}},
                      "noclose": {"faults": {"slow_close_ms": 600_000}},
                      "healthy": {}}) as fake, \
            stalling_server() as mute, stalling_server(HALF_HTTP) as half_http, \
            stalling_server(HALF_UPGRADE) as half_ws:
        targets = {"silent": target_of(fake), "noclose": target_of(fake), "healthy": target_of(fake),
                   "mute": _raw(mute), "halfhttp": _raw(half_http), "halfws": _raw(half_ws)}
        pairs = [("silent", REST), ("silent", WS), ("silent", FLUX), ("noclose", WS), ("noclose", FLUX),
                 ("mute", REST), ("mute", WS), ("halfhttp", REST), ("halfws", WS), ("healthy", REST),
                 ("healthy", WS)]
        cells = Cells(run_bounded(plan_for(pairs, targets, retry=TWO_TRIES)))
    assert cells.result.complete
    expected_error = {
        ("silent", REST): "timeout:read", ("silent", WS): "timeout:handshake", ("silent", FLUX): "timeout:handshake",
        ("noclose", WS): "timeout:close", ("noclose", FLUX): "timeout:close",
        ("mute", REST): "timeout:read", ("mute", WS): "timeout:handshake",
        ("halfhttp", REST): "timeout:read", ("halfws", WS): "timeout:handshake",
    }
    for (alias, combo), error in expected_error.items():
        cell = cells(alias, combo)
        obs = cell.observation
        assert obs is not None and cell.judgement is not None, cell.test_id
        assert obs.error == error, (cell.test_id, obs.error, obs.error_detail)
        assert [a.error for a in obs.attempts] == [error, error], cell.test_id  # a timeout is transient: retried
        assert cell.judgement.verdict is Verdict.TIMEOUT, (cell.test_id, cell.judgement)
        assert cell.outcome is Outcome.INCONCLUSIVE, cell.test_id
    for combo in (REST, WS):
        healthy = cells("healthy", combo)
        assert healthy.judgement is not None and healthy.judgement.verdict is Verdict.ENTITLED
        assert healthy.outcome is Outcome.AS_EXPECTED
