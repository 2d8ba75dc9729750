"""Probe many requests at once, bounded, each with visible retries: the one place the suite waits.

pytest runs tests one at a time; the network must not. Every selected probe is started together
under a semaphore, and each finished Observation is handed back as soon as it exists, so an
interrupted run still has everything that finished.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from ..model import Attempt, Cost, Observation, RequestSummary
from ..secrets import ApiKey
from .http import http_try, make_client
from .limits import ProjectGates, RunSlots
from .request import ProbeRequest
from .retry import RetryBudget, RetryPolicy, backoff_delay, is_transient, parse_retry_after
from .timeouts import Timeouts
from .tryresult import TryResult
from .ws import ws_try

MIN_TRY_S = 0.5  # a retry is not started with less than this left of the probe's deadline
# Tries get max_probe_s minus this margin (at most a tenth of it): a deadline fires a little late on a
# busy event loop, and the bound is documented as holding exactly, recorded latencies included.
PROBE_MARGIN_S = 0.5


@dataclass(frozen=True)
class ProbeJob:
    ident: Hashable  # what the caller indexes results by, e.g. (account, combo id)
    request: ProbeRequest
    key: ApiKey | None
    account: str | None = None  # the alias this probe speaks for (cassettes file it under this name)


@dataclass(frozen=True)
class ProbeSettings:
    concurrency: int = 16
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    loopback: bool = True
    seed: int = 0


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _summary(req: ProbeRequest, key: ApiKey | None) -> RequestSummary:
    """Path and query only: the host is the run's target, and a replayed run must equal its recording."""
    parts = urlsplit(req.url)
    url = parts.path + (f"?{parts.query}" if parts.query else "")
    return RequestSummary(method=req.method, url=url, auth_scheme=req.auth_scheme if (req.auth and key) else None,
                          body_bytes=len(req.body))


@dataclass(frozen=True)
class ProbeObserver:
    """Sees every probe of a run (cells, discovery, evidence, controls), passed to `run_probes`
    explicitly. The cassette layer is the user: `finished` files a WebSocket answer, `started` runs in
    the probe's own task before anything is sent (cassette/http.py says why it needs that)."""

    started: Callable[[ProbeJob], None] | None = None
    finished: Callable[[ProbeJob, Observation], None] | None = None


async def probe_with_retries(job: ProbeJob, client: httpx.AsyncClient, settings: ProbeSettings,
                             budget: RetryBudget, rng: random.Random,
                             may_spend: Callable[[Cost], bool] | None = None,
                             on_try: Callable[[int | None], None] | None = None,
                             on_sent: Callable[[], None] | None = None) -> Observation:
    req = job.request
    at = utc_now()
    attempts: list[Attempt] = []
    waited = 0.0
    started = time.perf_counter()
    margin = min(PROBE_MARGIN_S, settings.retry.max_probe_s / 10)
    while True:
        # One deadline per probe, retries included: each try gets what is left of max_probe_s (at most
        # its own attempt_s), so no probe outlives RetryPolicy.max_probe_s whatever the server does.
        limit = min(settings.timeouts.attempt_s, settings.retry.max_probe_s - margin - (time.perf_counter() - started))
        if req.transport == "ws":
            if on_sent is not None:
                on_sent()  # the handshake is the request: it counts as sent once it starts
            result = await ws_try(req, job.key, settings.timeouts, settings.loopback, limit_s=limit)
        else:
            result = await http_try(client, req, job.key, limit_s=limit, on_sent=on_sent)
        retry_after = parse_retry_after(result.headers.get("retry-after"))
        attempts.append(Attempt(status=result.status, error=result.error, latency_ms=round(result.latency_ms, 1),
                                waited_ms=round(waited * 1000, 1), retry_after_s=retry_after))
        if on_try is not None:
            on_try(result.status)  # a 429 narrows the project's window before this probe retries
        if not is_transient(result.status, result.error) or len(attempts) >= settings.retry.max_tries:
            break
        delay = backoff_delay(len(attempts), retry_after, settings.retry, rng)
        elapsed = time.perf_counter() - started
        if elapsed + delay + MIN_TRY_S + margin > settings.retry.max_probe_s or not budget.take(delay):
            break
        if may_spend is not None and not may_spend(req.cost):  # a retry is on the bill too (--dg-budget)
            break
        waited = delay
        await asyncio.sleep(delay)
    cost = Cost(requests=len(attempts), audio_seconds=req.cost.audio_seconds * len(attempts),
                characters=req.cost.characters * len(attempts))
    return observation_of(result, attempts=tuple(attempts), cost=cost, request=_summary(req, job.key), at=at)


def observation_of(last: TryResult, attempts: tuple[Attempt, ...], cost: Cost, request: RequestSummary,
                   at: str) -> Observation:
    """The probe's Observation: the last try's answer, with every try, the cost and what was sent."""
    return Observation(
        status=last.status, headers=last.headers, body=last.body, body_kind=last.body_kind, body_size=last.body_size,
        content_type=last.content_type, frames=last.frames, close_code=last.close_code,
        close_reason=last.close_reason, closed_by=last.closed_by, error=last.error, error_detail=last.error_detail,
        latency_ms=round(last.latency_ms, 1), attempts=attempts, cost=cost, request=request, at=at,
        answered_by=last.answered_by,
    )


# Told of each finished probe; an awaitable it returns is awaited (outside the probe's slot) before the
# probe's task ends: the engine judges a cell on the reading thread that way (pipeline.py).
OnDone = Callable[[ProbeJob, Observation], Awaitable[None] | None]


async def run_probes(jobs: Sequence[ProbeJob], settings: ProbeSettings,
                     on_done: OnDone | None = None,
                     limiter: RunSlots | None = None,
                     retry_budget: RetryBudget | None = None,
                     may_spend: Callable[[Cost], bool] | None = None,
                     gates: ProjectGates | None = None,
                     observers: Sequence[ProbeObserver] = (),
                     client: httpx.AsyncClient | None = None,
                     priority: int = RunSlots.NORMAL,
                     on_sent: Callable[[ProbeJob], None] | None = None) -> dict[Hashable, Observation]:
    """Probe every job once (plus transient retries), at most `concurrency` at a time and, with
    `gates`, at most each account's project window at a time (probe/limits.py). Every observer
    sees each probe start and finish (before `on_done`). `client`: the run's own (the engine shares
    one between its probe groups, so they reuse connections); without it, one for these jobs.
    `priority`: where these jobs queue for the run's slots (RunSlots.URGENT goes first).
    `on_sent`: told when a job's request is on the wire (probe/headstart.py is the user).

    Results are collected as they finish; if the run is cancelled, what finished is returned by
    the caller through `on_done`, which has already seen it.
    """
    results: dict[Hashable, Observation] = {}
    if not jobs:
        return results
    if client is None:
        async with make_client(settings.timeouts, settings.loopback, settings.concurrency) as own:
            return await run_probes(jobs, settings, on_done, limiter, retry_budget, may_spend, gates, observers, own,
                                    priority, on_sent)
    # Callers running several groups at once share one limiter and one retry budget: the bound is per run.
    slots = limiter or RunSlots(settings.concurrency)
    budget = retry_budget or RetryBudget(settings.retry.max_run_retry_s)
    rng = random.Random(settings.seed)
    projects = gates or ProjectGates({})

    async def one(job: ProbeJob) -> None:
        for observer in observers:  # gather runs each coroutine in a task of its own: this is that task
            if observer.started is not None:
                observer.started(job)
        # The project's place first, then the run's: a full project never holds a global slot idle.
        async with projects.slot(job.account, priority), slots.slot(priority):
            observation = await probe_with_retries(
                job, client, settings, budget, rng, may_spend,
                on_try=lambda status: projects.answered(job.account, status),
                on_sent=None if on_sent is None else functools.partial(on_sent, job))
        results[job.ident] = observation
        for observer in observers:
            if observer.finished is not None:
                observer.finished(job, observation)
        if on_done is not None:
            pending = on_done(job, observation)
            if pending is not None:
                await pending

    await asyncio.gather(*(one(job) for job in jobs))
    return results
