"""The probe seam: each try returns a typed TryResult, the runner turns the last one into the
Observation field by field, and observers are passed to the runner explicitly (no hidden state)."""

from __future__ import annotations

import asyncio
import socket
from contextvars import ContextVar
from dataclasses import fields

import pytest

from dg_entitlements.model import Attempt, Cost, Frame, Observation, RequestSummary
from dg_entitlements.probe.http import http_try, make_client
from dg_entitlements.probe.request import ProbeRequest
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.probe.runner import ProbeJob, ProbeObserver, ProbeSettings, observation_of, run_probes
from dg_entitlements.probe.timeouts import Timeouts
from dg_entitlements.probe.tryresult import TryResult
from dg_entitlements.probe.ws import ws_try


def _closed_port() -> int:
    """A loopback port nobody listens on: bound then closed, so a connect is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(transport: str = "http") -> ProbeRequest:
    scheme = "ws" if transport == "ws" else "http"
    return ProbeRequest(combo_id="c", transport=transport, method="GET",
                        url=f"{scheme}://127.0.0.1:{_closed_port()}/v1/models?x=1")


def test_the_observation_carries_every_field_of_the_last_try() -> None:
    """Every TryResult field reaches the Observation under its own name: a field added to one side
    and forgotten on the other fails here (mypy checks the types, this checks nothing is dropped)."""
    last = TryResult(
        status=101, latency_ms=12.345, answered_by="127.0.0.1:1", headers={"dg-request-id": "r-1"},
        body={"err_code": "X"}, body_kind="json", body_size=17, content_type="application/json",
        frames=(Frame(kind="text", at_ms=1.0, data={"type": "Results"}, size=20),), close_code=1000,
        close_reason="done", closed_by="server", error="timeout:close", error_detail="no close")
    attempts = (Attempt(status=101, error=None, latency_ms=12.3),)
    summary = RequestSummary(method="GET", url="/v1/listen", auth_scheme="Token")
    observation = observation_of(last, attempts=attempts, cost=Cost(requests=1), request=summary, at="t0")
    for field in fields(TryResult):
        expected = getattr(last, field.name)
        if field.name == "latency_ms":
            expected = round(expected, 1)
        assert getattr(observation, field.name) == expected, field.name
    assert observation.attempts == attempts and observation.request == summary and observation.at == "t0"


@pytest.mark.parametrize("transport", ["http", "ws"])
def test_a_refused_try_is_a_typed_failure(transport: str) -> None:
    async def one() -> TryResult:
        req = _request(transport)
        if transport == "ws":
            return await ws_try(req, None, Timeouts(), loopback=True, limit_s=5)
        async with make_client(Timeouts(), loopback=True, concurrency=1) as client:
            return await http_try(client, req, None, limit_s=5)

    result = asyncio.run(one())
    assert isinstance(result, TryResult)
    assert result.status is None and result.error == "refused" and result.error_detail
    assert result.answered_by is not None and result.answered_by.startswith("127.0.0.1:")


def test_observers_see_each_probe_start_in_its_own_task_and_finish() -> None:
    """`started` runs in the probe's own task (what the cassette layer's account mark relies on),
    `finished` gets the Observation; nothing leaks into the caller's context."""
    mark: ContextVar[str | None] = ContextVar("test_mark", default=None)
    seen: list[tuple[str, object, str | None]] = []

    def started(job: ProbeJob) -> None:
        mark.set(str(job.account))
        seen.append(("started", job.ident, None))

    def finished(job: ProbeJob, observation: Observation) -> None:
        seen.append(("finished", job.ident, mark.get()))
        assert observation.error == "refused"

    jobs = [ProbeJob(i, _request(), None, f"acct-{i}") for i in range(3)]
    settings = ProbeSettings(concurrency=3, retry=RetryPolicy(max_tries=1))
    done: list[object] = []
    results = asyncio.run(run_probes(jobs, settings, on_done=lambda job, _: done.append(job.ident),
                                     observers=[ProbeObserver(started=started, finished=finished)]))
    assert set(results) == {0, 1, 2} and len(done) == 3 and set(done) == {0, 1, 2}
    for i in range(3):
        assert ("started", i, None) in seen and ("finished", i, f"acct-{i}") in seen
        assert seen.index(("started", i, None)) < seen.index(("finished", i, f"acct-{i}"))
    assert mark.get() is None

