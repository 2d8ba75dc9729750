"""The run's reading thread: CPU work on answers (parse, scrub, judge, diagnose) off the event loop.

Why: the event loop's thread also drives every probe in flight. A 200 KB model list parsed and
scrubbed, the scrubber recompiling its patterns after a token arrived (a second or more with
hundreds of secrets), or thousands of diagnoses at the end of a run, done on that thread, stall
every other probe's clock: loop lag was 250 ms at p99 at 12,300 cells, 3.8 s at worst. Done here,
they hold the GIL only a switch interval at a time while the loop keeps serving its sockets.

One worker thread, not a pool: under the GIL more threads only contend with the loop (and with each
other for the scrubber's lock). Its queue is served by urgency, then in order: work for the run's
critical path (discovery, and the cells that wait for the project id; `urgent()`) does not wait
behind a hundred answers that arrived at the same moment.

Opt-in per run: `reading_thread()` sets the worker for every task of one run (a context variable:
tasks created under it inherit it). Code run outside a run (a test calling `http_try` directly, the
proxy) calls the same functions inline, so both paths run the very same code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

URGENT = 0
NORMAL = 1
_STOP = sys.maxsize  # after everything queued


class _Reader:
    """One thread serving (priority, arrival, work, future) items; a cancelled future's work is skipped."""

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], Any] | None, Any]] = queue.PriorityQueue()
        self._arrival = itertools.count()
        self._thread = threading.Thread(target=self._serve, name="dg-reading", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[], T], priority: int) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((priority, next(self._arrival), work, future))
        return future

    def _serve(self) -> None:
        while True:
            _, _, work, future = self._queue.get()
            if work is None:
                return
            if not future.set_running_or_notify_cancel():
                continue  # nobody waits for it any more (the run was cancelled)
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the awaiting task, as an inline call would raise it
                future.set_exception(exc)

    def stop(self) -> None:
        self._queue.put((_STOP, next(self._arrival), None, None))
        self._thread.join()


_READER: ContextVar[_Reader | None] = ContextVar("dg_reading_thread", default=None)
_PRIORITY: ContextVar[int] = ContextVar("dg_reading_priority", default=NORMAL)


async def off_loop(work: Callable[[], T]) -> T:
    """`work()` on the run's reading thread (inline when there is none, e.g. outside a run)."""
    reader = _READER.get()
    if reader is None:
        return work()
    return await asyncio.wrap_future(reader.submit(work, _PRIORITY.get()))


def urgent() -> None:
    """From now on, in this task and the tasks it starts, reading work goes before the rest."""
    _PRIORITY.set(URGENT)


@contextlib.contextmanager
def reading_thread() -> Iterator[None]:
    """Give the tasks started inside (in this context) one reading thread; stop it on the way out."""
    reader = _Reader()
    token = _READER.set(reader)
    try:
        yield
    finally:
        _READER.reset(token)
        reader.stop()
