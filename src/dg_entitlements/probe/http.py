"""One HTTP try: httpx is the seam (vcrpy patches it in replay and record modes).

The whole try (connect, headers, body) runs under one deadline, and the body is read in chunks up
to a byte bound (probe/timeouts.py): a server that sends its headers one byte at a time, a body that
never ends or a slow body cannot keep a run alive or grow its memory. Redirects are never followed:
a 3xx is recorded as the answer, with its `location`. What was read is turned into a TryResult
(headers filtered, body parsed and scrubbed) on the run's reading thread (probe/offload.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

from ..secrets import ApiKey
from .answers import allowed_headers, parse_body
from .errors import describe, network_error_kind
from .offload import off_loop
from .request import ProbeRequest
from .timeouts import MAX_ERROR_BODY_BYTES, MAX_KEPT_BODY_BYTES, MAX_READ_BODY_BYTES, Timeouts
from .tryresult import BodyKind, TryResult

USER_AGENT = "dg-entitlements/0.1"


def _sniffio_absent_once() -> None:
    """httpcore runs `import sniffio` each time it makes a lock or an event (several per request).
    With sniffio not installed, each of those failed imports searched sys.path again (stat calls,
    ~40 us: 14% of the event loop's time in a profile of 1,230 cells). Recording the absence once
    (a None entry, Python's own way of saying "no such module") makes the failed import immediate;
    httpcore then assumes asyncio exactly as before. Nothing changes when sniffio is installed."""
    try:
        import sniffio  # noqa: F401
    except ImportError:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


_sniffio_absent_once()


def auth_headers(req: ProbeRequest, key: ApiKey | None) -> dict[str, str]:
    """The key goes in the Authorization header, never in a URL."""
    headers = dict(req.headers)
    if req.auth and key is not None and req.auth_via == "header":
        headers["Authorization"] = " ".join(p for p in (req.auth_scheme, key.reveal()) if p)
    return headers


def subprotocols(req: ProbeRequest, key: ApiKey | None) -> list[str] | None:
    """The browser form: the scheme word and the credential as two offered subprotocols."""
    if req.auth and key is not None and req.auth_via == "subprotocol":
        return [p for p in (req.auth_scheme.lower(), key.reveal()) if p]
    return None


def host_port(url: str) -> str | None:
    """'host:port' of a URL (default port filled in): who answered a request sent to it."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    return f"{parts.hostname}:{port}" if port else parts.hostname


@functools.lru_cache(maxsize=4)
def _tls(trust_env: bool, cafile: str | None, capath: str | None) -> ssl.SSLContext:
    del cafile, capath  # part of the cache key only: httpx reads them from the environment itself
    return httpx.create_ssl_context(trust_env=trust_env)


def tls_context(trust_env: bool) -> ssl.SSLContext:
    """httpx's own default TLS context, made once per process (and per certificate environment):
    loading the CA bundle took ~36 ms of the event loop's thread for every client made."""
    env = os.environ if trust_env else {}
    return _tls(trust_env, env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR"))


# Idle connections kept for reuse on loopback (the fake, replay). httpcore polls every idle pooled
# connection (a poll and a getpeername call each) whenever it hands out a request, so a crowd of idle
# connections costs the event loop more than the loopback connections it saves: at 12,300 cells with
# 32 kept, that polling was the loop's largest cost (loop lag p99 43 ms; 29 ms with 8 kept). Off
# loopback every slot stays reusable: a new connection there is a TLS handshake.
LOOPBACK_KEEPALIVE = 8


def make_client(timeouts: Timeouts, loopback: bool, concurrency: int) -> httpx.AsyncClient:
    """One client per run: connection reuse matters for hundreds of probes; proxies only off loopback."""
    slots = max(concurrency, 1)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=timeouts.connect_s, read=timeouts.read_s, write=timeouts.read_s,
                              pool=timeouts.connect_s + timeouts.read_s),
        verify=tls_context(not loopback),
        trust_env=not loopback,
        limits=httpx.Limits(max_connections=slots * 2,
                            max_keepalive_connections=min(slots, LOOPBACK_KEEPALIVE) if loopback else slots),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def body_limits(status: int) -> tuple[int, int]:
    """(bytes kept, bytes read at most) for a status: error pages are small, audio is counted."""
    if status >= 300 or status < 200:
        return MAX_ERROR_BODY_BYTES, MAX_ERROR_BODY_BYTES
    return MAX_KEPT_BODY_BYTES, MAX_READ_BODY_BYTES


async def read_bounded(response: httpx.Response) -> tuple[bytes, int, bool]:
    """(kept bytes, bytes read, stopped early): keep what a verdict needs, count the rest, stop at the bound."""
    keep, read_max = body_limits(response.status_code)
    kept = bytearray()
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if len(kept) < keep:
            kept += chunk[:keep - len(kept)]
        if total >= read_max:
            return bytes(kept), total, True
    return bytes(kept), total, False


async def http_try(client: httpx.AsyncClient, req: ProbeRequest, key: ApiKey | None,
                   limit_s: float | None = None, on_sent: Callable[[], None] | None = None) -> TryResult:
    """One try's answer; never raises for network trouble and never runs past `limit_s` (default:
    client's Timeouts.attempt_s via the caller). `on_sent` is called once the request is on the wire."""
    headers = auth_headers(req, key)
    if req.content_type:
        headers["Content-Type"] = req.content_type
    started = time.perf_counter()
    answered_by = host_port(req.url)
    deadline = limit_s if limit_s is not None else Timeouts().attempt_s
    phase = "read"  # headers or body: "timeout:read" (httpx names a connect timeout itself)
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(req.method, req.url, content=req.body or None, headers=headers,
                                     extensions=_sent_trace(on_sent)) as response:
                raw, size, stopped = await read_bounded(response)
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        if isinstance(exc, httpx.ConnectTimeout):
            phase = "connect"
        return await off_loop(functools.partial(failed_try, exc, phase, (time.perf_counter() - started) * 1000,
                                                answered_by))
    latency = (time.perf_counter() - started) * 1000
    items = list(response.headers.items())
    return await off_loop(functools.partial(read_answer, response.status_code, items, raw, size, stopped, latency,
                                            answered_by))


_REQUEST_SENT = ("http11.send_request_body.complete", "http2.send_request_body.complete")


def _sent_trace(on_sent: Callable[[], None] | None) -> dict[str, Any]:
    """httpx's per-request trace hook, reporting the moment the request has been sent (httpcore names
    its steps; the body step completes for a request without a body too)."""
    if on_sent is None:
        return {}

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _REQUEST_SENT:
            on_sent()

    return {"trace": trace}


def failed_try(exc: BaseException, phase: str, latency_ms: float, answered_by: str | None) -> TryResult:
    """No answer: the kind of failure and its (scrubbed, bounded) description."""
    return TryResult.failed(network_error_kind(exc, phase), describe(exc), latency_ms, answered_by)


def read_answer(status: int, header_items: Sequence[tuple[str, str]], raw: bytes, size: int, stopped: bool,
                latency_ms: float, answered_by: str | None) -> TryResult:
    """What an HTTP answer said, as plain data: allow-listed headers, the body parsed and scrubbed (pure:
    CPU only, so it runs on the reading thread)."""
    ctype = next((v for k, v in header_items if k.lower() == "content-type"), None)
    oversized = stopped and 200 <= status < 300
    body, kind = parse_body(raw, ctype) if not oversized else (None, "binary")
    return TryResult(
        status=status, latency_ms=latency_ms, answered_by=answered_by,
        headers=allowed_headers(header_items), body=body,
        body_kind=cast(BodyKind, kind),  # parse_body names one of the four kinds
        body_size=size, content_type=ctype,
        error="oversized:body" if oversized else None,
        error_detail=f"the body did not end within {size} bytes; reading stopped there" if oversized else None,
    )
