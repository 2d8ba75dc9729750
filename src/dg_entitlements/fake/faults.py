"""Injected misbehaviour: latency, a share of 5xx, a reset connection, a route that never answers,
a slow close. Deterministic, so a test that sees a fault sees it every run."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import math
import socket
import struct
from typing import Any

from .call import Call
from .errors import DgError, server_error, too_many


def latency_s(call: Call) -> float:
    """Server-wide latency plus the account's own, added before every answer."""
    ms = call.state.config.server.latency_ms
    if call.faults is not None:
        ms += call.faults.latency_ms
    return ms / 1000.0


async def delay(call: Call) -> None:
    seconds = latency_s(call)
    if seconds > 0:
        await asyncio.sleep(seconds)


def never_answers(call: Call) -> bool:
    faults = call.faults
    return faults is not None and any(fnmatch.fnmatchcase(call.path, g) for g in faults.never_answer)


def injected_error(call: Call) -> DgError | None:
    """The forced 429 or the n-th 5xx for this account, else None.

    The 5xx share is spread evenly: request k (from 1) fails when floor(k*rate) > floor((k-1)*rate),
    so rate 0.25 fails exactly the 4th, 8th, ... request; no RNG, no flaky tests."""
    faults = call.faults
    account = call.account
    if faults is None or account is None:
        return None
    if faults.rate_limit:
        return too_many(tts=call.path.endswith("/speak"), retry_after_s=faults.retry_after_s)
    if faults.error_rate_5xx > 0:
        counts = call.state.fault_counts
        counts[account.alias] += 1
        k = counts[account.alias]
        if math.floor(k * faults.error_rate_5xx) > math.floor((k - 1) * faults.error_rate_5xx):
            return server_error(faults.status_5xx)
    return None


def reset_connection(receive: Any) -> bool:
    """Drop the TCP connection under an ASGI request with an RST, as a load balancer mid-handshake would.

    uvicorn does not expose the transport in the scope; its `receive` is a bound method of the
    protocol object that owns it. Returns False when that is not available (another server)."""
    owner = getattr(receive, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


async def hang_forever() -> None:
    """The deliberate never_answer fault: the only unbounded await in the server. Server shutdown
    cancels it."""
    await asyncio.Event().wait()
