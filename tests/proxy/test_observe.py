"""The observer judges finished exchanges off the relay's path: later, in slices, in order, nothing lost."""

from __future__ import annotations

import asyncio
import json

from dg_entitlements.diagnosis import AuthForm
from dg_entitlements.proxy.exchange import Exchange, Tap
from dg_entitlements.proxy.observe import PARSE_SLICE, Observer


def _tap(path: str, messages: int = 0) -> Tap:
    tap = Tap(transport="ws", method="GET", path=path, query="model=nova-3",
              upstream_url=f"ws://127.0.0.1:1{path}?model=nova-3", auth=AuthForm(), account="no-key")
    tap.answered(101, [])
    for i in range(messages):
        tap.server_message(json.dumps({"type": "Results", "i": i}))
    return tap


def test_relay_hands_over_and_the_judging_happens_later_in_order() -> None:
    judged: list[Exchange] = []

    async def main() -> list[str]:
        observer = Observer(judged.append)
        observer.start()
        observer.finished(_tap("/a"))
        observer.finished(_tap("/b"))
        assert judged == []  # nothing was parsed or judged on the relay's turn
        for _ in range(20):
            await asyncio.sleep(0)
        await observer.close()
        return [e.path for e in judged]

    assert asyncio.run(main()) == ["/a", "/b"]


def test_a_long_stream_is_parsed_in_slices_between_relays() -> None:
    """Other tasks (the relays) run while a 1000-message stream is being parsed, not only after it."""
    judged: list[Exchange] = []

    async def main() -> tuple[int, int]:
        observer = Observer(judged.append)
        observer.start()
        turns = 0

        async def relay() -> None:
            nonlocal turns
            while not judged:
                turns += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(relay())
        observer.finished(_tap("/long", messages=1000))
        await asyncio.wait_for(ticker, 10)
        await observer.close()
        return turns, len(judged[0].frames)

    turns, frames = asyncio.run(main())
    assert frames == 1000 and turns >= 1000 // PARSE_SLICE


def test_when_the_queue_is_full_the_relay_judges_inline() -> None:
    judged: list[Exchange] = []

    async def main() -> int:
        observer = Observer(judged.append, limit=1)
        observer.start()
        observer.finished(_tap("/queued"))
        observer.finished(_tap("/inline"))
        inline = len(judged)
        await observer.close()
        return inline

    assert asyncio.run(main()) == 1
    assert [e.path for e in judged] == ["/inline", "/queued"]


def test_flush_judges_what_a_stopped_loop_left_even_half_parsed() -> None:
    judged: list[Exchange] = []
    observer = Observer(judged.append)

    async def main() -> None:
        observer.start()
        observer.finished(_tap("/half", messages=PARSE_SLICE * 10))
        observer.finished(_tap("/waiting"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # /half is popped and partly parsed when the loop stops

    asyncio.run(main())
    assert judged == []
    observer.flush()
    assert [e.path for e in judged] == ["/half", "/waiting"]
    assert len(judged[0].frames) == PARSE_SLICE * 10


def test_one_failing_judgement_does_not_stop_the_next() -> None:
    judged: list[str] = []

    def done(exchange: Exchange) -> None:
        if exchange.path == "/bad":
            raise ValueError("boom")
        judged.append(exchange.path)

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: None)
        observer = Observer(done)
        observer.start()
        observer.finished(_tap("/bad"))
        observer.finished(_tap("/good"))
        await observer.close()

    asyncio.run(main())
    assert judged == ["/good"]


def test_without_a_running_observer_exchanges_are_judged_at_once() -> None:
    judged: list[Exchange] = []
    Observer(judged.append).finished(_tap("/early"))
    assert [e.path for e in judged] == ["/early"]
