"""One HTTP try: httpx is the seam (vcrpy patches it in replay and record modes)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ..secrets import ApiKey
from .answers import allowed_headers, parse_body
from .errors import describe, network_error_kind
from .request import ProbeRequest
from .timeouts import Timeouts

USER_AGENT = "dg-entitlements/0.1"


def auth_headers(req: ProbeRequest, key: ApiKey | None) -> dict[str, str]:
    """The key goes in the Authorization header, never in a URL."""
    return {"Authorization": f"{req.auth_scheme} {key.reveal()}"} if (req.auth and key is not None) else {}


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


async def http_try(client: httpx.AsyncClient, req: ProbeRequest, key: ApiKey | None) -> dict[str, Any]:
    """Fields of an Observation for one try; never raises for network trouble."""
    headers = auth_headers(req, key)
    if req.content_type:
        headers["Content-Type"] = req.content_type
    started = time.perf_counter()
    try:
        response = await client.request(req.method, req.url, content=req.body or None, headers=headers)
        raw = await response.aread()
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        return {"status": None, "error": network_error_kind(exc, "read"), "error_detail": describe(exc),
                "latency_ms": (time.perf_counter() - started) * 1000}
    latency = (time.perf_counter() - started) * 1000
    ctype = response.headers.get("content-type")
    body, kind = parse_body(raw, ctype)
    return {
        "status": response.status_code, "headers": allowed_headers(response.headers.items()), "body": body,
        "body_kind": kind, "body_size": len(raw), "content_type": ctype, "latency_ms": latency,
    }
