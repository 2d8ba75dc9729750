"""`dg-entitlements history`: per account, when each entitlement was gained or lost, with request ids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dg_entitlements.errors import ConfigError
from dg_entitlements.model import ComboInfo, Outcome, RunResult, Verdict
from dg_entitlements.report.history import changes, cmd_history, load_runs
from dg_entitlements.report.json import write_json
from dg_entitlements.report.sample import cell, rid, sample_run

A = "payg-full"


def _run(at: str, flux: Verdict, n: int, trap: Verdict = Verdict.NOT_ENTITLED) -> RunResult:
    flux_status = 101 if flux is Verdict.ENTITLED else 403
    cells = (
        cell(A, "listen-v2-ws", "flux-general-en", Outcome.AS_EXPECTED, flux, flux_status, n=n, expect=flux),
        cell(A, "listen-v1-rest", "nova-3", Outcome.AS_EXPECTED, Verdict.ENTITLED, 200, n=n + 1),
        cell(A, "listen-v1-rest", "nova-3-genral", Outcome.AS_EXPECTED, trap, 403, n=n + 2, expect=trap),
    )
    combos = {
        "listen-v1-rest::nova-3-genral": ComboInfo("listen-v1-rest", "nova-3-genral", "misspelled", (), True),
    }
    return dataclasses.replace(sample_run(), started_at=at, cells=cells, drift=(), combos=combos)


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    folder = tmp_path / "runs"
    # Written in an order that is not the time order: the history must sort by start time.
    write_json(_run("2026-11-03T03:00:00Z", Verdict.NOT_ENTITLED, 30, trap=Verdict.ENTITLED), folder / "a.json")
    write_json(_run("2026-11-01T03:00:00Z", Verdict.ENTITLED, 10), folder / "b.json")
    write_json(_run("2026-11-02T03:00:00Z", Verdict.NOT_ENTITLED, 20), folder / "c.json")
    return folder


def test_a_lost_entitlement_is_dated_with_both_request_ids(runs: Path) -> None:
    found = changes(load_runs([str(runs)]))
    assert [(c.at, c.combo_id, c.change) for c in found] == [
        ("2026-11-02T03:00:00Z", "listen-v2-ws::flux-general-en", "lost"),
    ]  # nova-3 never changed; the trap row changed but says nothing about the account
    assert found[0].request_id == rid(20) and found[0].before_request_id == rid(10)


def test_cmd_history_writes_the_timeline_page(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h" / "history.html"
    assert cmd_history([str(runs / "a.json"), str(runs / "c.json"), str(runs / "b.json"), "-o", str(out)]) == 0
    html = out.read_text()
    assert str(out) in capsys.readouterr().out
    assert 'data-account="payg-full"' in html and "LOST" in html and rid(20) in html
    assert html.index("2026-11-01T03:00:00Z") < html.index("2026-11-03T03:00:00Z")  # runs listed oldest first
    assert "nova-3-genral" not in html.split("Runs read")[0]


@pytest.mark.parametrize("bad", ["missing.json", "empty-dir", "not-json.json"])
def test_bad_input_is_one_config_error(bad: str, tmp_path: Path) -> None:
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "not-json.json").write_text("{")
    with pytest.raises(ConfigError) as info:
        cmd_history([str(tmp_path / bad), "-o", str(tmp_path / "out.html")])
    assert str(tmp_path / bad) in str(info.value) and "\n" not in str(info.value)
