"""Fixtures for driving the official Deepgram Python SDK (unmodified) against the embedded fake.

The fake runs in its own thread and event loop (FakeServer), so both plain sync tests and
pytest-asyncio tests (function loop) can talk to it without sharing a loop.
"""

from __future__ import annotations

import threading
import wave
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import pytest_asyncio
from deepgram import AsyncDeepgramClient, DeepgramClient, DeepgramClientEnvironment

from dg_entitlements.fake import FakeServer, load_fake_config

ROOT = Path(__file__).resolve().parents[2]
FAKE_CONFIG = ROOT / "src/dg_entitlements/data/fake-deepgram.toml"
PROBE_WAV = ROOT / "fixtures" / "audio" / "probe-1s.wav"
HTTP_TIMEOUT_S = 10.0
STREAM_TIMEOUT_S = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class Sdk:
    """One fake server plus what a test needs to build SDK clients for it."""

    server: FakeServer
    keys: dict[str, str]  # account alias -> fake key, read from the TOML so tests never hard-code secrets
    project_ids: dict[str, str]
    http: httpx.Client  # one pool for the module's sync clients, closed with the server (no leaked sockets)

    @property
    def environment(self) -> DeepgramClientEnvironment:
        # No trailing slashes: the SDK concatenates strings and would ask for `//v1/listen`.
        url, ws = self.server.http_url, self.server.ws_url
        return DeepgramClientEnvironment(base=url, production=ws, agent=ws, agent_rest=url)

    def sync(self, alias: str = "payg-full") -> DeepgramClient:
        return DeepgramClient(api_key=self.keys[alias], environment=self.environment, timeout=HTTP_TIMEOUT_S,
                              httpx_client=self.http)

    def async_client(self, key: str, http: httpx.AsyncClient) -> AsyncDeepgramClient:
        return AsyncDeepgramClient(api_key=key, environment=self.environment, timeout=HTTP_TIMEOUT_S,
                                   httpx_client=http)


@pytest.fixture(scope="module")
def sdk() -> Iterator[Sdk]:
    """A fake on a free loopback port (port 0) serving src/dg_entitlements/data/fake-deepgram.toml, one per module."""
    config = load_fake_config(FAKE_CONFIG)
    with FakeServer(config, port=0) as server, httpx.Client(timeout=HTTP_TIMEOUT_S, trust_env=False) as http:
        yield Sdk(server=server, keys={a.alias: a.key for a in config.accounts},
                  project_ids={a.alias: a.project_id for a in config.accounts}, http=http)


AsyncFactory = Callable[..., AsyncDeepgramClient]


@pytest_asyncio.fixture
async def adg(sdk: Sdk) -> AsyncIterator[AsyncFactory]:
    """`adg("payg-no-flux")` or `adg(key="...")`: async clients sharing one httpx pool in the test's own loop.

    The SDK would otherwise open an AsyncClient per client and never close it (ResourceWarnings).
    trust_env=False keeps a CI proxy from capturing loopback traffic.
    """
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, trust_env=False) as http:

        def make(alias: str = "payg-full", *, key: str | None = None) -> AsyncDeepgramClient:
            return sdk.async_client(key if key is not None else sdk.keys[alias], http)

        yield make


@pytest.fixture(scope="session")
def pcm() -> bytes:
    """1 s of 16 kHz mono linear16 without the WAV header: what a live app streams."""
    with wave.open(str(PROBE_WAV)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return w.readframes(w.getnframes())


@pytest.fixture(scope="session")
def wav_bytes() -> bytes:
    return PROBE_WAV.read_bytes()


def bounded(fn: Callable[[], T], timeout_s: float = STREAM_TIMEOUT_S) -> T:
    """Run a blocking SDK conversation in a daemon thread and give up after `timeout_s`.

    The sync SDK's socket `recv()` has no timeout, so a fake that forgot to answer would hang the
    test run; here it fails the test instead (the thread ends when the module's server stops).
    """
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="sdk-bounded", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"SDK conversation did not finish within {timeout_s} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


# §8.11: the minimal agent Settings from Deepgram's SKILLS (Flux listen, Flux TTS speak)
AGENT_SETTINGS: dict[str, object] = {
    "type": "Settings",
    "audio": {"input": {"encoding": "linear16", "sample_rate": 16000},
              "output": {"encoding": "linear16", "sample_rate": 24000, "container": "none"}},
    "agent": {"listen": {"provider": {"type": "deepgram", "version": "v2", "model": "flux-general-en"}},
              "think": {"provider": {"type": "open_ai", "model": "gpt-4o-mini", "temperature": 0.7},
                        "prompt": "You are a concise phone assistant."},
              "speak": {"provider": {"type": "deepgram", "version": "v2", "model": "flux-alexis-en"}},
              "greeting": "Hi, how can I help?"},
}
READ_TEXT = ("Deepgram builds speech recognition and text to speech models for developers who build voice apps "
             "today.")  # 16 words; the fake's summary is the first 12
READ_SUMMARY = "Deepgram builds speech recognition and text to speech models for developers who"
SPEAK_TEXT = "Hello there."  # 12 characters: 720 ms of audio at 60 ms per character
SPEAK_PCM_BYTES = 16000 * 2 * 720 // 1000  # 16 kHz linear16
