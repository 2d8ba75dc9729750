"""The engine's own decisions, through a real run against the embedded fake: the one gate for
diagnosis, the one cost ledger, the run status, the events, and discovery only when needed."""

from __future__ import annotations

from pathlib import Path

from dg_entitlements import engine
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.model import Cost, Outcome, RunResult

ACCOUNTS = """schema = 1
[accounts.payg-full]
key = "dgfake-payg-full-k1"
default = "entitled"
[accounts.payg-full.expect]
"listen-v1-rest::whisper-medium" = { status = 403, verdict = "not_entitled" }
"listen-v1-rest::nova-3" = { status = 403, verdict = "not_entitled" }
"""


def run(tmp_path: Path, pairs: list[tuple[str, str]], accounts: str = ACCOUNTS,
        handlers: list[engine.Handler] | None = None) -> RunResult:
    path = tmp_path / "accounts.toml"
    path.write_text(accounts)
    loaded = load(SuiteOptions(mode="fake", accounts=str(path), root=str(tmp_path)))
    return engine.run(loaded, pairs, handlers or [])


def test_an_unexpected_allow_is_diagnosed_as_an_entitlement_leak(tmp_path: Path) -> None:
    """The account is entitled to Whisper although its profile says it must not be: that leak is the
    first thing a reader must see, with a diagnosis (three gates used to disagree and drop it)."""
    result = run(tmp_path, [("payg-full", "listen-v1-rest::whisper-medium")])
    cell = result.cells[0]
    assert cell.outcome is Outcome.UNEXPECTED_ALLOW
    assert cell.diagnosis is not None and cell.diagnosis.cause == "unexpected_allow"
    assert result.status == "broken" and "unexpected allow" in result.headline


def test_the_reported_cost_includes_every_probe_the_run_sent(tmp_path: Path) -> None:
    """Control probes send audio too: the report's cost is the ledger of every observation."""
    accounts = 'schema = 1\n[accounts.payg-no-flux]\nkey = "dgfake-payg-no-flux-k1"\ndefault = "entitled"\n'
    result = run(tmp_path, [("payg-no-flux", "listen-v1-rest::whisper-medium")], accounts)
    cell = result.cells[0]
    assert cell.outcome is Outcome.UNEXPECTED_DENY
    assert cell.observation is not None and cell.diagnosis is not None
    controls = cell.diagnosis.controls
    assert controls, "an unexpected denial on a REST model gets controls"
    evidence = 2  # the public and the project model lists (not-entitled vs no-such-model), plus discovery
    assert result.cost.requests == cell.observation.cost.requests + len(controls) + evidence + 1
    # each control on POST /v1/listen sends the probe audio: the cost is more than the cell's own audio
    assert result.cost.audio_seconds > cell.observation.cost.audio_seconds


def test_no_project_lookup_when_no_selected_cell_needs_it(tmp_path: Path) -> None:
    accounts = ACCOUNTS.split("[accounts.payg-full.expect]")[0]
    result = run(tmp_path, [("payg-full", "listen-v1-rest::nova-3")], accounts)
    assert result.cost == Cost(requests=1, audio_seconds=result.cells[0].observation.cost.audio_seconds)  # type: ignore[union-attr]
    assert result.status == "kept"


def test_events_come_in_order_and_count_every_cell(tmp_path: Path) -> None:
    events: list[engine.Event] = []
    pairs = [("payg-full", "listen-v1-rest::nova-3"), ("payg-full", "models-v1::list"),
             ("payg-full", "project-models-v1::list")]
    result = run(tmp_path, pairs, ACCOUNTS.split("[accounts.payg-full.expect]")[0], [events.append])
    assert isinstance(events[0], engine.RunStarted) and events[0].total == 3
    finished = [e for e in events if isinstance(e, engine.CellFinished)]
    assert [e.done for e in finished] == [1, 2, 3]
    assert isinstance(events[-1], engine.RunFinished) and events[-1].result == result
    assert result.combos["models-v1::list"].surface == "models-v1"
