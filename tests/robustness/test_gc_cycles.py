"""A probe leaves nothing in a reference cycle that holds its frames.

Why: what only the garbage collector can free is freed in stop-the-world pauses, and the event loop
waits through each one (the run's lag p99 at 12,300 cells is mostly such pauses; probe/pace.py).
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.defaults import CATALOGUE
from dg_entitlements.probe.request import build_request
from dg_entitlements.probe.timeouts import Timeouts
from dg_entitlements.probe.ws import ws_try
from dg_entitlements.secrets import ApiKey

from .kit import fake_server, target_of


@pytest.mark.parametrize("key", [None, "dgfake-gc-probe-k1"], ids=["refused", "accepted-and-closed"])
def test_a_stream_probe_leaves_no_frame_in_a_reference_cycle(key: str | None) -> None:
    """websockets keeps a refused handshake's exception (and a close's) on the connection, and the
    exception's traceback holds the frames that hold the connection: a cycle of every object of the
    probe that only the garbage collector frees, in pauses the event loop waits through. The probe drops
    the traceback it does not need (what stays cyclic is the exception and its response: two objects)."""
    combo = next(c for c in load_catalogue(CATALOGUE).combos if c.id == "listen-v1-ws::nova-3")
    with fake_server({"gc-probe": {}}) as server:
        req = build_request(combo, target_of(server))
        gc.collect()
        gc.disable()
        try:
            result = asyncio.run(ws_try(req, ApiKey(key) if key else None, Timeouts(), loopback=True, limit_s=10))
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            cyclic = [type(o).__name__ for o in gc.garbage if type(o).__name__ in ("frame", "traceback")]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert result.status == (101 if key else 401), result
    assert cyclic == [], cyclic
