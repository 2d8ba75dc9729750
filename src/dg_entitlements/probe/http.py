"""One HTTP try: httpx is the seam (vcrpy patches it in replay and record modes).

The whole try (connect, headers, body) runs under one deadline, and the body is read in chunks up
to a byte bound (probe/timeouts.py): a server that sends its headers one byte at a time, a body that
never ends or a slow body cannot keep a run alive or grow its memory. Redirects are never followed:
a 3xx is recorded as the answer, with its `location`.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast
from urllib.parse import urlsplit

import httpx

from ..secrets import ApiKey
from .answers import allowed_headers, parse_body
from .errors import describe, network_error_kind
from .request import ProbeRequest
from .timeouts import MAX_ERROR_BODY_BYTES, MAX_KEPT_BODY_BYTES, MAX_READ_BODY_BYTES, Timeouts
from .tryresult import BodyKind, TryResult

USER_AGENT = "dg-entitlements/0.1"


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


def make_client(timeouts: Timeouts, loopback: bool, concurrency: int) -> httpx.AsyncClient:
    """One client per run: connection reuse matters for hundreds of probes; proxies only off loopback."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=timeouts.connect_s, read=timeouts.read_s, write=timeouts.read_s,
                              pool=timeouts.connect_s + timeouts.read_s),
        trust_env=not loopback,
        limits=httpx.Limits(max_connections=max(concurrency, 1) * 2, max_keepalive_connections=max(concurrency, 1)),
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
                   limit_s: float | None = None) -> TryResult:
    """One try's answer; never raises for network trouble and never runs past `limit_s` (default:
    client's Timeouts.attempt_s via the caller)."""
    headers = auth_headers(req, key)
    if req.content_type:
        headers["Content-Type"] = req.content_type
    started = time.perf_counter()
    answered_by = host_port(req.url)
    deadline = limit_s if limit_s is not None else Timeouts().attempt_s
    phase = "read"  # headers or body: "timeout:read" (httpx names a connect timeout itself)
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(req.method, req.url, content=req.body or None, headers=headers) as response:
                raw, size, stopped = await read_bounded(response)
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        if isinstance(exc, httpx.ConnectTimeout):
            phase = "connect"
        return TryResult.failed(network_error_kind(exc, phase), describe(exc),
                                (time.perf_counter() - started) * 1000, answered_by)
    latency = (time.perf_counter() - started) * 1000
    ctype = response.headers.get("content-type")
    oversized = stopped and response.is_success
    body, kind = parse_body(raw, ctype) if not oversized else (None, "binary")
    return TryResult(
        status=response.status_code, latency_ms=latency, answered_by=answered_by,
        headers=allowed_headers(response.headers.items()), body=body,
        body_kind=cast(BodyKind, kind),  # parse_body names one of the four kinds
        body_size=size, content_type=ctype,
        error="oversized:body" if oversized else None,
        error_detail=f"the body did not end within {size} bytes; reading stopped there" if oversized else None,
    )
