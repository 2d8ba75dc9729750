"""The proxy's pure helpers: base URLs, credential handling, body decoding, frame bounds, printed lines."""

from __future__ import annotations

import gzip
import json
import secrets as pysecrets

import pytest

from dg_entitlements.diagnosis import AuthForm
from dg_entitlements.errors import ConfigError
from dg_entitlements.probe.answers import MAX_JSON_BYTES, redact_secrets
from dg_entitlements.proxy.exchange import (
    MAX_FRAMES,
    MAX_LATE_FRAMES,
    Tap,
    decode_content,
    may_hold_secrets,
    parse_body,
    redact_body,
)
from dg_entitlements.proxy.identity import credential_of, identify
from dg_entitlements.proxy.readahead import READ_AHEAD, SMALL_MESSAGE, may_read_on
from dg_entitlements.proxy.settings import upstream_from
from dg_entitlements.secrets import register_secret, scrub


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


def test_messages_past_the_cap_are_bounded_too() -> None:
    """Errors and Metadata are kept past MAX_FRAMES, but not without limit (a stream of Warnings)."""
    tap = _tap()
    for _ in range(MAX_FRAMES + MAX_LATE_FRAMES + 50):
        tap.server_message(json.dumps({"type": "Warning", "description": "again"}))
    assert len(tap.freeze().frames) == MAX_FRAMES + MAX_LATE_FRAMES


def test_binary_audio_is_counted_not_kept() -> None:
    """The relay path never copies audio: a binary message is kept as its size only."""
    tap = _tap()
    tap.server_message(b"\x00" * 4000)
    assert tap.raw_frames[0][1] == 4000
    frame = tap.freeze().frames[0]
    assert (frame.kind, frame.size) == ("binary", 4000)


def test_kept_messages_parse_in_slices_to_the_same_frames() -> None:
    tap, whole = _tap(), _tap()
    for i in range(150):
        for t in (tap, whole):
            t.server_message(json.dumps({"type": "Results", "i": i}) if i % 3 else b"\x01" * i)
    steps = 0
    while not tap.parse_frames(64):
        steps += 1
    assert steps == 2 and len(tap.parsed) == 150
    assert [(f.kind, f.size, f.data) for f in tap.freeze().frames] == \
        [(f.kind, f.size, f.data) for f in whole.freeze().frames]


@pytest.mark.parametrize(("queued", "size", "keep_reading"), [
    (1, 3200, True),
    (READ_AHEAD - 1, 3200, True),
    (READ_AHEAD, 3200, False),
    (1, SMALL_MESSAGE + 1, False),
])
def test_read_ahead_is_bounded(queued: int, size: int, keep_reading: bool) -> None:
    assert may_read_on(queued, size) is keep_reading


def _bodies() -> list[tuple[object, bool]]:
    """(JSON body, whether the slow path must run): the fast path may only skip what changes nothing."""
    known = _secret()
    register_secret(known)
    models = {"stt": [{"name": f"nova-{i}", "languages": ["en", "fr"], "uuid": f"u-{i}", "batch": True,
                       "metadata": {"tags": ["a b", "c"], "size": i}} for i in range(200)]}
    return [
        (models, False),
        ({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "r-1"}, False),
        ({"access_token": ".".join(("eyJabcdefgh", "eyJabcdefgh", "sig")), "expires_in": 30}, True),
        ({"api_key_id": "id-1", "key": _secret()}, True),
        ({"echo": f"you sent {known}"}, True),
        ({"note": "Authorization: Token abcdef123456"}, True),
        ({"note": "line\nAuthorization:\tToken abcdef123456"}, True),
        ({"url": "wss://api.deepgram.com/v1/listen?model=nova-3&token=abcdef123456"}, True),
        ({"hex": "0123456789abcdef" * 2 + "01234567"}, True),  # built at run time: key-shaped, never in a file
        ({"big": "x" * (MAX_JSON_BYTES + 1)}, True),
        (["plain", {"nested": ["jwt " + ".".join(("eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjMifQ", "sig"))]}], True),
    ]


def test_body_redaction_fast_path_changes_nothing_it_skips() -> None:
    for body, slow in _bodies():
        assert may_hold_secrets(body) is slow, body if len(str(body)) < 300 else str(body)[:300]
        assert redact_body(body) == redact_secrets(body)
