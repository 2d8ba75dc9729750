"""The run's critical path goes on the wire before the burst of other probes (probe/headstart.py).

A cell under /v1/projects/{id} waits for the project listing; when a hundred probes start at once the
listing used to leave behind them, and a server on the same machine read it last. What is asserted
is the order the server read the requests in, at the embedded fake: the listing first.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from dg_entitlements import engine
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.fake import app as fake_app
from dg_entitlements.modes import open_mode
from dg_entitlements.probe.headstart import HeadStart

from .kit import ROOT


class _Job:
    def __init__(self, ident: str) -> None:
        self.ident = ident


def test_opens_once_every_request_of_the_first_group_is_sent() -> None:
    async def scenario() -> list[bool]:
        head = HeadStart()
        first, second = [_Job("a"), _Job("b")], [_Job("c")]
        on_sent = head.watch(first)
        assert on_sent is not None and head.watch(second) is None  # only the first group is waited for
        seen = []
        on_sent(first[0])
        on_sent(first[0])  # a retry sends again: counted once
        seen.append(head._open.is_set())
        on_sent(first[1])
        seen.append(head._open.is_set())
        await asyncio.wait_for(head.wait(), 1.0)
        return seen

    assert asyncio.run(scenario()) == [False, True]


def test_an_empty_group_is_not_waited_for_and_a_request_never_sent_does_not_hold_the_others() -> None:
    async def scenario() -> bool:
        head = HeadStart()
        assert head.watch([]) is None
        assert head.watch([_Job("x")]) is not None  # the first non-empty group
        await asyncio.wait_for(head.wait(0.05), 5.0)  # never sent: the wait ends on its own bound
        return head._open.is_set()

    assert asyncio.run(scenario()) is False  # it ended because of the bound, not because it opened


def test_the_project_listing_reaches_the_server_before_the_other_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    delay = fake_app.delay

    async def reading(call: Any) -> None:  # the fake's first step for every request it has parsed
        read.append(call.path)
        await delay(call)

    monkeypatch.setattr(fake_app, "delay", reading)
    loaded = load(SuiteOptions(mode="fake", controls=False, root=str(ROOT)))
    pairs = [(a, c) for a, c in engine.all_pairs(loaded) if a == "payg-full"]
    with open_mode(loaded, pairs) as env:
        plan = engine.build_plan(loaded, pairs, env)
        plan = replace(plan, settings=replace(plan.settings, concurrency=len(pairs)))  # every cell at once
        result = engine.run_plan(plan)
    scoped = [p for p in read if p.startswith("/v1/projects/")]
    assert len(read) >= len(pairs) > 30 and scoped, read
    assert read[0] == "/v1/projects", read[:5]
    assert result.cell("payg-full", "project-models-v1::list").observation.status == 200  # type: ignore[union-attr]
