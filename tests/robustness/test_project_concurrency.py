"""Issue 13 item 3: per-project concurrency on top of the run's bound, narrowed by a 429 (AIMD).

The pure window rule is checked directly; the asyncio gate with instrumented tasks; the whole thing
against a fake whose project allows 2 streams, so what is asserted is what Deepgram's per-project
limit (docs/deepgram-facts.md, "Rate and concurrency limits") would do to a real run.
"""

from __future__ import annotations

import asyncio

import pytest

from dg_entitlements.accounts import Account
from dg_entitlements.probe.limits import ProjectGates, Window

from .kit import CATALOGUE, FAST_RETRY, SMALL, fake_server, plan_for, run_bounded, target_of

STREAM_COMBOS = [c.id for c in CATALOGUE.combos
                 if c.surface.transport == "ws" and c.expect is None and c.surface.path.startswith("/v1/listen")]


@pytest.mark.parametrize(("limit", "status", "after"), [
    (50, 429, 25), (3, 429, 1), (1, 429, 1),  # halved, never below one
    (10, 200, 11), (10, 403, 11), (10, 503, 11),  # any answer widens by one...
    (10, None, 10),  # ...no answer says nothing
])
def test_the_window_rule(limit: int, status: int | None, after: int) -> None:
    assert Window(limit, 50).after(status).limit == after


def test_the_window_never_widens_past_its_ceiling() -> None:
    assert Window(50, 50).after(200) == Window(50, 50)


def test_each_project_holds_its_own_window_while_projects_run_side_by_side() -> None:
    peak: dict[str, int] = {}
    now: dict[str, int] = {}

    async def scenario() -> int:
        gates = ProjectGates({"small": 2, "big": 5})
        overall = [0, 0]

        async def probe(account: str) -> None:
            async with gates.slot(account):
                now[account] = now.get(account, 0) + 1
                overall[0] += 1
                overall[1] = max(overall[1], overall[0])
                peak[account] = max(peak.get(account, 0), now[account])
                await asyncio.sleep(0.01)
                now[account] -= 1
                overall[0] -= 1

        await asyncio.gather(*(probe(a) for a in ["small", "big"] * 20))
        return overall[1]

    most_at_once = asyncio.run(scenario())
    assert peak == {"small": 2, "big": 5}
    assert most_at_once == 7  # the projects did not wait for each other


def test_a_429_narrows_the_window_for_the_probes_still_waiting() -> None:
    peak_after = 0

    async def scenario() -> None:
        nonlocal peak_after
        gates = ProjectGates({"payg": 8})
        running = 0
        first = asyncio.Event()

        async def probe(i: int) -> None:
            nonlocal running, peak_after
            async with gates.slot("payg"):
                running += 1
                if i == 0:
                    gates.answered("payg", 429)  # 8 -> 4
                    gates.answered("payg", 429)  # 4 -> 2
                    first.set()
                elif first.is_set():
                    peak_after = max(peak_after, running)
                await asyncio.sleep(0.02)
                running -= 1

        await asyncio.gather(*(probe(i) for i in range(30)))
        assert gates.lowest == {"payg": 2}

    asyncio.run(scenario())
    assert 0 < peak_after <= 8  # those already in flight finish; new ones start only as the window allows


def test_a_cancelled_waiter_gives_its_place_back() -> None:
    async def scenario() -> None:
        gates = ProjectGates({"p": 1})
        async with gates.slot("p"):
            waiter = asyncio.ensure_future(_enter(gates))
            await asyncio.sleep(0)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        await asyncio.wait_for(_enter(gates), 1.0)  # the place is free again

    asyncio.run(scenario())


async def _enter(gates: ProjectGates) -> None:
    async with gates.slot("p"):
        pass


def _run_against_a_project_of_two(stream_limit: int | None):  # type: ignore[no-untyped-def]
    with fake_server({"proj": {"max_concurrent_streams": 2, "faults": {"latency_ms": 150}}}) as server:
        plan = plan_for([("proj", cid) for cid in STREAM_COMBOS], {"proj": target_of(server)},
                        timeouts=SMALL, retry=FAST_RETRY, concurrency=16)
        account = plan.selected[0].account
        limited = Account(**{**account.__dict__, "stream_limit": stream_limit})
        plan = plan.__class__(**{**plan.__dict__, "selected": tuple(
            s.__class__(limited, s.combo) for s in plan.selected)})
        return run_bounded(plan)


def test_a_project_limit_from_the_accounts_file_means_no_429_at_all() -> None:
    result = _run_against_a_project_of_two(stream_limit=2)
    statuses = [a.status for c in result.cells if c.observation for a in c.observation.attempts]
    assert len(STREAM_COMBOS) >= 6 and statuses
    assert 429 not in statuses


def test_without_a_limit_the_first_429s_narrow_the_project_and_say_so() -> None:
    result = _run_against_a_project_of_two(stream_limit=None)
    statuses = [a.status for c in result.cells if c.observation for a in c.observation.attempts]
    assert 429 in statuses  # the documented default (50) was more than this project allows...
    assert any(note.startswith("proj: its project answered 429") for note in result.notes)  # ...and it learnt
