"""The run's critical path goes on the wire first; the burst of other probes follows.

Why: a cell under /v1/projects/{id} waits for the project id, so the run cannot end before two answers
in a row (the project listing, then that cell), whatever the concurrency. When every probe starts at
the same moment, the listing's request leaves behind a hundred others: each is built, connected and
sent before it, and a server on the same machine (the embedded fake) reads them all before it reads
the listing. Measured on the shipped 123-cell matrix with 300 ms per answer: the listing reached the
fake 70 ms after the run started, and the run took 0.80-0.85 s; with the other probes started once
the listing was sent, 0.70 s (benchmarks/run.py, probing phase).

The other probes wait until the critical path's first group of requests has been sent, or at most
MAX_WAIT_S (a remote host whose TLS handshake is slow delays them no longer than that), or until the
critical path has nothing to send. A pure bookkeeping object over one asyncio.Event: the probes
report "sent" through the runner's `on_sent` callback (httpx's trace hook for HTTP, the start of the
handshake for a WebSocket).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

MAX_WAIT_S = 0.05


class _Job(Protocol):
    @property
    def ident(self) -> Hashable: ...


class HeadStart:
    """Opens once every request of the first group it watches has been sent (or on `open()`)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._waiting: set[Hashable] = set()

    def watch(self, jobs: Sequence[_Job]) -> Callable[[_Job], None] | None:
        """The `on_sent` callback for a group on the critical path: the first non-empty group watched
        is the one the others wait for; None once open or for an empty group."""
        if self._open.is_set() or self._waiting or not jobs:
            return None
        self._waiting = {job.ident for job in jobs}
        return self._sent

    def _sent(self, job: _Job) -> None:
        self._waiting.discard(job.ident)
        if not self._waiting:
            self._open.set()

    def open(self) -> None:
        """Nothing (more) to wait for: the critical path sent what it had, failed or has nothing."""
        self._open.set()

    async def wait(self, max_wait_s: float = MAX_WAIT_S) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._open.wait(), max_wait_s)
