"""Observation off the relay's path: finished exchanges are judged by a background task, a slice at a time.

A relay's only cost when an exchange ends is an append to a bounded queue. Parsing a long stream's kept
messages (up to MAX_FRAMES JSON documents) and judging it take milliseconds; done inline they would hold
up every other stream's messages for that long (measured: 7 ms to parse 1000 Results, 3 ms to judge). The
background task parses a slice, yields to the relays, parses the next; then the judgement, the terminal
line, the JSON log line and the cassette entry follow, in the order the exchanges ended.

Bounded: when PENDING_LIMIT exchanges wait (the observer cannot keep up), the relay that finishes judges
its own exchange inline: nothing is dropped and memory stays bounded, at the cost of that one stall.
Nothing is lost at exit either: `close()` drains the queue inside the loop, `flush()` (called by the
server after the loop has stopped) judges whatever a cancelled task left, including a half-parsed one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from .exchange import Exchange, Tap
from .settings import CLOSE_TIMEOUT_S

PENDING_LIMIT = 1024  # finished exchanges waiting to be judged (each holds at most MAX_FRAMES messages)
PARSE_SLICE = 64  # kept messages parsed between two yields to the relays (~0.5 ms)

Finished = Callable[[Tap], None]


class Observer:
    """Takes finished taps from the relays (`finished`) and hands their Exchange to `done`, later."""

    def __init__(self, done: Callable[[Exchange], None], limit: int = PENDING_LIMIT) -> None:
        self._done = done
        self._limit = limit
        self._pending: deque[Tap] = deque()
        self._current: Tap | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Inside the proxy's event loop (ASGI lifespan startup). Before it, exchanges are judged inline."""
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="dg-proxy-observer")

    def finished(self, tap: Tap) -> None:
        """Called by a relay when its exchange ends: O(1), never waits."""
        if self._wake is None or self._task is None or self._task.done() or len(self._pending) >= self._limit:
            self._judge(tap)
            return
        self._pending.append(tap)
        self._wake.set()

    def _judge(self, tap: Tap) -> None:
        self._done(tap.freeze())

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                tap = self._current = self._pending.popleft()
                try:
                    while not tap.parse_frames(PARSE_SLICE):
                        await asyncio.sleep(0)
                    self._current = None
                    self._judge(tap)
                except Exception as exc:  # one bad exchange must not stop the judging of the next ones
                    self._current = None
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": "dg-entitlements proxy: judging an exchange failed", "exception": exc})
                await asyncio.sleep(0)

    async def close(self) -> None:
        """Judge what is queued (bounded by CLOSE_TIMEOUT_S; `flush` does the rest), then stop the task."""
        deadline = asyncio.get_running_loop().time() + CLOSE_TIMEOUT_S
        while (self._pending or self._current is not None) and asyncio.get_running_loop().time() < deadline:
            if self._task is None or self._task.done():
                break
            await asyncio.sleep(0.001)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        self._task = None

    def flush(self) -> None:
        """Judge, synchronously, whatever is left (after the event loop stopped, before the report)."""
        if self._current is not None:
            tap, self._current = self._current, None
            self._judge(tap)
        while self._pending:
            self._judge(self._pending.popleft())
