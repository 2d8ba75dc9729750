"""Name a network failure by its kind: the verdict and the diagnosis read the kind, not the text."""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx
from websockets.exceptions import InvalidHandshake, InvalidMessage

from ..secrets import bounded


def network_error_kind(exc: BaseException, phase: str) -> str:
    """'timeout:<phase>', 'refused', 'reset', 'dns', 'tls' or 'network'."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException)):
        return f"timeout:{phase}"
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 6:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for item in chain:
        if isinstance(item, socket.gaierror):
            return "dns"
        if isinstance(item, ssl.SSLError):
            return "tls"
        if isinstance(item, ConnectionRefusedError):
            return "refused"
        if isinstance(item, (ConnectionResetError, BrokenPipeError, EOFError, InvalidMessage)):
            return "reset"
        if isinstance(item, (TimeoutError, asyncio.TimeoutError)):
            return f"timeout:{phase}"
    text = str(exc).lower()
    if "name or service not known" in text or "nodename" in text or "getaddrinfo" in text:
        return "dns"
    if "refused" in text:
        return "refused"
    if "ssl" in text or "certificate" in text:
        return "tls"
    if isinstance(exc, (httpx.RemoteProtocolError, InvalidHandshake)) or "reset" in text or "closed" in text:
        return "reset"
    return "network"


def describe(exc: BaseException) -> str:
    """One line for the evidence: the exception's type and message, bounded."""
    msg = str(exc) or exc.__class__.__name__
    return bounded(f"{exc.__class__.__name__}: {msg}", 300)  # scrubbed before cut: a URL may carry a key
