"""Injected misbehaviour: latency, a share of 5xx, a reset connection, a route that never answers,
a slow close. Deterministic, so a test that sees a fault sees it every run."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import math
import socket
import struct
from collections.abc import Awaitable, Callable
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


class ResetConnection(Exception):
    """The reset_handshake fault: the caller drops the TCP connection instead of answering."""


async def _injected_error(call: Call) -> None:
    injected = injected_error(call)
    if injected is not None:
        raise injected


async def _reset_handshake(call: Call) -> None:
    if call.faults is not None and call.faults.reset_handshake:
        raise ResetConnection()


async def _never_answer(call: Call) -> None:
    if never_answers(call):
        await hang_forever()


# The faults that act when a request has passed every check, in order. dispatch.admit runs them all,
# so a new one is added here (and to APPLIED_IN), never as a by-name branch in the order of checks.
ADMISSION_FAULTS: tuple[Callable[[Call], Awaitable[None]], ...] = (_injected_error, _reset_handshake, _never_answer)


async def at_admission(call: Call) -> None:
    """Raise DgError or ResetConnection, or hang, as the account's faults say; else return."""
    for fault in ADMISSION_FAULTS:
        await fault(call)


# Where each field of config.Faults takes effect. tests/fake/test_faults.py checks this covers every
# field, so a fault cannot be added to the config and then silently do nothing.
APPLIED_IN: dict[str, str] = {
    "latency_ms": "faults.delay, before every answer",
    "error_rate_5xx": "faults.injected_error, at admission",
    "status_5xx": "faults.injected_error, at admission",
    "rate_limit": "faults.injected_error, at admission",
    "retry_after_s": "errors.too_many, on every 429 of the account",
    "reset_handshake": "faults._reset_handshake, at admission",
    "never_answer": "faults._never_answer, at admission",
    "slow_close_ms": "ws.Channel.close, before a server-initiated close",
    "malformed_error_body": "errors.render, on every error body",
    "plain_text_errors": "errors.render, on every error body",
}


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
