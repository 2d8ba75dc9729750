"""`explain --offline` and `--json`: diagnose an answer a user already has, without sending anything.

Payload: Deepgram's 401 on a WebSocket handshake, verbatim from an operator's console log quoted in
the project's Deepgram facts (docs/deepgram-facts.md, "Missing or invalid key")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "dg-entitlements"
BODY_401 = ('{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.",'
            '"request_id":"01a0accc-307e-7171-b0e9-5eb486f4e252"}')
UNREACHABLE = "wss://192.0.2.1/v1/listen?model=nova-3"  # TEST-NET-1: nothing is ever sent there offline


def explain(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    return subprocess.run([str(BIN), "explain", *args], capture_output=True, text=True, timeout=60, env=env)


def test_offline_reads_deepgrams_words_and_sends_nothing() -> None:
    result = explain(UNREACHABLE, "--offline", "--status", "401", "--response-header", "dg-error: Invalid credentials.",
                     "--response-body", BODY_401, "-H", "Authorization: Token dgfake-offline-k1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("verdict:  invalid_auth:")
    assert "dgfake-offline-k1" not in result.stdout


def test_offline_json_uses_the_run_result_shapes() -> None:
    result = explain(UNREACHABLE, "--offline", "--status", "401", "--response-body", BODY_401, "--json")
    data = json.loads(result.stdout)
    assert data["verdict"] == "invalid_auth"
    assert data["cause"] == data["diagnosis"]["cause"] == "invalid_key"
    assert data["judgement"]["err_code"] == "INVALID_AUTH"
    assert {"title", "remedy", "evidence", "is_entitlement"} <= set(data["diagnosis"])


def test_offline_with_only_a_client_error_ranks_candidates() -> None:
    result = explain("wss://api.deepgram.com/v2/listen?model=flux-general-en", "--offline",
                     "--client-error", "WebSocket connection closed: 1006", "--json")
    data = json.loads(result.stdout)
    assert data["cause"] == "handshake_hidden"
    assert "invalid_key" in data["diagnosis"]["candidates"]
    assert "dg-entitlements explain" in data["remedy"]  # the command that gets Deepgram's words


def test_offline_without_an_answer_is_one_line() -> None:
    result = explain(UNREACHABLE, "--offline")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--status" in result.stderr


def test_a_broken_key_in_the_environment_is_one_line_and_exit_2() -> None:
    """A key pasted with an inner newline would reach the wire as two header lines: refused up front."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    env["DG_EXPLAIN_TEST_KEY"] = "dgfake-first-half\ndgfake-second-half"
    result = subprocess.run([str(BIN), "explain", UNREACHABLE, "--key-env", "DG_EXPLAIN_TEST_KEY"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DG_EXPLAIN_TEST_KEY" in lines[0] and "(fix: " in lines[0]
    assert "dgfake-first-half" not in result.stderr + result.stdout


def test_all_headers_says_no_credential_was_sent() -> None:
    """A 401 to a request whose headers are all given and hold no credential: the key was never sent
    (dotnet-sdk #342 in tests/realworld), not a wrong key. Without --all-headers the key may just be left out."""
    url = "wss://api.deepgram.com/v1/listen?model=nova-3"
    complete = explain(url, "--offline", "--status", "401", "--all-headers", "--json")
    partial = explain(url, "--offline", "--status", "401", "--json")
    assert json.loads(complete.stdout)["cause"] == "missing_key", complete.stdout
    assert json.loads(partial.stdout)["cause"] != "missing_key", partial.stdout
