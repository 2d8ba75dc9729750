"""The run's pace: fewer probes in flight while the event loop cannot keep time, more when it can.

Why: every probe in flight costs the event loop's thread a few socket operations per turn, and each
one gives the GIL up and waits to get it back from the threads beside it (the reading thread, the
embedded fake). With 128 probes in flight on 2 cores, a 10 ms timer woke 30 ms late at the median
and 88 ms at p99, against 3 and 18 ms with 32, for about the same total time (1,230 cells against
the fake; benchmarks/run.py, scaling). A fixed bound cannot suit both a 123-cell run, which should
send everything at once, and a 12,300-cell run on a busy machine, which should not.

So the bound adapts, as TCP's delay-based congestion control does: a timer ticks every TICK_S on the
run's loop; a tick that wakes more than HIGH_LAG_S late halves the window, CALM_TICKS in a row under
LOW_LAG_S widen it by one, never past --dg-concurrency and never below FLOOR. Starts are also spread: at most
STARTS_PER_TICK probes start per tick, because a hundred probes started in one turn of the loop
are a hundred connects and handshakes in that one turn (the loop woke 50 ms late right after the
start, whatever the window became afterwards); spread over a few ticks they cost the same and the
loop keeps time. The decision is a pure function on a frozen `Pace`; `keep_pace` is the thin asyncio
loop that applies it to RunSlots, whose urgent probes (the discovery chain) are held only to
--dg-concurrency.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from .limits import RunSlots

TICK_S = 0.010
HIGH_LAG_S = 0.015
LOW_LAG_S = 0.005
FLOOR = 8
CALM_TICKS = 5  # widen by one after this many ticks on time in a row (20 probes a second at most)
STARTS_PER_TICK = 16


@dataclass(frozen=True)
class Pace:
    """How many probes may be in flight now (`limit`), and the bound it never passes (`ceiling`)."""

    limit: int
    ceiling: int
    calm: int = 0  # ticks on time in a row since the window last changed

    def after(self, lag_s: float) -> Pace:
        """The pace once a tick woke `lag_s` late."""
        floor = min(FLOOR, self.ceiling)
        if lag_s > HIGH_LAG_S:
            return replace(self, limit=max(floor, self.limit // 2), calm=0)
        if lag_s >= LOW_LAG_S:
            return replace(self, calm=0)
        if self.calm + 1 < CALM_TICKS:
            return replace(self, calm=self.calm + 1)
        return replace(self, limit=min(self.ceiling, self.limit + 1), calm=0)


async def keep_pace(slots: RunSlots) -> None:
    """Tick until cancelled (the run cancels it when it ends), setting the slots' pace after each tick."""
    loop = asyncio.get_running_loop()
    pace = Pace(slots.size, slots.size)
    if pace.after(HIGH_LAG_S * 2).limit == pace.limit:
        return  # a bound at or under the floor: nothing to adapt
    slots.starts_per_tick = STARTS_PER_TICK
    try:
        while True:
            started = loop.time()
            await asyncio.sleep(TICK_S)
            pace = pace.after(loop.time() - started - TICK_S)
            if pace.limit != slots.pace:
                slots.set_pace(pace.limit)
            slots.tick()
    finally:  # the run's probes after probing (evidence, controls) are not held to a pace nobody keeps
        slots.starts_per_tick = None
        slots.set_pace(slots.size)
        slots.tick()
