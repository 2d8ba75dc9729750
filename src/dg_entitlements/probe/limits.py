"""Per-project concurrency: many accounts side by side, no project overloaded.

Deepgram's limits are concurrency limits per *project*, not per key or per run ("Rate limits apply
per project, not per account or API key"; docs/deepgram-facts.md, "Rate and concurrency limits").
A run over a hundred accounts therefore wants a wide global bound (the machine) and a narrow bound
per account (its project): with one global semaphore alone, a run of 10,000 combinations on a few
projects sent more streams to one project than it allows and turned healthy cells into 429s.

The window of each account starts at its stream limit and follows AIMD, the rule TCP uses for the
same problem: a 429 halves it (the project told us it is full: fewer probes at once, rather than the
same number retrying), every other answer widens it by one up to the limit again. The decision is a
pure function on a frozen `Window`; `ProjectGates` is the thin asyncio layer that applies it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

# Deepgram's documented concurrent-stream limit for Pay-as-you-go/Growth projects (Nova and Flux
# streaming: 50). Plans differ and versions of the page disagree (docs/deepgram-facts.md), so an
# account sets its own with `stream_limit` (a secondary self-serve project allows 1).
DOCUMENTED_STREAM_LIMIT = 50
TOO_MANY_REQUESTS = 429
URGENT, NORMAL = 0, 1  # where a probe queues, at its project and for the run's slots: urgent first


@dataclass(frozen=True)
class Window:
    """How many probes of one project may be in flight, and the most it may ever be."""

    limit: int
    ceiling: int

    def after(self, status: int | None) -> Window:
        """The window once an answer arrived: halved on 429, one wider on any other answer."""
        if status == TOO_MANY_REQUESTS:
            return replace(self, limit=max(1, self.limit // 2))
        if status is None:  # no answer (timeout, reset): says nothing about the project's limit
            return self
        return replace(self, limit=min(self.ceiling, self.limit + 1))


class _Gate:
    """A semaphore whose size can change: waiters queue by urgency, then in order, and are woken only when
    there is room (never all at once: with thousands of cells on one project that would be O(cells) per
    answer). Urgent waiters (the discovery chain) go first here too: a project's queue full of cells that
    the run's pace holds back must not hold back the cells the run is waiting for."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.in_flight = 0
        self.waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap: (priority, arrival, future)
        self._arrival = itertools.count()

    async def acquire(self, priority: int) -> None:
        _drop_stale(self.waiters)
        if self.in_flight < self.window.limit and not (self.waiters and self.waiters[0][0] <= priority):
            self.in_flight += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiters, (priority, next(self._arrival), future))
        try:
            await future  # the releaser counted us in before waking us
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # woken and cancelled at once: give the place back
            raise  # a cancelled future left in the heap is skipped by `wake`

    def release(self) -> None:
        self.in_flight -= 1
        self.wake()

    def wake(self) -> None:
        while self.waiters and self.in_flight < self.window.limit:
            _, _, future = heapq.heappop(self.waiters)
            if not future.done():
                self.in_flight += 1
                future.set_result(None)


def _drop_stale(waiters: list[tuple[int, int, asyncio.Future[None]]]) -> None:
    """Cancelled waiters at the head of a queue: gone, so they never make a newcomer wait for nothing."""
    while waiters and waiters[0][2].done():
        heapq.heappop(waiters)


class ProjectGates:
    """One window per account, shared by every probe group of a run (cells, evidence, controls)."""

    def __init__(self, limits: Mapping[str, int], default: int = DOCUMENTED_STREAM_LIMIT) -> None:
        self._default = max(1, default)
        self._gates = {alias: _Gate(Window(max(1, n), max(1, n))) for alias, n in limits.items()}
        self.lowest: dict[str, int] = {}  # the narrowest each window became: shown in the run's notes

    def _gate(self, account: str) -> _Gate:
        gate = self._gates.get(account)
        if gate is None:
            gate = self._gates[account] = _Gate(Window(self._default, self._default))
        return gate

    def window(self, account: str) -> Window:
        return self._gate(account).window

    @asynccontextmanager
    async def slot(self, account: str | None, priority: int = NORMAL) -> AsyncIterator[None]:
        """Wait until the account's project has room, hold a place while the probe runs (`priority`: as
        RunSlots', urgent first)."""
        if account is None:
            yield
            return
        gate = self._gate(account)
        await gate.acquire(priority)
        try:
            yield
        finally:
            gate.release()

    def answered(self, account: str | None, status: int | None) -> None:
        """Feed one answer's status into the account's window (called for every try, retries included)."""
        if account is None:
            return
        gate = self._gate(account)
        gate.window = gate.window.after(status)
        if gate.window.limit < gate.window.ceiling:
            self.lowest[account] = min(self.lowest.get(account, gate.window.ceiling), gate.window.limit)
        gate.wake()


class RunSlots:
    """The run's bound on probes in flight (--dg-concurrency), handed out by urgency, then in order.

    Why not an asyncio.Semaphore: it serves whoever came first. The cells under /v1/projects/{id}
    can only queue once GET /v1/projects has answered, so behind a FIFO they waited for every other
    cell to start, and the run waited a whole probe more for them at its end. `URGENT` waiters (the
    discovery chain) take the next free slot; others keep their order.

    `pace` (probe/pace.py) narrows what NORMAL probes may hold below the bound while the machine is
    too busy to keep the event loop on time, and `starts_per_tick` spreads their starts over the pace's
    ticks; URGENT ones are held only to the bound itself.
    """

    URGENT = URGENT
    NORMAL = NORMAL

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.pace = self.size
        self.starts_per_tick: int | None = None  # None: no spreading (no pace is kept)
        self.started = 0  # NORMAL starts since the last tick
        self.in_flight = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap: (priority, arrival, future)
        self._arrival = itertools.count()

    def _room(self, priority: int) -> bool:
        if priority == self.URGENT:
            return self.in_flight < self.size
        spread = self.starts_per_tick is not None and self.started >= self.starts_per_tick
        return self.in_flight < min(self.size, self.pace) and not spread

    def _count_in(self, priority: int) -> None:
        self.in_flight += 1
        if priority != self.URGENT:
            self.started += 1

    @asynccontextmanager
    async def slot(self, priority: int = NORMAL) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    def set_pace(self, limit: int) -> None:
        """How many NORMAL probes may be in flight from now on (those already in flight finish)."""
        self.pace = max(1, limit)
        self._wake()

    def tick(self) -> None:
        """A new tick of the pace: `starts_per_tick` more NORMAL probes may start."""
        self.started = 0
        self._wake()

    async def _acquire(self, priority: int) -> None:
        _drop_stale(self._waiters)
        if self._room(priority) and not (self._waiters and self._waiters[0][0] <= priority):
            self._count_in(priority)  # room, and nobody as urgent queued before us
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrival), future))
        try:
            await future  # the releaser counted us in before waking us
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # woken and cancelled at once: give the slot back
            raise  # a cancelled future left in the heap is skipped by `_wake`

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._room(self._waiters[0][0]):
            priority, _, future = heapq.heappop(self._waiters)
            if not future.done():
                self._count_in(priority)
                future.set_result(None)
