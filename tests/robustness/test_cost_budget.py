"""Issue 6 item 4: every probe says what it would cost on a real bill, the run adds it up, and a
budget keeps a live run from spending more than it was given.

Why this matters: a live run is real requests, audio seconds and characters on the user's account.
The numbers must be the ones actually sent (retries included), and a probe past the budget must not
be sent at all, and must say so instead of vanishing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dg_entitlements.budget import Budget
from dg_entitlements.config import SuiteOptions
from dg_entitlements.model import Cost, Outcome
from dg_entitlements.probe.request import build_request
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.probe.target import LIVE_TARGET
from dg_entitlements.report.json import read_json, run_to_dict, write_json
from e2e.helpers import cli

from .kit import CATALOGUE, Cells, fake_server, plan_for, run_bounded, target_of

REST = "listen-v1-rest::nova-3"
TTS = "speak-v1-rest::aura-2-thalia-en"
WS = "listen-v1-ws::nova-3"
THREE_TRIES = RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.01, max_probe_s=10.0, max_run_retry_s=5.0)


def test_every_probe_accounts_its_cost_and_the_run_adds_it_up(tmp_path: Path) -> None:
    """One second of audio per STT try, the text length per TTS try, nothing but a request per stream."""
    with fake_server({"ok": {}, "limited": {"faults": {"rate_limit": True, "retry_after_s": 0.01}}}) as server:
        target = target_of(server)
        pairs = [(a, c) for a in ("ok", "limited") for c in (REST, TTS, WS)]
        result = run_bounded(plan_for(pairs, {"ok": target, "limited": target}, retry=THREE_TRIES))
    cells = Cells(result)
    chars = len(CATALOGUE.by_id()[TTS].json_body["text"])
    for alias, tries in (("ok", 1), ("limited", 3)):
        costs = {c: cells(alias, c).observation.cost for c in (REST, TTS, WS)}  # type: ignore[union-attr]
        assert costs == {REST: Cost(tries, 1.0 * tries, 0), TTS: Cost(tries, 0.0, chars * tries),
                         WS: Cost(tries, 0.0, 0)}, alias
    assert result.cost == Cost(4 * 3, 4.0, 4 * chars)
    data = run_to_dict(result)
    assert data["cost"] == {"requests": 12, "audio_seconds": 4.0, "characters": 4 * chars}
    assert [c["observation"]["cost"]["requests"] for c in data["cells"]] == [1, 1, 1, 3, 3, 3]
    assert read_json(write_json(result, tmp_path / "run.json")).cost == result.cost


def test_live_defaults_stay_minimal() -> None:
    """What a live probe sends: ~1 s of audio, a few characters, handshake-only streams (no audio)."""
    for combo in CATALOGUE.combos:
        req = build_request(combo, LIVE_TARGET, project_id="7d1c0a52-fa4e-4c3b-9e51-000000000001")
        assert req.cost.requests == 1, combo.id
        if combo.surface.transport == "ws":
            assert req.body == b"" and req.cost.audio_seconds == 0.0, combo.id
            assert all(isinstance(m, dict) for m in req.send), combo.id  # JSON control messages, never audio
            assert not any("audio" in str(m.get("type", "")).lower() and "data" in m for m in req.send), combo.id
        elif combo.surface.body == "audio":
            assert 0.5 <= req.cost.audio_seconds <= 1.5 and len(req.body) <= 64_000, combo.id
        if combo.surface.family.startswith("tts"):
            assert req.cost.characters <= 20, combo.id
    assert SuiteOptions(mode="live").effective_concurrency <= 4  # low by default on a real account
    assert SuiteOptions(mode="live", concurrency=2).effective_concurrency == 2


def test_budget_through_the_cli_skips_the_rest_and_says_so(tmp_path: Path) -> None:
    """`--dg-budget requests=5`: at most five requests, every other cell skipped for budget, visibly."""
    proc = cli("check", "--dg-budget", "requests=5", "--dg-report-dir", str(tmp_path), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    run = read_json(tmp_path / "entitlements.json")
    assert run.complete and run.cost.requests <= 5
    probed = [c for c in run.cells if c.observation is not None]
    skipped = [c for c in run.cells if c.outcome is Outcome.SKIPPED]
    assert probed and len(probed) + len(skipped) == len(run.cells)
    assert all(c.skipped_reason and "budget" in c.skipped_reason for c in skipped)
    assert sum(c.observation.cost.requests for c in probed if c.observation) <= 5
    html = (tmp_path / "entitlements.html").read_text(encoding="utf-8")
    assert "skipped for budget" in html
    assert f"{len(skipped)} skipped" in proc.stdout or "skipped" in proc.stdout
    assert "Cost: " in proc.stdout


@pytest.mark.parametrize("requests", [1, 3])
def test_control_probes_stay_within_the_budget(requests: int) -> None:
    """A denial triggers control probes; they are requests on the bill too, so the cap holds for them."""
    with fake_server({"denied": {"denied_models": ["nova-3"]}}) as server:
        plan = plan_for([("denied", REST), ("denied", TTS)], {"denied": target_of(server)}, controls=True,
                        budget=Budget(requests=requests))
        result = run_bounded(plan)
    sent = result.cost.requests
    assert sent <= requests, f"budget requests={requests} but the run sent {sent}"
    assert Cells(result)("denied", REST).observation is not None  # the first probe itself fits and is sent


@pytest.mark.parametrize("requests", [1, 2])
def test_retries_stay_within_the_budget(requests: int) -> None:
    """A retry is a request on the bill: with an always-429 account, the cap holds for the retries too."""
    with fake_server({"limited": {"faults": {"rate_limit": True, "retry_after_s": 0.01}}}) as server:
        plan = plan_for([("limited", REST)], {"limited": target_of(server)}, budget=Budget(requests=requests))
        result = run_bounded(plan)
    cell = Cells(result)("limited", REST)
    assert cell.observation is not None and cell.observation.tries == requests
    assert result.cost.requests == requests
