"""`dg-entitlements explain` as a user runs it: a subprocess against the fake on a loopback port.

The point of `explain` is that a user pastes the URL their own code uses and gets the root cause,
with the same engine as the suite, and never sees their key printed back. Each test pins the cause
line, the exit code (0 allowed, 1 refused, 2 bad usage) and the absence of the key in all output.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dg_entitlements.defaults import FAKE_CONFIG as FAKE_CONFIG_PATH
from dg_entitlements.fake.config import load_fake_config
from dg_entitlements.fake.server import FakeServer

from .helpers import cli

FULL_KEY = "dgfake-payg-full-k1"
NO_FLUX_KEY = "dgfake-payg-no-flux-k1"
WRONG_KEY = "dgfake-wrong-key-k0"
CLI_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer(load_fake_config(FAKE_CONFIG_PATH), port=0) as server:
        yield server


def explain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli("explain", *args, env=env, timeout=CLI_TIMEOUT_S)


def lines(out: str, prefix: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(prefix)]


def assert_no_key(result: subprocess.CompletedProcess[str], *keys: str) -> None:
    for key in keys:
        assert key not in result.stdout
        assert key not in result.stderr


def test_malformed_flux_url(fake: FakeServer) -> None:
    """`channels=1` on a Flux URL: malformed, the parameter named, not an entitlement problem."""
    url = f"{fake.ws_url}/v2/listen?model=flux-general-en&channels=1"
    result = explain(url, "-H", f"Authorization: Token {FULL_KEY}")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert lines(out, "verdict:") == [
        'verdict:  malformed_request: Deepgram answered 400 INVALID_QUERY_PARAMETER "Unknown query parameters: '
        'channels": the request itself is malformed (parameter `channels`); this is not an entitlement problem.']
    assert lines(out, "cause:") == ["cause:    Malformed request, not an entitlement problem: unknown query "
                                    "parameter `channels` on wss /v2/listen (Flux)"]
    assert "note:     this is not an entitlement problem" in out
    assert "  - parameter: channels" in out
    assert lines(out, "auth:")[0].startswith("auth:     Token key#")
    assert_no_key(result, FULL_KEY)


def test_flux_model_on_v1_listen(fake: FakeServer) -> None:
    """Flux on the v1 stream: the wrong endpoint, and the right one named."""
    url = f"{fake.ws_url}/v1/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
    result = explain(url, "-H", f"Authorization: Token {FULL_KEY}")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert lines(out, "cause:") == ["cause:    Wrong endpoint, not an entitlement problem: flux-general-en is a Flux "
                                    "model; use /v2/listen"]
    assert lines(out, "remedy:") == ["remedy:   Send flux-general-en to /v2/listen (WebSocket only: "
                                     "wss://api.deepgram.com/v2/listen) instead of /v1/listen."]
    assert "  - right endpoint: /v2/listen" in out
    assert lines(out, "Deepgram:")[0].startswith("Deepgram: V2_MODEL_ON_V1_LISTEN_ENDPOINT")
    assert "  - err_code:" not in out  # each fact once: Deepgram's words are on their own line
    assert_no_key(result, FULL_KEY)


def test_bad_key_from_environment(fake: FakeServer) -> None:
    """A key from DEEPGRAM_API_KEY that Deepgram refuses: invalid key, and the key is never echoed."""
    url = f"{fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    result = explain(url, env={"DEEPGRAM_API_KEY": WRONG_KEY})
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert lines(out, "verdict:")[0].startswith('verdict:  invalid_auth: Deepgram answered 401 INVALID_AUTH '
                                                '"Invalid credentials."')
    assert lines(out, "cause:") == ["cause:    Invalid key: Deepgram refused the credentials on wss /v1/listen"]
    assert lines(out, "Deepgram:") == ['Deepgram: INVALID_AUTH "Invalid credentials."']
    assert_no_key(result, WRONG_KEY)


def test_unentitled_flux_model(fake: FakeServer) -> None:
    """A project without Flux: not entitled (an entitlement problem), with the bogus-model control shown."""
    url = f"{fake.ws_url}/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
    result = explain(url, "-H", f"Authorization: Token {NO_FLUX_KEY}")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert lines(out, "verdict:")[0].startswith('verdict:  not_entitled: Deepgram answered 403 '
                                                'INSUFFICIENT_PERMISSIONS "Project does not have access to the '
                                                'requested model."')
    assert lines(out, "cause:") == ["cause:    Not entitled: flux-general-en on wss /v2/listen (Flux) is refused, "
                                    "and a made-up model gets a different answer, so the model exists"]
    assert "note:     this is not an entitlement problem" not in out
    assert len(lines(out, "  - control: bogus_model: ")) == 1
    assert_no_key(result, NO_FLUX_KEY)


def test_entitled_request_exits_zero_and_env_key_is_not_printed(fake: FakeServer) -> None:
    url = f"{fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    result = explain(url, env={"DEEPGRAM_API_KEY": FULL_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result.stdout, "verdict:")[0].startswith("verdict:  entitled:")
    assert lines(result.stdout, "cause:") == []
    assert_no_key(result, FULL_KEY)


def test_header_key_wins_over_environment_and_neither_is_printed(fake: FakeServer) -> None:
    """The request's own header is what the user's code sends; the env key must not leak either."""
    url = f"{fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    result = explain(url, "-H", f"Authorization: Token {FULL_KEY}", env={"DEEPGRAM_API_KEY": WRONG_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_key(result, FULL_KEY, WRONG_KEY)


def test_key_in_url_is_diagnosed_and_scrubbed(fake: FakeServer) -> None:
    url = f"{fake.http_url}/v1/listen?model=nova-3&token={FULL_KEY}"
    result = explain(url, "-X", "POST")
    assert result.returncode == 1, result.stderr
    assert lines(result.stdout, "cause:") == ["cause:    API key passed in the URL (`token=`) instead of the "
                                              "Authorization header, on POST /v1/listen"]
    assert_no_key(result, FULL_KEY)


@pytest.mark.parametrize("bad", ["not a url", "api.deepgram.com/v1/listen", "ftp://127.0.0.1/v1/listen"])
def test_non_url_is_bad_usage(bad: str) -> None:
    result = explain(bad)
    assert result.returncode == 2
    assert "not an http(s):// or ws(s):// URL" in result.stderr
    assert result.stdout == ""


def test_malformed_header_is_bad_usage(fake: FakeServer) -> None:
    result = explain(f"{fake.ws_url}/v1/listen?model=nova-3", "-H", f"Authorization Token {FULL_KEY}")
    assert result.returncode == 2
    assert "a header must be 'Name: value'" in result.stderr
    assert_no_key(result, FULL_KEY)


def _stream_frames(fake: FakeServer, audio: bytes) -> list[dict[str, object]]:
    from dg_entitlements.catalogue import load_catalogue
    from dg_entitlements.defaults import CATALOGUE
    from dg_entitlements.explain import explain_run, parse_user_request

    catalogue = load_catalogue(CATALOGUE)
    req = parse_user_request(catalogue, f"{fake.ws_url}/v1/listen?model=nova-3", None,
                             ["Authorization: Token dgfake-payg-full-k1"], audio, None)
    observation = explain_run(catalogue, req, controls=False).cells[0].observation
    assert observation is not None and observation.status == 101
    return [f.data for f in observation.frames if isinstance(f.data, dict)]


def test_audio_is_streamed_so_what_comes_back_can_be_judged(fake: FakeServer) -> None:
    """`--audio` on a stream: the user's audio goes out as binary messages and the transcripts come back."""
    from dg_entitlements.probe.audio import probe_wav

    with_audio = _stream_frames(fake, probe_wav())
    without = _stream_frames(fake, b"")
    assert any(f.get("type") == "Results" for f in with_audio)
    assert not any(f.get("type") == "Results" for f in without)


def test_audio_that_decodes_to_nothing_is_a_request_problem(fake: FakeServer, tmp_path: Path) -> None:
    """Accepted (101) but useless: Deepgram's Metadata says duration 0 (tempo-riz/deepgram_speech_to_text
    #7, in docs/deepgram-facts.md); explain --audio must say so instead of "entitled"."""
    noise = tmp_path / "noise.raw"
    noise.write_bytes(bytes((i * 73 + 41) % 256 for i in range(32_000)))  # not WAV, no encoding declared
    result = explain(f"{fake.ws_url}/v1/listen?model=nova-3", "-H", "Authorization: Token dgfake-payg-full-k1",
                     "--audio", str(noise), "--no-controls")
    assert result.returncode == 1, result.stdout + result.stderr
    assert lines(result.stdout, "verdict:")[0].startswith("verdict:  malformed_request")
    assert "decode" in lines(result.stdout, "cause:")[0]

