"""Read what came back into plain data: bounded bodies, allow-listed headers, secrets removed.

Shared by the HTTP probe and the WebSocket handshake rejection, which carry the same three body
shapes. Secret-bearing fields (a JWT from /v1/auth/grant, a created key) are replaced here, before
anything downstream can see them, and every kept string is scrubbed BEFORE it is cut to its bound
(a key cut in half is no longer recognisable by the scrubber).

Besides Deepgram's own headers, the headers that tell who answered are kept (bounded): `location`
(a redirect), `server`, `via`, `x-cache`, `cf-ray`, `x-amzn-requestid` (a CDN, a load balancer),
`proxy-authenticate` and `www-authenticate` (a proxy or a gateway asking for its own credentials):
the verdict reads them to tell Deepgram's answer from a middlebox's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..secrets import bounded, global_scrubber, normalise_literal, register_secret, scrub
from .timeouts import MAX_HEADER_VALUE_CHARS, MAX_KEPT_BODY_BYTES

HEADER_ALLOW = (
    "dg-request-id", "dg-error", "dg-project-id", "dg-model-name", "dg-model-uuid", "dg-char-count",
    "dg-additional-model-uuids", "content-type", "retry-after", "sec-websocket-protocol", "request-id",
    "x-dg-request-id",
    # who answered (a redirect, a proxy, a CDN, a WAF, a gateway)
    "location", "server", "via", "proxy-authenticate", "www-authenticate", "x-cache", "cf-ray", "x-amzn-requestid",
)
SECRET_FIELDS = frozenset({"access_token", "key", "token", "api_key", "jwt"})
MAX_TEXT = 4000
MAX_JSON_BYTES = MAX_KEPT_BODY_BYTES


def allowed_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low in HEADER_ALLOW and low not in out:
            out[low] = bounded(str(value), MAX_HEADER_VALUE_CHARS)
    return out


def redact_secrets(value: Any, source: str | None = None) -> Any:
    """Replace secret-bearing JSON fields by a marker (registering the secret for the scrubber too),
    then scrub every string in one pass, so no later truncation can cut a secret in half.

    One pass over the canonical JSON text, not one scrub call per string: a model list holds
    thousands of strings, and per-string calls made parsing it the run's most expensive step.
    `source`, the JSON text the value was parsed from, lets the walk over every container be skipped
    when no secret-bearing field name can be in it (`may_name_a_secret_field`)."""
    marked = value if source is not None and not may_name_a_secret_field(source) else _mark_secret_fields(value)
    if isinstance(marked, str):
        return bounded(marked, MAX_JSON_BYTES)
    if not isinstance(marked, dict | list):
        return marked
    text = json.dumps(marked, ensure_ascii=False)
    clean = scrub(text)
    return marked if clean == text else json.loads(clean)


def may_name_a_secret_field(source: str) -> bool:
    """False only when the JSON text cannot hold a field named as in SECRET_FIELDS: none of the names,
    in quotes, in its lower-cased text, and no `\\u` escape (which could spell one). Why: a model list
    is tens of thousands of containers, and walking them all to find no token cost more than parsing it."""
    low = source.lower()  # the same lower() the walk applies to each name
    return "\\u" in source or any(f'"{name}"' in low for name in SECRET_FIELDS)


def _mark_secret_fields(value: Any) -> Any:
    """The value with every secret-bearing field replaced; the very same object when it has none (a
    model list is tens of thousands of containers: copying it for nothing doubled what one answer
    allocated, and what the garbage collector then had to walk)."""
    if isinstance(value, dict):
        out: dict[Any, Any] | None = None
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in SECRET_FIELDS and isinstance(v, str):
                learn_secret(v)
                new: Any = "[redacted]"
            else:
                new = _mark_secret_fields(v)
            if new is not v and out is None:
                out = dict(value)
            if out is not None:
                out[k] = new
        return value if out is None else out
    if isinstance(value, list):
        items = [_mark_secret_fields(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def learn_secret(value: str) -> None:
    """A secret read from an answer (a grant's token, a created key), registered for the scrubber as
    it was sent; its normalised form too (secrets.register_secret) only when that differs by more than
    letter case. Why: a lower-cased copy of a case-sensitive token only adds hex and base64 forms of a
    text the tool never writes (the token's own forms already match in any case), and each registered
    token costs the scrubber a large pattern to compile: with 300 tokens in a run, the copies were a
    third of its patterns and of the time and memory spent compiling them."""
    if normalise_literal(value) != value.strip().lower() or value != value.strip():
        register_secret(value)
    else:
        global_scrubber().add(value)


def parse_body(raw: bytes, content_type: str | None) -> tuple[Any, str]:
    """(body, kind): JSON parsed, text bounded, audio and other binary summarised as None."""
    if not raw:
        return None, "empty"
    ctype = (content_type or "").lower()
    looks_json = raw[:1] in (b"{", b"[")
    if ("json" in ctype or looks_json) and len(raw) <= MAX_JSON_BYTES:
        try:
            text = raw.decode(json.detect_encoding(raw), "surrogatepass")  # as json.loads(bytes) reads it
            return redact_secrets(json.loads(text), text), "json"
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass
    if ctype.startswith(("audio/", "application/octet-stream")):
        return None, "binary"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "binary"
    return bounded(text, MAX_TEXT), "text"


def parse_frame_text(text: str) -> Any:
    try:
        return redact_secrets(json.loads(text), text)
    except (ValueError, RecursionError):
        return bounded(text, MAX_TEXT)
