"""Issue 13 (scale): what a run keeps in memory, what runs off its event loop, and in which order.

A run of 12,300 cells peaked at 604 MB and its event loop lagged 250 ms at p99. The causes and their
fixes, each pinned here: bodies kept whole until the end (now cut to the report's excerpt once a cell
is judged, after the evidence was read from them), CPU work on the loop's thread (now on one reading
thread), the discovery chain queued behind every other cell (now urgent), and the interpreter's own
collector and GIL hand-over (tuned while a run is on, put back after).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import threading
from pathlib import Path

import pytest

from dg_entitlements import engine
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.model import BODY_BOUND, excerpt
from dg_entitlements.probe import answers
from dg_entitlements.probe.limits import RunSlots
from dg_entitlements.probe.offload import off_loop, reading_thread, urgent
from dg_entitlements.secrets import register_secret, scrub

ROOT = Path(__file__).resolve().parents[2]


def test_an_excerpt_is_bounded_scrubbed_before_the_cut_and_its_own_excerpt() -> None:
    secret = "dgcanary-straddles-the-excerpt-0099"
    register_secret(secret)
    body = "x" * (BODY_BOUND - 60) + secret + "y" * 5000  # the secret straddles where the text is cut
    cut = excerpt(body)
    assert isinstance(cut, str) and len(cut) <= BODY_BOUND and cut.endswith(f"[cut: {len(body)} characters in all]")
    assert secret[:10] not in cut and "[redacted" in cut  # scrubbed first: no half of it is left
    assert excerpt(cut) is cut  # the file, the checkpoint and the HTML show the very same text
    small = {"err_code": "INVALID_AUTH"}
    assert excerpt(small) is small


def test_a_finished_run_keeps_excerpts_yet_its_evidence_came_from_the_whole_lists() -> None:
    result = engine.run(load(SuiteOptions(mode="fake", root=str(ROOT))))
    listing = result.cell("payg-no-flux", "models-v1::list")
    assert listing.observation is not None and isinstance(listing.observation.body, str)
    assert "[cut:" in listing.observation.body  # the model list was not kept whole
    for cell in result.cells:
        body = cell.observation.body if cell.observation else None
        assert excerpt(body) is body  # every kept body is at most the excerpt
    denied = result.cell("payg-no-flux", "listen-v1-rest::whisper-medium")
    assert denied.diagnosis is not None and denied.diagnosis.cause == "not_entitled"
    public = {e.label: e.value for e in denied.diagnosis.evidence}["public model list"]
    assert public == "whisper-medium is in GET /v1/models"  # read from the whole list, before the cut


def test_an_answer_without_secret_fields_is_not_copied_and_a_token_is_learnt_as_sent() -> None:
    body = {"models": [{"name": f"m-{i}"} for i in range(50)]}
    assert answers._mark_secret_fields(body) is body
    token = "eyJdgcanaryTokenLearntAsSent.0042"
    marked = answers._mark_secret_fields({"access_token": token, "expires_in": 30})
    assert marked == {"access_token": "[redacted]", "expires_in": 30}
    assert token not in scrub(f"echoed {token} and {token.upper()}")


@pytest.mark.parametrize("name", ["access_token", "Token", "API_KEY", "\\u0074oken", "\u212aey", "jwt"])
def test_a_secret_field_is_found_however_its_name_is_written(name: str) -> None:
    """The walk over every container is skipped only when the JSON text cannot name a secret field:
    a name in any letter case, spelt with an escape, or with a character that lower-cases into one
    (the Kelvin sign) is still found, and its value learnt and replaced."""
    value = f"dgfake-field-canary-{len(name)}-value"
    text = '{"models": [{"name": "m-1"}], "' + name + '": "' + value + '"}'
    body, kind = answers.parse_body(text.encode(), "application/json")
    assert kind == "json" and value not in json.dumps(body) and "[redacted]" in json.dumps(body)
    assert value not in scrub(f"echoed {value}")


def test_a_body_without_secret_field_names_skips_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def walked(value: object) -> object:
        raise AssertionError("walked a body that names no secret field")

    monkeypatch.setattr(answers, "_mark_secret_fields", walked)
    body, kind = answers.parse_body(b'{"models": [{"name": "key-lime", "tokens": 3}]}', "application/json")
    assert kind == "json" and body == {"models": [{"name": "key-lime", "tokens": 3}]}


def test_urgent_waiters_take_the_next_free_slot() -> None:
    order: list[str] = []

    async def main() -> None:
        slots = RunSlots(1)

        async def probe(name: str, priority: int) -> None:
            async with slots.slot(priority):
                order.append(name)
                await asyncio.sleep(0)

        await asyncio.gather(probe("first", RunSlots.NORMAL), probe("bulk-1", RunSlots.NORMAL),
                             probe("bulk-2", RunSlots.NORMAL), probe("discovery", RunSlots.URGENT))

    asyncio.run(main())
    assert order == ["first", "discovery", "bulk-1", "bulk-2"]


def test_reading_work_runs_on_one_other_thread_urgent_first_and_inline_outside_a_run() -> None:
    loop_thread = threading.get_ident()
    seen: list[str] = []
    gate = threading.Event()

    async def main() -> set[int]:
        threads: set[int] = set()

        def work(name: str) -> None:
            gate.wait(5)  # the first item holds the thread until everything else is queued
            seen.append(name)
            threads.add(threading.get_ident())

        async def later(name: str, is_urgent: bool) -> None:
            if is_urgent:
                urgent()
            await off_loop(lambda: work(name))

        with reading_thread():
            blocker = asyncio.ensure_future(off_loop(lambda: work("blocker")))
            await asyncio.sleep(0.01)
            tasks = [asyncio.ensure_future(later(n, n == "urgent")) for n in ("normal-1", "normal-2", "urgent")]
            await asyncio.sleep(0.01)
            gate.set()
            await asyncio.gather(blocker, *tasks)
        return threads

    threads = asyncio.run(main())
    assert seen == ["blocker", "urgent", "normal-1", "normal-2"]
    assert len(threads) == 1 and loop_thread not in threads

    async def outside() -> int:
        return await off_loop(threading.get_ident)

    assert asyncio.run(outside()) == threading.get_ident()


def test_a_run_collects_less_often_and_hands_the_gil_back_sooner_then_puts_both_back() -> None:
    before = (gc.get_threshold(), sys.getswitchinterval())
    during: list[tuple[tuple[int, ...], float]] = []

    def look(event: engine.Event) -> None:
        if isinstance(event, engine.CellFinished) and not during:
            during.append((gc.get_threshold(), sys.getswitchinterval()))

    loaded = load(SuiteOptions(mode="fake", root=str(ROOT)))
    engine.run(loaded, pairs=engine.all_pairs(loaded)[:2], handlers=[look])
    assert during and during[0][0][0] >= engine.RUN_GC_THRESHOLD
    assert during[0][1] <= engine.RUN_SWITCH_INTERVAL_S
    assert (gc.get_threshold(), sys.getswitchinterval()) == before
