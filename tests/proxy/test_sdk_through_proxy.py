"""The official Python SDK (deepgram-sdk 7.x, unmodified) through the proxy to the embedded fake.

What the app gets through the proxy must equal what it gets without it, and every refusal must be
printed with Deepgram's own words and the request id, which the SDKs often hide.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from deepgram.agent.v1.types import AgentV1Settings, AgentV1SettingsApplied, AgentV1Welcome
from deepgram.core.api_error import ApiError
from deepgram.listen.v1.types import ListenV1Metadata, ListenV1Results
from deepgram.listen.v2.types import ListenV2Connected, ListenV2TurnInfo
from deepgram.speak.v1.types import SpeakV1Flush, SpeakV1Text
from websockets.exceptions import InvalidStatus

from .conftest import Proxied, bounded, wait_for_lines

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*websockets.*:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*InvalidStatusCode.*:DeprecationWarning"),
]
CHUNK = 3200  # 100 ms of 16 kHz linear16
AGENT_SETTINGS: dict[str, object] = {  # Deepgram's minimal agent Settings (Flux listen, Flux TTS speak)
    "type": "Settings",
    "audio": {"input": {"encoding": "linear16", "sample_rate": 16000},
              "output": {"encoding": "linear16", "sample_rate": 24000, "container": "none"}},
    "agent": {"listen": {"provider": {"type": "deepgram", "version": "v2", "model": "flux-general-en"}},
              "think": {"provider": {"type": "open_ai", "model": "gpt-4o-mini"}, "prompt": "Be brief."},
              "speak": {"provider": {"type": "deepgram", "version": "v2", "model": "flux-alexis-en"}}},
}


def chunks(data: bytes) -> list[bytes]:
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def both(proxied: Proxied, fn: Any, alias: str = "payg-full") -> tuple[Any, Any]:
    """The same conversation without the proxy, then through it."""
    return (bounded(lambda: fn(proxied.client(alias, direct=True))), bounded(lambda: fn(proxied.client(alias))))


def test_prerecorded_same_through_proxy(proxied: Proxied, wav_bytes: bytes) -> None:
    def run(dg: Any) -> tuple[Any, ...]:
        r = dg.listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3", smart_format=True)
        alt = r.results.channels[0].alternatives[0]
        return r.metadata.duration, r.metadata.sha256, alt.transcript, [w.word for w in alt.words]

    direct, proxied_result = both(proxied, run)
    assert proxied_result == direct
    assert proxied_result[2]  # a real transcript, not two empty answers
    wait_for_lines(proxied, "POST   /v1/listen  model=nova-3  200")


def test_streaming_v1_same_messages_through_proxy(proxied: Proxied, pcm: bytes) -> None:
    def run(dg: Any) -> list[tuple[str, Any]]:
        with dg.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate=16000) as sock:
            for chunk in chunks(pcm * 2):
                sock.send_media(chunk)
            sock.send_close_stream()
            seen = list(sock)
        return [(type(m).__name__, m.channel.alternatives[0].transcript if isinstance(m, ListenV1Results)
                 else m.duration if isinstance(m, ListenV1Metadata) else None) for m in seen]

    direct, through = both(proxied, run)
    assert through == direct
    assert ("ListenV1Metadata", pytest.approx(2.0)) in through
    text = wait_for_lines(proxied, "WS     /v1/listen  model=nova-3  101 close 1000 by server")
    assert "20 in/" in text or "21 in/" in text  # every audio chunk (+ CloseStream) went through


def test_flux_same_through_proxy(proxied: Proxied, pcm: bytes) -> None:
    def run(dg: Any) -> list[tuple[Any, ...]]:
        seen: list[Any] = []
        with dg.listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate=16000) as sock:
            seen.append(sock.recv())
            for chunk in chunks(pcm):
                sock.send_media(chunk)
            while sum(isinstance(m, ListenV2TurnInfo) for m in seen) < 4:
                seen.append(sock.recv())
            sock.send_close_stream()
            seen.extend(sock)
        return [(type(m).__name__, getattr(m, "event", None), getattr(m, "transcript", None)) for m in seen]

    direct, through = both(proxied, run)
    assert through == direct
    assert through[0][0] == ListenV2Connected.__name__
    wait_for_lines(proxied, "WS     /v2/listen  model=flux-general-en  101")


def test_tts_rest_audio_identical(proxied: Proxied) -> None:
    def run(dg: Any) -> bytes:
        return b"".join(dg.speak.v1.audio.generate(text="Hello from the proxy.", model="aura-2-thalia-en"))

    direct, through = both(proxied, run)
    assert through == direct and len(through) > 1000


def test_tts_websocket_same_through_proxy(proxied: Proxied) -> None:
    def run(dg: Any) -> list[Any]:
        with dg.speak.v1.connect(model="aura-2-thalia-en", encoding="linear16", sample_rate=16000) as sock:
            seen: list[Any] = [type(sock.recv()).__name__]
            sock.send_text(SpeakV1Text(type="Speak", text="Hello there."))
            sock.send_flush(SpeakV1Flush(type="Flush"))
            audio = sock.recv()
            seen += [audio if isinstance(audio, bytes) else type(audio).__name__, type(sock.recv()).__name__]
            sock.send_close()
            seen.extend(type(m).__name__ for m in sock)
        return seen

    direct, through = both(proxied, run)
    assert through == direct
    assert isinstance(through[1], bytes) and len(through[1]) > 0


def test_agent_through_proxy(proxied: Proxied) -> None:
    def run(dg: Any) -> list[str]:
        with dg.agent.v1.connect() as sock:
            welcome = sock.recv()
            sock.send_settings(AgentV1Settings(**AGENT_SETTINGS))  # type: ignore[arg-type]
            return [type(welcome).__name__, type(sock.recv()).__name__]

    direct, through = both(proxied, run)
    assert through == direct == [AgentV1Welcome.__name__, AgentV1SettingsApplied.__name__]
    wait_for_lines(proxied, "WS     /v1/agent/converse")


def test_bad_key_refusal_relayed_and_explained(proxied: Proxied, wav_bytes: bytes) -> None:
    bad = "dgfake-" + "wrong" * 3  # a key the fake does not know, built at run time

    def run(dg: Any) -> tuple[int | None, Any]:
        with pytest.raises(ApiError) as info:
            dg.listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3")
        return info.value.status_code, info.value.body

    direct = bounded(lambda: run(proxied.client(key=bad, direct=True)))
    status, body = bounded(lambda: run(proxied.client(key=bad)))
    assert status == direct[0] == 401
    assert body["err_code"] == direct[1]["err_code"] == "INVALID_AUTH"
    text = wait_for_lines(proxied, f"request id: {body['request_id']}")
    assert "invalid auth" in text and 'INVALID_AUTH "' in text
    assert bad not in text


def test_unentitled_flux_handshake_relayed_with_status_headers_body(proxied: Proxied) -> None:
    """payg-no-flux lacks Flux: the SDK gets the same 403, dg-error and JSON body as from Deepgram itself,
    and the proxy prints the diagnosis with Deepgram's words and the request id."""

    def attempt() -> None:
        with proxied.client("payg-no-flux").listen.v2.connect(model="flux-general-en", encoding="linear16",
                                                               sample_rate=16000):
            pass

    with pytest.raises(InvalidStatus) as info:
        bounded(attempt)
    response = info.value.response
    assert response.status_code == 403
    assert response.headers["dg-error"] == "Project does not have access to the requested model."
    body = json.loads(bytes(response.body))
    assert body["err_code"] == "INSUFFICIENT_PERMISSIONS"
    rid = response.headers["dg-request-id"]
    text = wait_for_lines(proxied, f"request id: {rid}")
    assert "cause:      not_entitled" in text
    assert 'INSUFFICIENT_PERMISSIONS "Project does not have access to the requested model."' in text


def test_malformed_flux_url_with_key_in_query_is_explained_without_the_key(proxied: Proxied) -> None:
    from websockets.sync.client import connect

    key = proxied.keys["payg-full"]
    url = f"{proxied.proxy.ws_url}/v2/listen?model=flux-general-en&channels=2&token={key}"

    def attempt() -> None:
        with connect(url, open_timeout=10, proxy=None):
            pass

    with pytest.raises(InvalidStatus) as info:
        bounded(attempt)
    assert info.value.response.status_code in (400, 401)
    rid = info.value.response.headers["dg-request-id"]
    text = wait_for_lines(proxied, f"request id: {rid}")
    block = text[text.rindex("WS     /v2/listen"):]
    assert "cause:      key_in_url" in block
    assert key not in text


def test_subprotocol_auth_echoes_the_selected_subprotocol(proxied: Proxied) -> None:
    """Browsers authenticate with `Sec-WebSocket-Protocol: token, <key>`; they drop a socket whose 101 does
    not select one of the offered protocols, so the proxy must pass Deepgram's choice through."""
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    key = proxied.keys["payg-full"]
    url = f"{proxied.proxy.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"

    def run() -> str | None:
        with connect(url, subprotocols=[Subprotocol("token"), Subprotocol(key)], open_timeout=10, proxy=None) as ws:
            return ws.subprotocol

    assert bounded(run) == "token"
    assert key not in proxied.text()
