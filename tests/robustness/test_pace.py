"""The run's pace (probe/pace.py): fewer probes in flight while the event loop cannot keep time.

The rule is checked as a pure function, RunSlots with instrumented tasks, and `keep_pace` against a
loop that is really blocked (a callback that holds the thread), so what is asserted is what a busy
machine does to a run.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from dg_entitlements.probe.limits import ProjectGates, RunSlots
from dg_entitlements.probe.pace import CALM_TICKS, FLOOR, HIGH_LAG_S, LOW_LAG_S, STARTS_PER_TICK, Pace, keep_pace

LATE, BUSY, ON_TIME = HIGH_LAG_S * 2, (HIGH_LAG_S + LOW_LAG_S) / 2, LOW_LAG_S / 2


@pytest.mark.parametrize(("limit", "lag", "after"), [
    (128, LATE, 64), (12, LATE, FLOOR), (FLOOR, LATE, FLOOR),  # halved, never below the floor
    (40, BUSY, 40),  # late but not very: held
])
def test_a_late_tick_narrows_and_a_busy_one_holds(limit: int, lag: float, after: int) -> None:
    assert Pace(limit, 128).after(lag).limit == after


def test_only_a_run_of_ticks_on_time_widens_and_never_past_the_bound() -> None:
    pace = Pace(40, 41)
    for _ in range(CALM_TICKS - 1):
        pace = pace.after(ON_TIME)
    assert pace.limit == 40  # not yet
    assert pace.after(BUSY).after(ON_TIME).limit == 40  # a busy tick starts the count again
    pace = pace.after(ON_TIME)
    assert pace.limit == 41
    for _ in range(3 * CALM_TICKS):
        pace = pace.after(ON_TIME)
    assert pace.limit == 41  # the bound (--dg-concurrency)


def test_a_bound_under_the_floor_is_never_narrowed() -> None:
    assert Pace(4, 4).after(LATE).limit == 4  # live mode's 4 stays 4


def test_the_pace_holds_back_normal_probes_but_not_the_critical_path() -> None:
    async def scenario() -> tuple[list[str], int]:
        slots = RunSlots(4)
        slots.set_pace(1)
        order: list[str] = []
        release = asyncio.Event()

        async def probe(name: str, priority: int) -> None:
            async with slots.slot(priority):
                order.append(name)
                await release.wait()

        tasks = [asyncio.ensure_future(probe("normal-1", RunSlots.NORMAL)),
                 asyncio.ensure_future(probe("normal-2", RunSlots.NORMAL)),
                 asyncio.ensure_future(probe("urgent", RunSlots.URGENT))]
        await asyncio.sleep(0.01)
        held = slots.in_flight
        release.set()
        await asyncio.gather(*tasks)
        return order, held

    order, held = asyncio.run(scenario())
    assert order[:2] == ["normal-1", "urgent"] and held == 2  # normal-2 waited for the pace, urgent did not


def test_starts_are_spread_over_ticks() -> None:
    async def scenario() -> list[int]:
        slots = RunSlots(100)
        slots.starts_per_tick = 3
        started: list[int] = []

        async def probe() -> None:
            async with slots.slot():
                started.append(1)

        tasks = [asyncio.ensure_future(probe()) for _ in range(7)]
        counts = []
        for _ in range(3):
            await asyncio.sleep(0.01)
            counts.append(len(started))
            slots.tick()
        await asyncio.gather(*tasks)
        return counts

    assert asyncio.run(scenario()) == [3, 6, 7]


def test_a_blocked_loop_narrows_the_pace_and_the_pace_is_undone_when_pacing_stops() -> None:
    async def scenario() -> tuple[int | None, int, int, int | None]:
        slots = RunSlots(128)
        pacing = asyncio.ensure_future(keep_pace(slots))
        await asyncio.sleep(0.02)
        spread = slots.starts_per_tick
        for _ in range(3):
            await asyncio.sleep(0.011)
            time.sleep(LATE * 2)  # the loop's thread held, as a stop-the-world pause does
        await asyncio.sleep(0.015)  # the tick that was due during the last hold has seen it
        narrowed = slots.pace
        pacing.cancel()
        await asyncio.gather(pacing, return_exceptions=True)
        return spread, narrowed, slots.pace, slots.starts_per_tick

    spread, narrowed, after, spread_after = asyncio.run(scenario())
    assert spread == STARTS_PER_TICK and narrowed <= 128 // 2
    assert after == 128 and spread_after is None  # evidence and controls after probing run unpaced


def test_an_urgent_probe_goes_first_at_a_full_project_too() -> None:
    async def scenario() -> list[str]:
        gates = ProjectGates({"p": 1})
        order: list[str] = []

        async def probe(name: str, priority: int) -> None:
            async with gates.slot("p", priority):
                order.append(name)
                await asyncio.sleep(0)

        async with gates.slot("p"):  # the project is full
            waiting = [asyncio.ensure_future(probe(f"normal-{i}", RunSlots.NORMAL)) for i in range(3)]
            await asyncio.sleep(0)
            waiting.append(asyncio.ensure_future(probe("urgent", RunSlots.URGENT)))
            await asyncio.sleep(0)
        await asyncio.gather(*waiting)
        return order

    assert asyncio.run(scenario())[0] == "urgent"
