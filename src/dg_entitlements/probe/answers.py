"""Read what came back into plain data: bounded bodies, allow-listed headers, secrets removed.

Shared by the HTTP probe and the WebSocket handshake rejection, which carry the same three body
shapes. Secret-bearing fields (a JWT from /v1/auth/grant, a created key) are replaced here, before
anything downstream can see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..secrets import register_secret

HEADER_ALLOW = (
    "dg-request-id", "dg-error", "dg-project-id", "dg-model-name", "dg-model-uuid", "dg-char-count",
    "dg-additional-model-uuids", "content-type", "retry-after", "sec-websocket-protocol", "request-id",
    "x-dg-request-id",
)
SECRET_FIELDS = frozenset({"access_token", "key", "token", "api_key", "jwt"})
MAX_TEXT = 4000
MAX_JSON_BYTES = 256 * 1024


def allowed_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low in HEADER_ALLOW and low not in out:
            out[low] = value[:500]
    return out


def redact_secrets(value: Any) -> Any:
    """Replace secret-bearing JSON fields by a marker, registering the secret for the scrubber too."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.lower() in SECRET_FIELDS and isinstance(v, str):
                register_secret(v)
                out[k] = "[redacted]"
            else:
                out[k] = redact_secrets(v)
        return out
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def parse_body(raw: bytes, content_type: str | None) -> tuple[Any, str]:
    """(body, kind): JSON parsed, text bounded, audio and other binary summarised as None."""
    if not raw:
        return None, "empty"
    ctype = (content_type or "").lower()
    looks_json = raw[:1] in (b"{", b"[")
    if ("json" in ctype or looks_json) and len(raw) <= MAX_JSON_BYTES:
        try:
            return redact_secrets(json.loads(raw)), "json"
        except (ValueError, UnicodeDecodeError):
            pass
    if ctype.startswith(("audio/", "application/octet-stream")):
        return None, "binary"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "binary"
    return text[:MAX_TEXT], "text"


def parse_frame_text(text: str) -> Any:
    try:
        return redact_secrets(json.loads(text))
    except ValueError:
        return text[:MAX_TEXT]
