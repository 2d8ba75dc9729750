"""In process, one probe at a time: each bound of probe/timeouts.py holds against a hostile server.

The CLI kit (test_hostile_network.py) shows the whole tool survives; these pin down which bound did
the work, on recorded facts (error kind, bytes read, status), never on wall time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.probe.http import make_client
from dg_entitlements.probe.request import build_request
from dg_entitlements.probe.retry import RetryBudget, RetryPolicy
from dg_entitlements.probe.runner import ProbeJob, ProbeSettings, probe_with_retries
from dg_entitlements.probe.target import Target
from dg_entitlements.probe.timeouts import MAX_READ_BODY_BYTES, Timeouts
from dg_entitlements.secrets import ApiKey

from .servers import Server, kit_servers

ROOT = Path(__file__).resolve().parents[2]
COMBOS = load_catalogue(ROOT / "src/dg_entitlements/data/catalogue.toml").by_id()
SMALL = Timeouts(connect_s=1.0, read_s=1.5, frame_window_s=0.1, close_s=0.5)  # attempt_s = 4.6 s
ONE_TRY = RetryPolicy(max_tries=1)
HANG_GUARD_S = 60.0
KEY = ApiKey("dgfake-probe-bounds-k1", "test")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    with kit_servers() as s:
        yield s


def probe(server: Server, combo_id: str, retry: RetryPolicy = ONE_TRY, timeouts: Timeouts = SMALL):  # type: ignore[no-untyped-def]
    base = f"127.0.0.1:{server.port}"
    target = Target(f"http://{base}", f"ws://{base}", f"ws://{base}")
    job = ProbeJob(ident=combo_id, request=build_request(COMBOS[combo_id], target), key=KEY, account="a")
    settings = ProbeSettings(timeouts=timeouts, retry=retry)

    async def go():  # type: ignore[no-untyped-def]
        import random

        async with make_client(settings.timeouts, True, 1) as client:
            # HANG_GUARD_S only turns a regression into a failure instead of a hang; it is not the bound tested.
            return await asyncio.wait_for(
                probe_with_retries(job, client, settings, RetryBudget(60.0), random.Random(0)), HANG_GUARD_S)

    return asyncio.run(go())


def test_headers_one_byte_at_a_time_end_in_a_timeout(servers: dict[str, Server]) -> None:
    """httpx's read timeout is per read: a byte every second never trips it. The try deadline does."""
    obs = probe(servers["byte_headers"], "listen-v1-rest::nova-3")
    assert obs.status is None and obs.error == "timeout:read"


def test_slow_body_ends_in_a_timeout(servers: dict[str, Server]) -> None:
    obs = probe(servers["slow_body"], "listen-v1-rest::nova-3")
    assert obs.status is None and obs.error == "timeout:read"


def test_endless_body_is_read_up_to_its_bound_only(servers: dict[str, Server]) -> None:
    obs = probe(servers["endless_body"], "speak-v1-rest::aura-2-thalia-en",
                timeouts=Timeouts(connect_s=1.0, read_s=30.0, frame_window_s=0.1, close_s=0.5))
    assert obs.error == "oversized:body" and obs.status == 200
    assert MAX_READ_BODY_BYTES <= obs.body_size < MAX_READ_BODY_BYTES + 1024 * 1024
    assert obs.body is None and obs.tries == 1  # the same endless answer would come again: not retried


def test_accepted_then_silent_stream_ends_within_the_try(servers: dict[str, Server]) -> None:
    obs = probe(servers["ws_silence"], "listen-v2-ws::flux-general-en")
    assert obs.status == 101 and obs.error is not None and obs.error.startswith("timeout")


def test_a_probe_with_retries_never_outlives_max_probe_s(servers: dict[str, Server]) -> None:
    """Three tries of 4.6 s each would need 13.8 s; the probe's own bound (7 s) cuts the second one short."""
    policy = RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.01, max_probe_s=7.0)
    obs = probe(servers["byte_headers"], "listen-v1-rest::nova-3", retry=policy)
    spent_ms = sum(a.latency_ms + a.waited_ms for a in obs.attempts)
    assert obs.tries == 2 and obs.attempts[1].latency_ms < SMALL.attempt_s * 1000  # got only what was left
    assert spent_ms <= policy.max_probe_s * 1000


@pytest.mark.parametrize("combo_id", ["listen-v1-rest::nova-3", "listen-v2-ws::flux-general-en"])
def test_redirects_are_recorded_not_followed(servers: dict[str, Server], combo_id: str) -> None:
    before = len(servers["redirect_target"].hits)
    obs = probe(servers["redirect"], combo_id)
    assert obs.status == 302 and obs.headers["location"].startswith(("http://127.0.0.1:", "ws://127.0.0.1:"))
    assert obs.answered_by == f"127.0.0.1:{servers['redirect'].port}"
    assert len(servers["redirect_target"].hits) == before


def test_middlebox_headers_reach_the_observation(servers: dict[str, Server]) -> None:
    obs = probe(servers["proxy_407"], "listen-v1-rest::nova-3")
    assert obs.status == 407 and "proxy-authenticate" in obs.headers and "via" in obs.headers
    waf = probe(servers["waf_403"], "listen-v2-ws::flux-general-en")
    assert waf.status == 403 and waf.headers.get("server") == "cloudflare" and "cf-ray" in waf.headers
