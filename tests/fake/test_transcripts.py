"""Which words come back: multichannel audio transcribes every channel (`channel_index` [c, N]), and
known fixture audio (fixtures/audio/probe-1s.wav, by the sha256 of its bytes) maps to a known
transcript on both the pre-recorded and the streaming v1 API; other audio keeps the fixed text."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from fake_kit import FULL_KEY, ROOT, http, token, wav, ws_session

from dg_entitlements.fake import FakeServer

KEY = token(FULL_KEY)
PROBE = (ROOT / "fixtures" / "audio" / "probe-1s.wav").read_bytes()
STEREO_S = 16000 * 2 * 2  # bytes per second of 16 kHz linear16, two channels
RAW2 = "encoding=linear16&sample_rate=16000&channels=2"


def stream(fake: FakeServer, query: str, send: list[Any]) -> Any:
    return asyncio.run(ws_session(f"{fake.ws_url}/v1/listen?model=nova-3&{query}", KEY,
                                  send=[*send, {"type": "CloseStream"}], first_window=0.05))


def finals(res: Any) -> list[tuple[list[int], str]]:
    return [(f["channel_index"], f["channel"]["alternatives"][0]["transcript"])
            for f in res.texts() if f["type"] == "Results"]


def test_probe_fixture_has_the_digest_the_fake_knows() -> None:
    assert hashlib.sha256(PROBE).hexdigest() == "c4a948f325d39c925685c2f91f30453f46903bf6e1826eed691cbd8f86643061"


def test_prerecorded_known_audio_gets_the_known_transcript(fake: FakeServer) -> None:
    with http(fake) as c:
        known = c.post("/v1/listen?model=nova-3&punctuate=true", content=PROBE, headers=KEY).json()
        other = c.post("/v1/listen?model=nova-3", content=wav(1.0), headers=KEY).json()
    alt = known["results"]["channels"][0]["alternatives"][0]
    assert alt["transcript"] == "Deepgram entitlement probe."
    assert [(w["word"], w["start"], w["end"]) for w in alt["words"]] == [
        ("deepgram", 0.0, 0.25), ("entitlement", 0.333, 0.583), ("probe", 0.667, 0.917)]
    assert other["results"]["channels"][0]["alternatives"][0]["transcript"] == "we the"


def test_streaming_known_audio_gets_the_known_transcript(fake: FakeServer) -> None:
    known = stream(fake, "punctuate=false", [PROBE[:20_000], PROBE[20_000:]])
    assert finals(known) == [([0, 1], "deepgram entitlement probe")]
    assert known.texts()[-1]["duration"] == 1.0
    other = stream(fake, "punctuate=false", [wav(1.0)])
    assert finals(other) == [([0, 1], "we the")]


def test_prerecorded_multichannel_transcribes_every_channel(fake: FakeServer) -> None:
    with http(fake) as c:
        multi = c.post(f"/v1/listen?model=nova-3&{RAW2}&multichannel=true", content=bytes(STEREO_S * 2),
                       headers=KEY).json()
        mixed = c.post(f"/v1/listen?model=nova-3&{RAW2}", content=bytes(STEREO_S * 2), headers=KEY).json()
    assert multi["metadata"]["channels"] == 2 and multi["metadata"]["duration"] == 2.0
    assert [ch["alternatives"][0]["transcript"] for ch in multi["results"]["channels"]] == [
        "we the people of the", "in order to form a"]
    assert [ch["alternatives"][0]["transcript"] for ch in mixed["results"]["channels"]] == ["we the people of the"]


def test_streaming_multichannel_results_per_channel(fake: FakeServer) -> None:
    multi = stream(fake, f"{RAW2}&multichannel=true", [bytes(STEREO_S * 3)])
    assert finals(multi) == [([0, 2], "we the people of the united states"),
                             ([1, 2], "in order to form a more perfect")]
    assert multi.texts()[-1]["type"] == "Metadata" and multi.texts()[-1]["channels"] == 2
    single = stream(fake, RAW2, [bytes(STEREO_S * 3)])
    assert finals(single) == [([0, 2], "we the people of the united states")]
