"""Issue 11 items 3, 5 and 6 (cassette part): hand-broken cassettes are one ConfigError, an interrupted
recording keeps the previous `recorded_at`, and a key inside a non-UTF-8 body never reaches the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dg_entitlements.cassette.http import read_http_cassette, scrub_body
from dg_entitlements.cassette.record import meta_after_recording, read_meta
from dg_entitlements.cassette.ws import load_ws
from dg_entitlements.errors import ConfigError
from dg_entitlements.secrets import register_secret

HTTP_OK = """interactions:
- request:
    body: ''
    headers: {}
    method: GET
    uri: http://127.0.0.1:9/v1/models
  response:
    body: {string: '{}'}
    headers: {content-type: [application/json]}
    status: {code: 200, message: OK}
version: 1
"""


def ws_doc(stream: dict[str, object] | None = None, recorded_at: object = "2026-01-01T00:00:00Z") -> dict[str, object]:
    base: dict[str, object] = {"path": "/v1/listen", "query": "model=nova-3",
                               "handshake": {"status": 101, "headers": {}, "body": None},
                               "frames": [], "close": {"code": 1000, "reason": "", "by": "server"}, "error": None}
    return {"schema": 1, "meta": {"recorded_at": recorded_at}, "streams": [base | (stream or {})]}


def test_a_valid_http_cassette_reads(tmp_path: Path) -> None:
    path = tmp_path / "http.yaml"
    path.write_text(HTTP_OK)
    assert len(read_http_cassette(path)[1]) == 1


@pytest.mark.parametrize("broken", ["code: 200", "code: abc", "code: 99999", "code: true", "code: null"])
def test_a_bad_http_status_is_one_config_error(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "http.yaml"
    path.write_text(HTTP_OK.replace("code: 200", broken) if broken != "code: 200" else
                    HTTP_OK.replace("status: {code: 200, message: OK}", "status: abc"))
    with pytest.raises(ConfigError, match="corrupt HTTP cassette"):
        read_http_cassette(path)


@pytest.mark.parametrize("stream", [
    {"handshake": {"status": "abc"}}, {"handshake": {"status": 99999}}, {"handshake": {"status": True}},
    {"close": {"code": "x"}}, {"close": {"code": 70000}}, {"close": {"by": "nobody"}}, {"close": {"reason": 5}},
    {"frames": [{"kind": "binary", "size": "huge"}]}, {"frames": [{"kind": "binary", "size": 10**12}]},
    {"frames": [{"kind": "text", "at_ms": "soon"}]}, {"frames": ["text"]}, {"path": ["x"]}, {"error": {"a": 1}},
    {"handshake": "nope"}, {"close": ["x"]},
])
def test_corrupt_ws_values_are_one_config_error(tmp_path: Path, stream: dict[str, object]) -> None:
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(ws_doc(stream)))
    with pytest.raises(ConfigError, match="corrupt WebSocket cassette"):
        load_ws(path)


@pytest.mark.parametrize("recorded_at", ["yesterday", "2026-13-45", "", "9" * 100])
def test_a_recorded_at_that_is_not_an_iso_time_is_one_config_error(tmp_path: Path, recorded_at: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "meta.json").write_text(json.dumps({"recorded_at": recorded_at}))
    with pytest.raises(ConfigError, match="recorded_at"):
        read_meta(tmp_path, "a")
    ws = tmp_path / "ws.json"
    ws.write_text(json.dumps(ws_doc(recorded_at=recorded_at)))
    with pytest.raises(ConfigError):
        load_ws(ws)


def test_an_interrupted_recording_keeps_the_previous_stamp() -> None:
    previous = {"schema": 1, "recorded_at": "2026-01-01T00:00:00.000Z", "account": "a"}
    fields = {"schema": 1, "account": "a"}
    assert meta_after_recording(previous, False, "2026-12-01T00:00:00.000Z", fields) == previous
    assert meta_after_recording(previous, True, "2026-12-01T00:00:00.000Z", fields)["recorded_at"] == \
        "2026-12-01T00:00:00.000Z"
    first = meta_after_recording(None, False, "2026-12-01T00:00:00.000Z", fields)
    assert first["partial"] is True


def test_a_key_in_a_non_utf8_body_is_scrubbed_before_the_cassette_is_written() -> None:
    secret = "dgfake-cassette-binary-canary"
    register_secret(secret)
    body = {"string": b"\xff\xfe" + secret.encode() + b"\x80\x00" + secret.upper().encode()}
    scrub_body(body)
    assert isinstance(body["string"], bytes)
    assert secret.encode() not in body["string"] and secret.upper().encode() not in body["string"]
    assert body["string"].startswith(b"\xff\xfe")
