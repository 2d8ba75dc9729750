"""Where probes go. Modes differ only here (and in the cassette context), never in the probe code."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..secrets import contains_secret_shape

LIVE_REST = "https://api.deepgram.com"
LIVE_WS = "wss://api.deepgram.com"
LIVE_AGENT = "wss://agent.deepgram.com"


@dataclass(frozen=True)
class Target:
    """Base URLs for REST, WebSocket and the voice-agent host, without trailing slashes."""

    rest: str
    ws: str
    agent: str

    def base_for(self, transport: str, host: str) -> str:
        if transport == "http":
            return self.rest
        return self.agent if host == "agent" else self.ws

    @property
    def is_loopback(self) -> bool:
        return all(is_loopback_url(u) for u in (self.rest, self.ws, self.agent))

    def as_dict(self) -> dict[str, str]:
        return {"rest": self.rest, "ws": self.ws, "agent": self.agent}


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ws_from_http(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


def http_from_ws(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


def target_from_base_url(base_url: str, option: str = "--dg-base-url") -> Target:
    """One base URL serves all three roles: regional, dedicated and self-hosted hosts serve the agent
    on the same host (there is no agent.eu.deepgram.com).

    A bad value is never echoed back: a user who pasted a key into the URL must not see it printed."""
    if not isinstance(base_url, str):
        raise ConfigError(option, "<base url>", "not a base URL (not text)", "give e.g. https://api.eu.deepgram.com")
    text = base_url.strip()
    if len(text) > 2048 or any(not (0x21 <= ord(ch) <= 0x7E) for ch in text):
        raise ConfigError(option, "<base url>", "not a base URL (too long, or spaces or non-ASCII characters)",
                          "give scheme and host, e.g. https://api.eu.deepgram.com")
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ConfigError(option, "<base url>", "not a base URL (bad host or port; a port is 1-65535)",
                          "give scheme, host and optional port, e.g. http://127.0.0.1:8080") from None
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc or not host:
        raise ConfigError(option, "<base url>", "not a base URL (value not shown)",
                          "give scheme and host, e.g. https://api.eu.deepgram.com")
    if port == 0:
        raise ConfigError(option, "<base url>", "not a base URL (port 0)", "a port is 1-65535")
    if parts.query or parts.fragment or "@" in parts.netloc or "token" in text.lower() or contains_secret_shape(text):
        raise ConfigError(option, "<base url>", "a base URL must not carry a query string or credential",
                          "pass the key in DEEPGRAM_API_KEY; it is sent in the Authorization header")
    if parts.path not in ("", "/"):
        raise ConfigError(option, "<base url>", "a base URL has no path (value not shown)",
                          "drop the path: the suite adds /v1/...")
    http_base = http_from_ws(f"{parts.scheme}://{parts.netloc}")
    ws_base = ws_from_http(http_base)
    return Target(rest=http_base, ws=ws_base, agent=ws_base)


LIVE_TARGET = Target(LIVE_REST, LIVE_WS, LIVE_AGENT)
