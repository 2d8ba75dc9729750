"""What the proxy leaves behind: the JSON log, the suite's report, and cassettes the suite can read and replay.

None of it may carry a credential the app sent, in any form (header, subprotocol, URL).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from dg_entitlements import engine
from dg_entitlements.cassette.http import read_http_cassette
from dg_entitlements.cassette.ws import load_ws
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.defaults import FAKE_ACCOUNTS, FAKE_CONFIG
from dg_entitlements.fake.config import load_fake_config
from dg_entitlements.model import Cell, Outcome, RunResult, Verdict
from dg_entitlements.proxy.server import ProxyServer
from dg_entitlements.proxy.settings import ProxySettings
from dg_entitlements.report.json import read_json

from .conftest import PROBE_WAV, ROOT, bounded


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A finished proxy session: one good upload, one stream, one refused Flux handshake, one key in a URL."""
    tmp = tmp_path_factory.mktemp("outputs")
    keys = {a.alias: a.key for a in load_fake_config(FAKE_CONFIG).accounts}
    settings = ProxySettings(port=0, upstream="fake", report_dir=tmp / "reports", record=tmp / "cassettes",
                             json_log=tmp / "log.jsonl")
    with ProxyServer(settings, out=None) as proxy, httpx.Client(timeout=10, trust_env=False) as http:
        ok = http.post(f"{proxy.http_url}/v1/listen?model=nova-3", content=PROBE_WAV.read_bytes(),
                       headers={"Authorization": f"Token {keys['payg-full']}", "Content-Type": "audio/wav"})
        assert ok.status_code == 200
        grant = http.post(f"{proxy.http_url}/v1/auth/grant", headers={"Authorization": f"Token {keys['payg-full']}"})
        assert grant.status_code == 200
        keys["jwt"] = grant.json()["access_token"]

        def stream() -> None:
            with connect(f"{proxy.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000",
                         additional_headers={"Authorization": f"Token {keys['payg-full']}"}, proxy=None) as ws:
                ws.send(b"\x00" * 3200)
                ws.send(json.dumps({"type": "CloseStream"}))
                list(ws)

        def refused() -> None:
            with connect(f"{proxy.ws_url}/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000",
                         additional_headers={"Authorization": f"Token {keys['payg-no-flux']}"}, proxy=None):
                pass

        def in_url() -> None:
            with connect(f"{proxy.ws_url}/v2/listen?model=flux-general-en&token={keys['payg-full']}", proxy=None):
                pass

        bounded(stream)
        for attempt in (refused, in_url):
            with pytest.raises(InvalidStatus):
                bounded(attempt)
    return tmp, keys


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_credential_in_any_file(session_dir: tuple[Path, dict[str, str]]) -> None:
    tmp, keys = session_dir
    text = _all_text(tmp)
    assert "flux-general-en" in text  # the files are there and readable
    for secret in (keys["payg-full"], keys["payg-no-flux"], keys["jwt"]):
        assert secret not in text


def test_json_log_has_one_cell_per_exchange(session_dir: tuple[Path, dict[str, str]]) -> None:
    tmp, _ = session_dir
    cells = [json.loads(line) for line in (tmp / "log.jsonl").read_text().splitlines()]
    assert len(cells) == 5
    refused = [c for c in cells if c["surface"] == "listen-v2-ws" and c["observation"]["status"] == 403]
    assert refused and refused[0]["judgement"]["verdict"] == "not_entitled"
    assert refused[0]["diagnosis"]["cause"] == "not_entitled"
    assert refused[0]["observation"]["request_id"]


def test_report_is_the_suites_run_result(session_dir: tuple[Path, dict[str, str]]) -> None:
    tmp, _ = session_dir
    run = read_json(tmp / "reports" / "proxy.json")
    assert run.mode == "proxy" and len(run.cells) == 5
    verdicts = sorted(c.judgement.verdict.value for c in run.cells if c.judgement)
    assert verdicts.count(Verdict.ENTITLED.value) == 3
    assert sum(c.outcome is Outcome.UNEXPECTED_DENY for c in run.cells) == 2
    html = (tmp / "reports" / "proxy.html").read_text()
    assert "<html" in html.lower() and "flux-general-en" in html


def test_cassettes_read_back_with_the_suites_readers(session_dir: tuple[Path, dict[str, str]]) -> None:
    tmp, _ = session_dir
    ws_files = sorted((tmp / "cassettes").rglob("ws.json"))
    streams = {key: s for f in ws_files for key, s in load_ws(f)[1].items()}
    statuses = sorted(str(s.status) for s in streams.values())
    assert statuses.count("101") == 1 and "403" in statuses
    accepted = next(s for s in streams.values() if s.status == 101)
    assert accepted.close_code == 1000 and any(f.get("kind") == "text" for f in accepted.frames)
    http_files = sorted((tmp / "cassettes").rglob("http.yaml"))
    requests, responses = read_http_cassette(http_files[0])
    by_path = {r.path: resp for r, resp in zip(requests, responses, strict=True)}
    assert by_path["/v1/listen"]["status"]["code"] == 200
    assert json.loads(by_path["/v1/listen"]["body"]["string"])["metadata"]["duration"] == pytest.approx(1.0)
    assert all(r.headers["Authorization"].startswith("alias:") for r in requests)
    assert all((f.parent / "meta.json").is_file() for f in ws_files + http_files)


# The suite's own requests, REST and WebSocket, accepted and refused, keyed and (models list) keyless.
REPLAYED = [("payg-full", "listen-v1-rest::nova-3"), ("payg-full", "listen-v1-ws::nova-3"),
            ("payg-full", "speak-v1-rest::aura-2-thalia-en"), ("payg-no-flux", "listen-v2-ws::flux-general-en"),
            ("no-credits", "listen-v1-rest::nova-3"), ("payg-full", "models-v1::list")]


def _suite(pairs: list[tuple[str, str]], **options: Any) -> RunResult:
    return engine.run(load(SuiteOptions(root=str(ROOT), **options)), pairs)


def _answer(cell: Cell) -> dict[str, Any]:
    """What a replay must reproduce exactly: everything but timings."""
    obs = cell.observation
    assert obs is not None
    return {"id": cell.test_id, "outcome": cell.outcome, "verdict": cell.judgement and cell.judgement.verdict,
            "status": obs.status, "headers": obs.headers, "body": obs.body, "error": obs.error,
            "frames": [(f.kind, f.data, f.size) for f in obs.frames],
            "close": (obs.close_code, obs.close_reason, obs.closed_by)}


def test_a_replay_run_serves_what_the_proxy_recorded(tmp_path: Path) -> None:
    """The suite's requests go through the proxy (`--record DIR --accounts accounts.toml`), then the suite
    runs `--dg-mode replay` from DIR: every cell gets the answer it got through the proxy."""
    cassettes = tmp_path / "cassettes"
    settings = ProxySettings(port=0, upstream="fake", record=cassettes, accounts=FAKE_ACCOUNTS, report_dir=None)
    with ProxyServer(settings, out=None) as proxy:
        through = _suite(REPLAYED, mode="live", base_url=proxy.http_url, accounts=str(FAKE_ACCOUNTS))
    assert sorted(p.name for p in cassettes.iterdir()) == ["no-credits", "payg-full", "payg-no-flux"]
    replayed = _suite(REPLAYED, mode="replay", cassettes=str(cassettes))
    assert replayed.mode == "replay"
    assert all(c.outcome is Outcome.AS_EXPECTED for c in through.cells)
    assert [_answer(c) for c in replayed.cells] == [_answer(c) for c in through.cells]
