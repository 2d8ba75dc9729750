"""Keys enter once, live in a type that cannot print itself, and every artifact passes one scrubber.

A real Deepgram key is 40 hex characters and a temporary token is a JWT; both are recognised by
shape as well as by value, so a secret we were never told about is still caught on its way out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

REAL_KEY_SHAPE = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
AUTH_VALUE = re.compile(
    r"(?i)((?:authorization|sec-websocket-protocol)[\"']?\s*[:=]\s*[\"']?(?:token|bearer)(?:\s+|\s*,\s*))"
    r"(?!\[redacted)([^\s\"',;]+)"
)
QUERY_SECRET = re.compile(r"(?i)([?&](?:token|access_token|key|api_key|apikey)=)([^&#\s\"']+)")


def fingerprint(secret: str) -> str:
    """A stable, non-reversible label: enough to tell two keys apart, nothing to use."""
    return "key#" + hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class ApiKey:
    """A credential whose repr and str are a fingerprint, so it cannot leak through a log or a report."""

    _value: str = field(repr=False)
    source: str = "unknown"

    def reveal(self) -> str:
        """Only the probe runner calls this, to build the Authorization header."""
        return self._value

    @property
    def fingerprint(self) -> str:
        return fingerprint(self._value)

    def __str__(self) -> str:
        return self.fingerprint

    def __repr__(self) -> str:
        return f"ApiKey({self.fingerprint}, source={self.source!r})"


def looks_like_real_key(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{40}", value))


class Scrubber:
    """Replaces known secrets by their fingerprint and secret-shaped text by a marker."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: dict[str, str] = {}
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6:
            self._secrets[secret] = f"[redacted {fingerprint(secret)}]"

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._secrets[secret])
        text = JWT_SHAPE.sub("[redacted jwt]", text)
        text = REAL_KEY_SHAPE.sub("[redacted key]", text)
        text = QUERY_SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
        return AUTH_VALUE.sub(lambda m: m.group(1) + "[redacted]", text)

    def scrub_bytes(self, data: bytes) -> bytes:
        return self.scrub(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


_GLOBAL = Scrubber()


def register_secret(secret: str | None) -> None:
    """Every key and token the process learns is registered here, once."""
    _GLOBAL.add(secret)


def scrub(text: str) -> str:
    return _GLOBAL.scrub(text)


def global_scrubber() -> Scrubber:
    return _GLOBAL
