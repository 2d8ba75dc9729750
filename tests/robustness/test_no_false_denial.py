"""Issue 6 item 3: no fault the fake can inject ever reads as a denial.

Every account here is entitled to every model, so any denial verdict would be a false alarm in a
nightly check, the thing that gets a suite switched off. Each fault runs on REST and on streaming
surfaces, with controls and diagnosis on (they must not turn a fault into "not entitled" either),
and the run must complete.
"""

from __future__ import annotations

from typing import Any

from dg_entitlements.model import Outcome, Verdict

from .kit import CATALOGUE, DENIALS, Cells, fake_server, plan_for, run_bounded, target_of

# fault account -> (its faults, the verdict every probe of it must get; None: any non-denial)
FAULTS: dict[str, tuple[dict[str, Any], Verdict | None]] = {
    "latency-small": ({"latency_ms": 50}, Verdict.ENTITLED),
    "latency-over-bound": ({"latency_ms": 1500}, Verdict.TIMEOUT),
    "5xx-500": ({"error_rate_5xx": 1.0, "status_5xx": 500}, Verdict.SERVER_ERROR),
    "5xx-502": ({"error_rate_5xx": 1.0, "status_5xx": 502}, Verdict.SERVER_ERROR),
    "5xx-503": ({"error_rate_5xx": 1.0, "status_5xx": 503}, Verdict.SERVER_ERROR),
    "5xx-504": ({"error_rate_5xx": 1.0, "status_5xx": 504}, Verdict.SERVER_ERROR),
    "5xx-half": ({"error_rate_5xx": 0.5}, None),
    "reset": ({"reset_handshake": True}, Verdict.NETWORK_ERROR),
    "stall": ({"never_answer": ["/v1/*", "/v2/*"]}, Verdict.TIMEOUT),
    "slow-close": ({"slow_close_ms": 600_000}, None),  # REST: entitled; streams: timeout on close
    "malformed-5xx": ({"malformed_error_body": True, "error_rate_5xx": 1.0}, Verdict.SERVER_ERROR),
    "malformed-429": ({"malformed_error_body": True, "rate_limit": True}, Verdict.RATE_LIMITED),
    "text-5xx": ({"plain_text_errors": True, "error_rate_5xx": 1.0}, Verdict.SERVER_ERROR),
    "text-429": ({"plain_text_errors": True, "rate_limit": True, "retry_after_s": 0.01}, Verdict.RATE_LIMITED),
    "429-retry-after": ({"rate_limit": True, "retry_after_s": 0.01}, Verdict.RATE_LIMITED),
    "429-bare": ({"rate_limit": True}, Verdict.RATE_LIMITED),
}
COMBOS = ("listen-v1-rest::nova-3", "listen-v1-ws::nova-3", "listen-v2-ws::flux-general-en",
          "speak-v1-rest::aura-2-thalia-en", "speak-v1-ws::aura-2-thalia-en", "agent-v1-ws::converse")
NOT_DENIALS = {Verdict.ENTITLED, Verdict.RATE_LIMITED, Verdict.SERVER_ERROR, Verdict.TIMEOUT, Verdict.NETWORK_ERROR,
               Verdict.UNRECOGNISED}


def test_no_fault_is_ever_read_as_a_denial() -> None:
    with fake_server({alias: {"faults": faults} for alias, (faults, _) in FAULTS.items()}) as server:
        target = target_of(server)
        pairs = [(alias, combo) for alias in FAULTS for combo in COMBOS]
        cells = Cells(run_bounded(plan_for(pairs, dict.fromkeys(FAULTS, target), controls=True, concurrency=32)))
    assert cells.result.complete and len(cells.result.cells) == len(pairs)
    wrong = []
    for alias, combo in pairs:
        cell = cells(alias, combo)
        verdict = cell.judgement.verdict if cell.judgement else None
        want = FAULTS[alias][1]
        ok = (verdict in NOT_DENIALS and verdict not in DENIALS and (want is None or verdict is want)
              and cell.outcome in (Outcome.AS_EXPECTED, Outcome.INCONCLUSIVE)
              and (cell.diagnosis is None or not cell.diagnosis.is_entitlement))
        if not ok:
            obs = cell.observation
            wrong.append((cell.test_id, verdict, cell.outcome, obs and obs.status, obs and obs.error,
                          cell.diagnosis and cell.diagnosis.cause))
    assert not wrong, "\n".join(map(str, wrong))
    for combo in COMBOS:  # a stream we asked to close that never closes is a timeout; REST is unaffected
        judgement = cells("slow-close", combo).judgement
        waits_for_close = CATALOGUE.by_id()[combo].surface.close_message is not None
        assert judgement is not None
        assert judgement.verdict is (Verdict.TIMEOUT if waits_for_close else Verdict.ENTITLED), combo
