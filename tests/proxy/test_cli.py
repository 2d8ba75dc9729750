"""`python -m dg_entitlements.proxy`: bad input is one ConfigError line; SIGTERM still writes the report."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dg_entitlements.errors import ConfigError
from dg_entitlements.proxy.cli import settings_from

from .conftest import PROBE_WAV


@pytest.mark.parametrize(("argv", "key"), [
    (["--upstream", "api.deepgram.com"], "--upstream"),
    (["--agent-upstream", "ftp://agent.example"], "--agent-upstream"),
    (["--port", "70000"], "--port"),
    (["--port", "eighty"], ""),
    (["--accounts", "accounts.toml"], "--accounts"),  # names --record's folders: nothing without it
])
def test_bad_options_are_config_errors(argv: list[str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from(argv)
    assert info.value.key == key and "\n" not in str(info.value)


def test_settings_defaults_point_at_deepgram() -> None:
    s = settings_from([])
    assert (s.upstream, s.agent_upstream, s.port, s.host) == ("https://api.deepgram.com", None, 8089, "127.0.0.1")


def test_sigterm_writes_report(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dg_entitlements.proxy", "--port", "0", "--upstream", "fake",
         "--report-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match, first
        keys = [line.split('"')[1] for line in
                (Path(__file__).parents[2] / "src/dg_entitlements/data/fake-deepgram.toml").read_text().splitlines()
                if line.startswith("key = ")]
        with httpx.Client(timeout=10, trust_env=False) as http:
            r = http.post(f"http://127.0.0.1:{match.group(1)}/v1/listen?model=nova-3",
                          content=PROBE_WAV.read_bytes(), headers={"Authorization": f"Token {keys[0]}"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    assert "/v1/listen  model=nova-3  200" in out
    run = json.loads((tmp_path / "proxy.json").read_text())
    assert len(run["cells"]) == 1 and (tmp_path / "proxy.html").is_file()
    assert keys[0] not in out
