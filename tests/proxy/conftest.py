"""One proxy in front of the embedded fake (`--upstream fake`) per module, and clients for both paths.

The official Python SDK is pointed at the proxy with DeepgramClientEnvironment (the way an app would be)
and, for the "same result without the proxy" comparisons, straight at the proxy's own fake. Everything
is on 127.0.0.1 with port 0; every blocking SDK conversation runs under `bounded()`.
"""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from deepgram import DeepgramClient, DeepgramClientEnvironment

from dg_entitlements.defaults import FAKE_CONFIG
from dg_entitlements.fake.config import load_fake_config
from dg_entitlements.proxy.server import ProxyServer
from dg_entitlements.proxy.settings import ProxySettings

ROOT = Path(__file__).resolve().parents[2]
PROBE_WAV = ROOT / "fixtures" / "audio" / "probe-1s.wav"
TIMEOUT_S = 15.0
T = TypeVar("T")


@dataclass
class Proxied:
    proxy: ProxyServer
    lines: list[str]
    keys: dict[str, str]  # fake account alias -> fake key, read from the shipped fake config
    tmp: Path
    http: httpx.Client

    @property
    def via_proxy(self) -> DeepgramClientEnvironment:
        p = self.proxy
        return DeepgramClientEnvironment(base=p.http_url, production=p.ws_url, agent=p.ws_url, agent_rest=p.http_url)

    @property
    def direct(self) -> DeepgramClientEnvironment:
        assert self.proxy.fake is not None
        f = self.proxy.fake
        return DeepgramClientEnvironment(base=f.http_url, production=f.ws_url, agent=f.ws_url, agent_rest=f.http_url)

    def client(self, alias: str = "payg-full", *, direct: bool = False, key: str | None = None) -> DeepgramClient:
        return DeepgramClient(api_key=key if key is not None else self.keys[alias],
                              environment=self.direct if direct else self.via_proxy, timeout=TIMEOUT_S,
                              httpx_client=self.http)

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    tmp = tmp_path_factory.mktemp("proxy")
    settings = ProxySettings(port=0, upstream="fake", report_dir=tmp / "reports", record=tmp / "cassettes",
                             json_log=tmp / "exchanges.jsonl")
    lines: list[str] = []
    keys = {a.alias: a.key for a in load_fake_config(FAKE_CONFIG).accounts}
    with ProxyServer(settings, out=lines.append) as proxy, httpx.Client(timeout=TIMEOUT_S, trust_env=False) as http:
        yield Proxied(proxy=proxy, lines=lines, keys=keys, tmp=tmp, http=http)


@pytest.fixture(scope="session")
def wav_bytes() -> bytes:
    return PROBE_WAV.read_bytes()


@pytest.fixture(scope="session")
def pcm() -> bytes:
    with wave.open(str(PROBE_WAV)) as w:
        return w.readframes(w.getnframes())


def bounded(fn: Callable[[], T], timeout_s: float = TIMEOUT_S) -> T:
    """Run a blocking conversation in a daemon thread; fail instead of hanging if it never finishes."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"conversation did not finish within {timeout_s} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def wait_for_lines(proxied: Proxied, needle: str, timeout_s: float = TIMEOUT_S) -> str:
    """The proxy prints when an exchange ends, on its own thread: wait (bounded) until the line is there."""
    waited = 0.0
    while waited < timeout_s:
        text = proxied.text()
        if needle in text:
            return text
        threading.Event().wait(0.02)
        waited += 0.02
    raise AssertionError(f"{needle!r} never printed; got:\n{proxied.text()}")
