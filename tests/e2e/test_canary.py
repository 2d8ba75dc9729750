"""The canary: run every mode with a canary key and a canary JWT, then look for them everywhere.

Reports (HTML, JSON, JUnit), cassettes, and every byte printed on stdout/stderr are searched for the
canary key, the canary JWT, any JWT-shaped or real-key-shaped string. The canary key is unique and
not shaped like a real key, so a hit can only be a leak.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dg_entitlements.defaults import FAKE_ACCOUNTS, FAKE_CONFIG
from dg_entitlements.fake.auth import mint_jwt
from dg_entitlements.fake.config import load_fake_config
from dg_entitlements.fake.server import FakeServer

from .helpers import ROOT, cli

CANARY_KEY = "dgcanary-Qz7Wv-LeakMe-93xK"
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")
REAL_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")


def _configs(tmp: Path) -> tuple[Path, Path, Path]:
    fake = tmp / "fake.toml"
    fake.write_text(FAKE_CONFIG.read_text().replace("dgfake-payg-full-k1", CANARY_KEY))
    accounts = tmp / "accounts.toml"
    accounts.write_text(FAKE_ACCOUNTS.read_text().replace("dgfake-payg-full-k1", CANARY_KEY))
    live_accounts = tmp / "live.toml"
    live_accounts.write_text('[accounts.payg-full]\nkey_env = "DG_CANARY_KEY"\n')
    return fake, accounts, live_accounts


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    tmp = tmp_path_factory.mktemp("canary")
    fake, accounts, live_accounts = _configs(tmp)
    outputs: list[str] = []

    def run(*args: str, env: dict[str, str] | None = None, expect: tuple[int, ...] = (0,)) -> None:
        proc = cli(*args, env=env, timeout=240)
        outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode in expect, proc.stdout[-3000:] + proc.stderr[-3000:]

    common = ["--dg-accounts", str(accounts), "--dg-fake-config", str(fake)]
    run("check", "--dg-mode", "fake", *common, "--dg-report-dir", str(tmp / "r-fake"), "--dg-record",
        "--dg-cassettes", str(tmp / "cassettes"))
    run("check", "--dg-mode", "replay", *common, "--dg-report-dir", str(tmp / "r-replay"),
        "--dg-cassettes", str(tmp / "cassettes"))
    with FakeServer(load_fake_config(fake)) as server:
        # Live mode code path (key from the environment), pointed at a loopback fake.
        run("check", "--dg-mode", "live", "--dg-base-url", server.http_url, "--dg-accounts", str(live_accounts),
            "--dg-report-dir", str(tmp / "r-live"), "-k", "listen or grant or keys", env={"DG_CANARY_KEY": CANARY_KEY})
        jwt = mint_jwt(server.state, server.state.keys[CANARY_KEY], ttl_s=300)
        run("explain", f"{server.ws_url}/v2/listen?model=flux-general-en&channels=1", "-H",
            f"Authorization: Bearer {jwt}", expect=(1,))
        run("explain", f"{server.ws_url}/v1/listen?model=nova-3", "-H", f"Authorization: Bearer {jwt}", expect=(0,))
        run("explain", f"{server.http_url}/v1/listen?model=nova-3&token={CANARY_KEY}", "--body",
            str(ROOT / "fixtures/audio/probe-1s.wav"), expect=(1,), env={"DEEPGRAM_API_KEY": ""})
        run("explain", f"{server.ws_url}/v1/listen?model=nova-3", expect=(0,), env={"DEEPGRAM_API_KEY": CANARY_KEY})
    return tmp, outputs, jwt


def test_canary_key_and_jwt_are_nowhere(canary_run: tuple[Path, list[str], str]) -> None:
    tmp, outputs, jwt = canary_run
    files = [p for p in tmp.rglob("*") if p.is_file() and p.suffix != ".toml"]
    names = {p.name for p in files}
    assert {"entitlements.html", "entitlements.json", "junit.xml", "http.yaml", "ws.json"} <= names
    texts = {str(p.relative_to(tmp)): p.read_text(errors="replace") for p in files}
    texts |= {f"output[{i}]": out for i, out in enumerate(outputs)}
    for where, text in texts.items():
        assert CANARY_KEY not in text, f"canary key leaked into {where}"
        assert jwt not in text and jwt.split(".")[2] not in text, f"canary JWT leaked into {where}"
        assert not JWT_SHAPE.search(text), f"a JWT-shaped string in {where}"
        assert not REAL_KEY.search(text), f"a real-key-shaped string in {where}"


def test_the_canary_runs_really_used_the_key(canary_run: tuple[Path, list[str], str]) -> None:
    """Without this the search above could pass vacuously: the key was accepted and the JWT too."""
    tmp, outputs, _ = canary_run
    fake_accounts = json.loads((tmp / "r-fake" / "entitlements.json").read_text())["accounts"]
    assert any(a["alias"] == "payg-full" and a["fingerprint"].startswith("key#") for a in fake_accounts)
    live_accounts = json.loads((tmp / "r-live" / "entitlements.json").read_text())["accounts"]
    assert [a["key_source"] for a in live_accounts] == ["env:DG_CANARY_KEY"]
    assert "verdict:  entitled" in outputs[4]  # the Bearer JWT was accepted on /v1/listen
    assert "auth:     Bearer key#" in outputs[4]
    assert "INVALID_QUERY_PARAMETER" in outputs[3] or "channels" in outputs[3]
