"""What the proxy forwards where: the upstream base URLs for REST, WebSocket and the agent host.

One place turns `--upstream URL` into the http(s) and ws(s) bases (a base URL may carry a path prefix,
e.g. a self-hosted gateway), so the two relays cannot disagree about where a request goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError

DEFAULT_UPSTREAM = "https://api.deepgram.com"
DEFAULT_AGENT_UPSTREAM = "https://agent.deepgram.com"
FAKE = "fake"

# Deadlines for every network step (seconds). A stream's own length is the app's business; each step in it
# (connect, handshake, a read of the next REST chunk, the closing handshake) is bounded.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0  # between two chunks of a REST body (TTS streams audio as it is synthesised)
WRITE_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 5.0

_WS = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_HTTP = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


@dataclass(frozen=True)
class Upstream:
    """One upstream host: its REST and WebSocket bases, without a trailing slash."""

    http: str
    ws: str

    @property
    def netloc(self) -> str:
        return urlsplit(self.http).netloc


def upstream_from(url: str, option: str) -> Upstream:
    """`https://host[:port][/prefix]` (or ws/wss) -> both bases; anything else is a ConfigError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _WS or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("command line", option, f"not a base URL: {url!r}",
                          "give a base URL such as https://api.deepgram.com or http://127.0.0.1:8080, or `fake`")
    prefix = parts.path.rstrip("/")
    return Upstream(http=f"{_HTTP[parts.scheme]}://{parts.netloc}{prefix}",
                    ws=f"{_WS[parts.scheme]}://{parts.netloc}{prefix}")


@dataclass(frozen=True)
class ProxySettings:
    host: str = "127.0.0.1"
    port: int = 8089
    upstream: str = DEFAULT_UPSTREAM  # a base URL or "fake"
    agent_upstream: str | None = None  # None: the default agent host, or the fake when upstream is the fake
    json_log: Path | None = None
    record: Path | None = None
    accounts: Path | None = None  # accounts.toml: cassettes filed under its aliases (record.py)
    report_dir: Path | None = Path("reports")
    color: bool = False
    quiet: bool = False  # no terminal lines (the benchmark)
