"""Record from the fake, stop it, replay: the same answers, for the right account, from clean cassettes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dg_entitlements.cassette import matching
from dg_entitlements.model import Outcome, Verdict
from dg_entitlements.report.json import read_json

from .helpers import ROOT, cli, comparable, run_suite

CROSS = [
    ("payg-full", "listen-v1-rest::nova-3"),
    ("no-credits", "listen-v1-rest::nova-3"),
    ("payg-full", "listen-v1-ws::nova-3"),
    ("no-credits", "listen-v1-ws::nova-3"),
    ("payg-full", "listen-v2-ws::flux-general-en"),
    ("payg-no-flux", "listen-v2-ws::flux-general-en"),
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    cassettes = tmp_path_factory.mktemp("cassettes")
    result = run_suite(mode="fake", record=True, cassettes=str(cassettes))
    return cassettes, result


def test_replay_equals_recording_except_timings(recorded: tuple[Path, object]) -> None:
    cassettes, original = recorded
    replayed = run_suite(mode="replay", cassettes=str(cassettes))
    assert replayed.mode == "replay" and replayed.cassettes["recorded_at"]
    before = [comparable(c) for c in original.cells]  # type: ignore[attr-defined]
    after = [comparable(c) for c in replayed.cells]
    assert len(before) >= 120
    for b, a in zip(before, after, strict=True):
        assert b == a, b["test_id"]


def test_each_account_replays_its_own_answers(recorded: tuple[Path, object]) -> None:
    cassettes, _ = recorded
    result = run_suite(pairs=CROSS, mode="replay", cassettes=str(cassettes))
    statuses = {c.test_id: c.observation.status for c in result.cells if c.observation}
    assert statuses == {
        "payg-full::listen-v1-rest::nova-3": 200,
        "no-credits::listen-v1-rest::nova-3": 402,
        "payg-full::listen-v1-ws::nova-3": 101,
        "no-credits::listen-v1-ws::nova-3": 402,
        "payg-full::listen-v2-ws::flux-general-en": 101,
        "payg-no-flux::listen-v2-ws::flux-general-en": 403,
    }


def test_without_alias_matching_accounts_replay_each_others_answers(
    recorded: tuple[Path, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vcrpy pitfall, shown: the guard above is what keeps accounts apart."""
    cassettes, _ = recorded
    monkeypatch.setattr(matching, "MATCH_ON", ("request",))
    result = run_suite(pairs=CROSS[:2], mode="replay", cassettes=str(cassettes))
    statuses = [c.observation.status for c in result.cells if c.observation]
    assert statuses[0] == statuses[1], "without the alias matcher both accounts get the same recorded answer"


def test_cassettes_hold_no_key_and_no_token(recorded: tuple[Path, object]) -> None:
    cassettes, _ = recorded
    keys = [
        line.split('"')[1]
        for line in (ROOT / "src/dg_entitlements/data/accounts-fake.toml").read_text().splitlines()
        if line.startswith("key = ")
    ]
    assert len(keys) == 3
    files = [p for p in cassettes.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"http.yaml", "ws.json", "meta.json"}
    for path in files:
        text = path.read_text()
        for key in keys:
            assert key not in text, f"{key} leaked into {path.name}"
        assert "access_token: '[redacted]'" in text or "access_token" not in text or '"[redacted]"' in text
        assert "eyJ" not in text, path
    http_text = (cassettes / "payg-full" / "http.yaml").read_text()
    assert "alias:payg-full" in http_text


def test_ws_cassette_format_is_documented_shape(recorded: tuple[Path, object]) -> None:
    cassettes, _ = recorded
    data = json.loads((cassettes / "payg-full" / "ws.json").read_text())
    assert data["schema"] == 1 and set(data["meta"]) >= {"recorded_at", "host", "tool_version", "account"}
    flux = next(s for s in data["streams"] if s["path"] == "/v2/listen" and "flux-general-en&" in s["query"])
    assert flux["handshake"]["status"] == 101 and flux["frames"][0]["data"]["type"] == "Connected"
    assert set(flux["handshake"]["headers"]) <= {
        "dg-request-id",
        "dg-error",
        "dg-project-id",
        "dg-model-name",
        "dg-model-uuid",
        "dg-char-count",
        "dg-additional-model-uuids",
        "content-type",
        "retry-after",
        "sec-websocket-protocol",
        "request-id",
        "x-dg-request-id",
        "content-length",
    }


def _replay_cli(cassettes: Path, *extra: str) -> tuple[int, str]:
    proc = cli(
        "check",
        "--dg-mode",
        "replay",
        "--dg-cassettes",
        str(cassettes),
        "--dg-report-dir",
        str(cassettes.parent / "reports"),
        *extra,
        timeout=120,
    )
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def test_missing_cassette_is_one_clear_line(recorded: tuple[Path, object], tmp_path: Path) -> None:
    cassettes, _ = recorded
    broken = tmp_path / "cassettes"
    shutil.copytree(cassettes, broken)
    ws = json.loads((broken / "payg-full" / "ws.json").read_text())
    ws["streams"] = [s for s in ws["streams"] if s["path"] != "/v2/listen"]
    (broken / "payg-full" / "ws.json").write_text(json.dumps(ws))
    code, out = _replay_cli(broken)
    assert code == 2
    assert out.count("\n") == 0, out
    assert "payg-full::listen-v2-ws::flux-general-en" in out and "ws.json" in out and "make record" in out


@pytest.mark.parametrize("target", ["http.yaml", "ws.json", "meta.json"])
def test_corrupt_cassette_names_the_file(recorded: tuple[Path, object], tmp_path: Path, target: str) -> None:
    cassettes, _ = recorded
    broken = tmp_path / "cassettes"
    shutil.copytree(cassettes, broken)
    (broken / "no-credits" / target).write_text(
        "interactions: [ {{{ not: valid\n" if target.endswith("yaml") else "{ not json"
    )
    code, out = _replay_cli(broken)
    assert code == 2 and out.count("\n") == 0, out
    assert f"no-credits/{target}" in out and "corrupt" in out and "Traceback" not in out


def test_unknown_account_alias_is_one_clear_line(recorded: tuple[Path, object], tmp_path: Path) -> None:
    cassettes, _ = recorded
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[accounts.staging]\nkey_env = "DG_STAGING_KEY"\n')
    code, out = _replay_cli(cassettes, "--dg-accounts", str(accounts))
    assert code == 2 and out.count("\n") == 0, out
    assert "staging" in out and "make record" in out


def test_committed_cassettes_replay_as_expected() -> None:
    """The shipped cassette set (recorded from the fake) replays with every cell as expected."""
    result = run_suite(mode="replay")
    assert len(result.cells) >= 120
    bad = [c.test_id for c in result.cells if c.outcome is not Outcome.AS_EXPECTED]
    assert not bad
    assert any(c.judgement and c.judgement.verdict is Verdict.WRONG_ENDPOINT for c in result.cells)


def test_contract_suite_in_replay_mode_through_the_cli(tmp_path: Path) -> None:
    """`make test` runs the product itself in replay mode too, from the committed cassettes."""
    proc = cli("check", "--dg-mode", "replay", "--dg-report-dir", str(tmp_path), timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "123 passed" in proc.stdout and "mode replay" in proc.stdout
    assert read_json(tmp_path / "entitlements.json").cassettes["recorded_at"]


def test_project_ids_can_be_aliased_in_cassettes(tmp_path: Path) -> None:
    """With --dg-alias-project-ids no real project id is stored, and replay still matches every request."""
    from dg_entitlements.cassette.aliases import project_alias

    cassettes = tmp_path / "cassettes"
    pairs = [("payg-full", c) for c in ("projects-v1::list", "project-models-v1::list", "project-keys-v1::list",
                                         "listen-v1-ws::nova-3", "speak-v1-rest::aura-2-thalia-en")]
    recorded = run_suite(pairs=pairs, mode="fake", record=True, cassettes=str(cassettes), alias_project_ids=True)
    real = recorded.accounts[0].project_id
    assert real == "7d1c0a52-fa4e-4c3b-9e51-000000000001"
    for path in cassettes.rglob("*"):
        if path.is_file():
            assert real not in path.read_text(), path.name
    replayed = run_suite(pairs=pairs, mode="replay", cassettes=str(cassettes))
    assert all(c.outcome is Outcome.AS_EXPECTED for c in replayed.cells)
    assert replayed.accounts[0].project_id == project_alias("payg-full", real)
