"""The REST relay: the app's request goes upstream as sent, the answer streams back as it arrives.

httpx streams both bodies (the upload chunk by chunk, the answer with `aiter_raw`, so a gzip body and a
TTS audio stream pass through byte for byte, as they come). Hop-by-hop headers are the only ones
dropped (RFC 9110 7.6.1); `Host` becomes the upstream's. A network failure upstream is answered 502 with
a plain-text body naming the proxy, so nobody mistakes it for Deepgram.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from .exchange import Tap
from .observe import Finished

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade", "host"})
PROXY_HEADER = "x-dg-entitlements-proxy"


def forward_headers(raw: list[tuple[bytes, bytes]], drop: frozenset[str] = HOP_BY_HOP) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k.decode("latin-1").lower() not in drop]


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "timeout:connect"
    if isinstance(exc, httpx.ReadTimeout):
        return "timeout:read"
    if isinstance(exc, httpx.WriteTimeout):
        return "timeout:write"
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectError):
        if "name" in text and ("resolution" in text or "known" in text):
            return "dns"
        if "ssl" in text or "certificate" in text:
            return "tls"
        return "refused"
    return "reset"


async def _upload(request: Request, tap: Tap) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            tap.request_chunk(chunk)
            yield chunk


async def relay_http(request: Request, tap: Tap, client: httpx.AsyncClient, finished: Finished) -> Response:
    headers = forward_headers(request.headers.raw)
    has_body = any(k.lower() in ("content-length", "transfer-encoding") for k, _ in
                   forward_headers(request.headers.raw, frozenset()))
    content = _upload(request, tap) if has_body else None
    upstream_request = client.build_request(request.method, tap.upstream_url, headers=headers, content=content)
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        tap.failed(error_kind(exc), f"{type(exc).__name__}: {exc}")
        finished(tap)
        return PlainTextResponse(f"dg-entitlements proxy: no answer from upstream ({tap.error})\n", status_code=502,
                                 headers={PROXY_HEADER: "upstream-error"})
    raw_headers = [(k, v) for k, v in upstream.headers.raw if k.decode("latin-1").lower() not in HOP_BY_HOP]
    tap.answered(upstream.status_code, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers])

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                tap.body_chunk(chunk)
                yield chunk
        except httpx.HTTPError as exc:
            tap.failed(error_kind(exc), f"{type(exc).__name__} while streaming the body: {exc}")
        finally:
            await upstream.aclose()
            # Judged after the response is complete (the observer runs on a later turn of the loop).
            finished(tap)

    response = StreamingResponse(body(), status_code=upstream.status_code)
    response.raw_headers = list(raw_headers)
    return response
