"""Every network step has a bound; these are them, in one place (the README lists them from here).

Why bounds on everything: a misbehaving server (a proxy, a WAF, a captive portal, a stalled load
balancer) can send headers one byte at a time, a body that never ends, or accept a WebSocket and then
say nothing. Without an overall deadline per try and a byte bound per body, one such answer keeps a
run alive for minutes or grows memory without limit. Each bound below is enforced in the probe code
(probe/http.py, probe/ws.py, probe/runner.py), and the adversarial kit (tests/adversarial/) drives the
CLI against such servers and asserts these very constants.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROBE_S: float = 45.0
"""One probe (every try and every retry sleep of one combination) never runs longer than this."""

MAX_RUN_RETRY_S: float = 120.0
"""All retry sleeps of one run together never exceed this: a broken host cannot stretch a run."""

MAX_ERROR_BODY_BYTES: int = 64 * 1024
"""Bytes of a non-2xx body read and kept (error JSON, proxy/WAF/portal HTML): reading stops there."""

MAX_KEPT_BODY_BYTES: int = 256 * 1024
"""Bytes of a 2xx body kept for the verdict (GET /v1/models JSON is the largest we need)."""

MAX_READ_BODY_BYTES: int = 4 * 1024 * 1024
"""Bytes of a 2xx body read at most (audio past MAX_KEPT_BODY_BYTES is counted and discarded);
past this the try stops reading and records the error `oversized:body` (an endless body)."""

MAX_WS_MESSAGE_BYTES: int = 4 * 1024 * 1024
"""Largest WebSocket message accepted; a larger one ends the stream (websockets' max_size)."""

MAX_HANDSHAKE_BODY_BYTES: int = 64 * 1024
"""Bytes of a refused WebSocket handshake's body kept (websockets itself reads at most 1 MiB)."""

MAX_HEADER_VALUE_CHARS: int = 500
"""Characters of one kept response header value (after secrets are scrubbed, never before)."""


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0  # TCP + TLS
    read_s: float = 10.0  # an HTTP answer, or a WebSocket handshake answer
    frame_window_s: float = 0.3  # how long an accepted stream is read before we close it
    close_s: float = 3.0  # how long the server may take to close after our close message
    max_frames: int = 8  # first server messages kept as evidence

    @property
    def attempt_s(self) -> float:
        """The hard bound for one try, HTTP or WebSocket, whatever stalls (connect, headers, body,
        frames, close): nothing can hang past it. 22.3 s with the defaults."""
        return self.connect_s + self.read_s + self.frame_window_s + 2 * self.close_s + 1.0
