"""The one owner of a run: from validated inputs to the finished RunResult, with events out.

Every consumer drives a run through here and nowhere else: the pytest plugin, the CLI (`check`,
`init`, `record`), `explain` (a run of one cell built from the user's exact request), the
benchmarks and the test kits. The engine starts what the mode needs, plans, probes, judges,
diagnoses, adds drift and cassette information and the run's status, and tells its handlers as it
goes (schemathesis' shape: one engine, consumers are event handlers).

Handlers are called on the event-loop thread and must be cheap; anything heavy (writing
checkpoints) goes through `threaded`, which hands events to a background thread, so reporting never
blocks probing. The run's own CPU work (reading answers, judging, diagnosing) runs on its reading
thread (probe/offload.py), and while a run is on the interpreter collects garbage less often and
hands the GIL back to the loop sooner (`fewer_collections`, `loop_gets_the_gil_back_sooner`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from .config import Loaded
from .errors import EXIT_INTERRUPTED
from .model import Cell, RunResult
from .modes import ModeEnv, aliases_of, keys_for, open_mode
from .pipeline import RunPlan, RunState, Selected, execute, new_state, result_from_state
from .probe.runner import ProbeSettings
from .runstatus import RunStatus, run_status


@dataclass(frozen=True)
class RunStarted:
    mode: str
    total: int
    per_account: dict[str, int]


@dataclass(frozen=True)
class CellFinished:
    cell: Cell
    done: int
    total: int


@dataclass(frozen=True)
class RunFinished:
    result: RunResult
    status: RunStatus


Event = RunStarted | CellFinished | RunFinished
Handler = Callable[[Event], None]


class Interrupted(Exception):
    """Carries the partial (finished, valid, marked incomplete) result up to the consumer."""

    def __init__(self, partial: RunResult, status: RunStatus) -> None:
        super().__init__("run interrupted")
        self.partial = partial
        self.status = status


def all_pairs(loaded: Loaded) -> list[tuple[str, str]]:
    return [(a.alias, c.id) for a in loaded.accounts.accounts for c in loaded.catalogue.combos]


def build_plan(loaded: Loaded, pairs: Sequence[tuple[str, str]], env: ModeEnv) -> RunPlan:
    """The run's plan in the mode `env` opened: its targets, keys and probe observers."""
    opts = loaded.options
    combos = loaded.catalogue.by_id()
    selected = tuple(Selected(loaded.accounts.get(alias), combos[cid]) for alias, cid in pairs)
    keys = env.keys if env.keys is not None else keys_for(loaded, aliases_of(pairs))
    loopback = all(t.is_loopback for t in env.targets.values())
    return RunPlan(
        mode=opts.mode, catalogue=loaded.catalogue, selected=selected, targets=env.targets, keys=keys,
        settings=ProbeSettings(concurrency=opts.effective_concurrency, loopback=loopback),
        controls=opts.controls, budget=loaded.budget, notes=tuple(loaded.notes) + tuple(env.notes),
        observers=env.observers,
    )


def _finalise(loaded: Loaded, result: RunResult, env: ModeEnv | None) -> tuple[RunResult, RunStatus]:
    if env is not None and env.cassette_info:
        result = replace(result, cassettes=dict(env.cassette_info))
    if loaded.baseline is not None:
        from .drift import compare

        result = replace(result, drift=compare(loaded.baseline, result))
    status = run_status(result, loaded.options.inconclusive_limit)
    return replace(result, status=status.kind.value, headline=status.headline), status


def run_plan(plan: RunPlan, handlers: Sequence[Handler] = (), loaded: Loaded | None = None,
             env: ModeEnv | None = None) -> RunResult:
    """Execute a plan in an event loop of its own (pytest tests stay synchronous and loop-free).
    The test kits call this directly with plans of their own (targets they started themselves)."""
    state: RunState = new_state(plan)
    total = len(plan.selected)
    per_account = Counter(s.account.alias for s in plan.selected)
    emit = _emitter(handlers)
    emit(RunStarted(plan.mode, total, dict(per_account)))
    done = [0]

    def on_cell(cell: Cell) -> None:
        done[0] += 1
        emit(CellFinished(cell, done[0], total))

    limit = loaded.options.inconclusive_limit if loaded is not None else 0.0
    try:
        with fewer_collections(), loop_gets_the_gil_back_sooner():
            asyncio.run(execute(plan, state, on_cell))
    except (KeyboardInterrupt, asyncio.CancelledError):
        partial = result_from_state(plan, state, complete=False, extra_notes=["interrupted"])
        status = run_status(partial, limit)
        partial = replace(partial, status=status.kind.value, headline=status.headline)
        emit(RunFinished(partial, status))
        raise Interrupted(partial, status) from None
    result = result_from_state(plan, state, complete=True)
    if loaded is not None:
        result, status = _finalise(loaded, result, env)
    else:
        status = run_status(result, limit)
        result = replace(result, status=status.kind.value, headline=status.headline)
    emit(RunFinished(result, status))
    return result


def run(loaded: Loaded, pairs: Sequence[tuple[str, str]] | None = None,
        handlers: Sequence[Handler] = ()) -> RunResult:
    """One whole run of the selected (account, combination) pairs (all of them by default)."""
    pairs = list(pairs) if pairs is not None else all_pairs(loaded)
    with open_mode(loaded, pairs) as env:
        plan = build_plan(loaded, pairs, env)
        return run_plan(plan, handlers, loaded, env)


RUN_GC_THRESHOLD = 50_000  # container allocations between young collections while a run is on


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while a run is on; the previous thresholds are put back after.

    Why: a run parses answers into large trees (a model list is tens of thousands of dicts and lists)
    that live a few milliseconds. At the default threshold (700 allocations) the collector ran in the
    middle of building them, promoted them, and so started a full collection every ~100,000 promoted
    objects: 123 full collections of ~425,000 live objects at 12,300 cells, 20 s in all, each a
    stop-the-world pause of up to 300 ms for the event loop (the run's lag p99 was exactly those).
    Reference counting still frees everything that is not a cycle at once; only cycles wait longer.
    A process that already collects less often keeps its own setting."""
    before = gc.get_threshold()
    if before[0] and before[0] < RUN_GC_THRESHOLD:
        gc.set_threshold(RUN_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


RUN_SWITCH_INTERVAL_S = 0.001


@contextlib.contextmanager
def loop_gets_the_gil_back_sooner() -> Iterator[None]:
    """A shorter GIL switch interval while a run is on (1 ms instead of Python's 5 ms); put back after.

    Why: the event loop's thread does I/O and gives the GIL up at every socket call; the threads
    beside it (the reading thread, the checkpoint writer, the embedded fake) are busy with CPU work.
    Each time the loop wants the GIL back it waits until the holder's interval is over, several times
    per loop turn, and every probe's clock waits with it. Measured at 12,300 cells: loop lag p99
    58 ms at 5 ms, 41 ms at 1 ms, for about the same total time. A process that switches at least
    as often keeps its own setting."""
    before = sys.getswitchinterval()
    if before > RUN_SWITCH_INTERVAL_S:
        sys.setswitchinterval(RUN_SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _emitter(handlers: Sequence[Handler]) -> Handler:
    def emit(event: Event) -> None:
        for handler in handlers:
            handler(event)

    return emit


class threaded:
    """Run a handler on a background thread: the event loop only enqueues. `close()` (called on
    RunFinished) drains the queue, so the last event is handled before the run returns."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="dg-report", daemon=True)
        self._thread.start()
        self.error: BaseException | None = None

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self._handler(event)
            except BaseException as exc:  # surfaced by close(): a report problem must not kill probing
                self.error = exc

    def __call__(self, event: Event) -> None:
        self._queue.put(event)
        if isinstance(event, RunFinished):
            self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


__all__ = [
    "EXIT_INTERRUPTED", "CellFinished", "Event", "Handler", "Interrupted", "RunFinished", "RunStarted",
    "all_pairs", "build_plan", "run", "run_plan", "threaded",
]
