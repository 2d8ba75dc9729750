"""The proxy's pure helpers: base URLs, credential handling, body decoding, frame bounds, printed lines."""

from __future__ import annotations

import gzip
import json
import secrets as pysecrets

import pytest

from dg_entitlements.diagnosis import AuthForm
from dg_entitlements.errors import ConfigError
from dg_entitlements.proxy.exchange import MAX_FRAMES, Tap, decode_content, parse_body
from dg_entitlements.proxy.identity import credential_of, identify
from dg_entitlements.proxy.settings import upstream_from
from dg_entitlements.secrets import scrub


@pytest.mark.parametrize(("url", "http", "ws"), [
    ("https://api.deepgram.com", "https://api.deepgram.com", "wss://api.deepgram.com"),
    ("https://api.eu.deepgram.com/", "https://api.eu.deepgram.com", "wss://api.eu.deepgram.com"),
    ("http://10.0.0.5:8080/dg", "http://10.0.0.5:8080/dg", "ws://10.0.0.5:8080/dg"),
    ("wss://agent.deepgram.com", "https://agent.deepgram.com", "wss://agent.deepgram.com"),
])
def test_upstream_bases(url: str, http: str, ws: str) -> None:
    up = upstream_from(url, "--upstream")
    assert (up.http, up.ws) == (http, ws)


@pytest.mark.parametrize("bad", ["api.deepgram.com", "ftp://x", "https://x/?a=1", "https://"])
def test_bad_upstream(bad: str) -> None:
    with pytest.raises(ConfigError):
        upstream_from(bad, "--upstream")


def _secret() -> str:
    return "canary-" + pysecrets.token_hex(8)  # built at run time, never shaped like a real key


@pytest.mark.parametrize("where", ["header", "subprotocol", "url"])
def test_identify_registers_the_credential_and_keeps_only_its_form(where: str) -> None:
    secret = _secret()
    headers: list[tuple[str, str]] = []
    query = "model=nova-3"
    if where == "header":
        headers = [("Authorization", f"Token {secret}")]
    elif where == "subprotocol":
        headers = [("Sec-WebSocket-Protocol", f"token, {secret}")]
    else:
        query += f"&token={secret}"
    form, account = identify(f"wss://api.deepgram.com/v1/listen?{query}", headers, query)
    assert form.where == where
    assert account.startswith("key#") and secret not in account
    assert credential_of(headers, query) == secret
    assert secret not in scrub(f"the app sent {secret}")


def test_no_credential_is_no_key() -> None:
    form, account = identify("https://api.deepgram.com/v1/models", [("Accept", "*/*")], "")
    assert account == "no-key" and form.where not in ("header", "subprotocol", "url")


def test_gzip_body_is_decoded_for_the_verdict() -> None:
    raw = json.dumps({"err_code": "INVALID_AUTH"}).encode()
    assert decode_content(gzip.compress(raw), "gzip") == raw
    assert parse_body(raw, "application/json") == ({"err_code": "INVALID_AUTH"}, "json")
    assert parse_body(b"\xff\xfb\x90", "audio/mpeg") == (None, "binary")
    assert parse_body(b"", None) == (None, "empty")


def _tap() -> Tap:
    return Tap(transport="ws", method="GET", path="/v1/listen", query="model=nova-3",
               upstream_url="wss://api.deepgram.com/v1/listen?model=nova-3", auth=AuthForm(), account="no-key")


def test_frames_are_bounded_but_errors_always_kept() -> None:
    tap = _tap()
    for i in range(MAX_FRAMES + 50):
        tap.server_message(json.dumps({"type": "Results", "i": i}))
    tap.server_message(json.dumps({"type": "Error", "description": "boom"}))
    frozen = tap.freeze()
    assert frozen.frames_seen == MAX_FRAMES + 51
    assert len(frozen.frames) == MAX_FRAMES + 1 and frozen.frames[-1].type == "Error"


def test_secret_fields_in_bodies_are_redacted() -> None:
    tap = Tap(transport="http", method="POST", path="/v1/projects/p/keys", query="",
              upstream_url="https://api.deepgram.com/v1/projects/p/keys", auth=AuthForm(), account="no-key")
    created = _secret()
    tap.answered(200, [("content-type", "application/json")])
    tap.body_chunk(json.dumps({"api_key_id": "id-1", "key": created}).encode())
    frozen = tap.freeze()
    assert created not in json.dumps(frozen.body) and created not in frozen.raw_body.decode()
    assert frozen.body["api_key_id"] == "id-1"


def test_audio_sent_on_a_stream_counts_as_audio() -> None:
    tap = _tap()
    tap.answered(101, [])
    tap.client_message(b"\x00" * 3200)
    tap.client_message(json.dumps({"type": "CloseStream"}))
    obs = tap.freeze().observation()
    assert obs.cost.audio_seconds == pytest.approx(0.1)
    assert obs.request is not None and obs.request.url.startswith("wss://")
