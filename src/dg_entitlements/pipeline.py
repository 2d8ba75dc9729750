"""Executing a plan: probe (I/O) -> judge -> outcome -> evidence + controls -> diagnose -> RunResult.

The engine (engine.py) owns a run and calls this; nothing else should. Everything but `run_probes`
is a pure function over plain data. What has finished is kept in a `RunState` as it goes, so an
interrupted run still yields a valid RunResult marked incomplete.

Three decisions live here once:
- the ledger: every request the run sends (cells, discovery, evidence, controls, retries) is granted
  by the budget before it is sent and recorded from its observation after; the report's cost is
  what the ledger recorded, so the budget and the report can never disagree;
- the gate: `outcomes.needs_explaining` decides which cells get a diagnosis, `outcomes.worth_controls`
  which of those are worth control probes;
- discovery: the project id is looked up only when a selected cell or wanted evidence needs it.

What runs where: the event loop's thread only sends, waits and books; judging a cell, cutting its
body to the excerpt and diagnosing run on the run's reading thread (probe/offload.py), so a probe in
flight never waits behind them. A cell keeps its whole body only while a diagnosis still needs it
(`compact_cell`); what the run learns from a body besides the verdict (the project id, the model
lists) is read before the cut.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import __version__
from .accounts import Account, expectation_for
from .budget import Budget
from .catalogue import Catalogue
from .controls import ControlSpec, plan_controls
from .diagnosis import AuthForm, DiagnosisContext, diagnose, model_names
from .model import (
    MODEL_LIST,
    PROJECT_LIST,
    PROJECT_MODEL_LIST,
    SCHEMA_VERSION,
    AccountInfo,
    Cell,
    Combo,
    ComboInfo,
    ControlResult,
    Cost,
    Expectation,
    Observation,
    Outcome,
    RunResult,
    Surface,
    Verdict,
    compact_observation,
)
from .outcomes import needs_explaining, outcome_for, worth_controls
from .probe.headstart import HeadStart
from .probe.http import make_client
from .probe.limits import ProjectGates, RunSlots
from .probe.offload import off_loop, reading_thread, urgent
from .probe.pace import keep_pace
from .probe.request import MissingPrerequisite, ProbeRequest, build_request
from .probe.retry import RetryBudget
from .probe.runner import OnDone, ProbeJob, ProbeObserver, ProbeSettings, run_probes, utc_now
from .probe.target import Target
from .secrets import ApiKey
from .verdicts import judge

if TYPE_CHECKING:
    import httpx

EVIDENCE_ROLES = (MODEL_LIST, PROJECT_MODEL_LIST)
DIAGNOSIS_BATCH = 200  # cells diagnosed per hand-over to the reading thread (an interrupt waits one batch)


@dataclass(frozen=True)
class Selected:
    """One cell to probe. `request` replaces the catalogue's minimal request (explain sends the
    user's exact request: their headers, method and body)."""

    account: Account
    combo: Combo
    request: ProbeRequest | None = None
    auth: AuthForm | None = None  # the form of the user's own credential (explain): read like explain --offline


@dataclass(frozen=True)
class RunPlan:
    mode: str
    catalogue: Catalogue
    selected: tuple[Selected, ...]
    targets: dict[str, Target]  # alias -> where its probes go
    keys: dict[str, ApiKey | None]  # alias -> key (None: no key)
    settings: ProbeSettings = field(default_factory=ProbeSettings)
    controls: bool = True
    max_controls: int = 3
    budget: Budget | None = None
    notes: tuple[str, ...] = ()
    observers: tuple[ProbeObserver, ...] = ()  # see every probe of the run (the cassette layer's)


@dataclass
class Ledger:
    """What the budget granted before sending and what the observations say was sent."""

    budget: Budget | None = None
    granted: Cost = Cost()
    spent: Cost = Cost()

    def grant(self, cost: Cost) -> bool:
        if self.budget is not None and not self.budget.allows(self.granted, cost):
            return False
        self.granted = self.granted + cost
        return True

    def record(self, observation: Observation) -> None:
        self.spent = self.spent + observation.cost

    def describe(self) -> str:
        return self.budget.describe() if self.budget else ""


@dataclass
class RunState:
    """What has finished so far; the source of a partial RunResult if the run is interrupted."""

    ledger: Ledger
    started_at: str = field(default_factory=utc_now)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    project_ids: dict[str, str | None] = field(default_factory=dict)
    # What the run's own role cells said, read before their bodies were cut: an account's GET
    # /v1/projects cell -> its first project id; its model-list cells -> (alias, role) -> the model
    # names (None: the list did not answer 200).
    listed_project: dict[str, str | None] = field(default_factory=dict)
    model_lists: dict[tuple[str, str], frozenset[str] | None] = field(default_factory=dict)
    unfunded_discovery: set[str] = field(default_factory=set)
    narrowest_window: dict[str, int] = field(default_factory=dict)  # account -> lowest window after a 429


@dataclass(frozen=True)
class RunGuards:
    """What every probe group of one run shares: the concurrency bound, the retry sleep budget, the
    spending gate and the observers, so running groups side by side never widens any of them and
    no probe goes unseen."""

    limiter: RunSlots
    retry_budget: RetryBudget
    may_spend: Callable[[Cost], bool]
    projects: ProjectGates
    observers: tuple[ProbeObserver, ...]
    client: httpx.AsyncClient  # the run's one client: every group reuses its connections

    async def probe(self, jobs: Sequence[ProbeJob], settings: ProbeSettings, ledger: Ledger,
                    on_done: OnDone | None = None, urgent: bool = False,
                    head: HeadStart | None = None) -> dict[Hashable, Observation]:
        """`urgent`: the group is on the run's critical path (discovery, and the cells waiting for it):
        its probes take the next free slots before the queued cells that could start at once.
        `head`: the run's head start, told when this group's requests are sent (if it watches them)."""
        def done(job: ProbeJob, observation: Observation) -> Awaitable[None] | None:
            ledger.record(observation)
            return on_done(job, observation) if on_done is not None else None

        return await run_probes(jobs, settings, done, limiter=self.limiter, retry_budget=self.retry_budget,
                                may_spend=self.may_spend, gates=self.projects, observers=self.observers,
                                client=self.client, priority=RunSlots.URGENT if urgent else RunSlots.NORMAL,
                                on_sent=None if head is None else head.watch(jobs))


def new_state(plan: RunPlan) -> RunState:
    return RunState(ledger=Ledger(plan.budget))


def account_infos(plan: RunPlan, state: RunState) -> tuple[AccountInfo, ...]:
    seen: dict[str, AccountInfo] = {}
    for item in plan.selected:
        acc = item.account
        if acc.alias in seen:
            continue
        key = plan.keys.get(acc.alias)
        seen[acc.alias] = AccountInfo(
            alias=acc.alias, fingerprint=key.fingerprint if key else None,
            project_id=state.project_ids.get(acc.alias) or acc.project_id,
            base_url=plan.targets[acc.alias].rest, key_source=acc.key_source,
        )
    return tuple(seen.values())


def combo_infos(plan: RunPlan) -> dict[str, ComboInfo]:
    return {s.combo.id: ComboInfo(surface=s.combo.surface.name, model=s.combo.model, why=s.combo.why,
                                  tags=s.combo.tags, intrinsic=s.combo.expect is not None)
            for s in plan.selected}


def result_from_state(plan: RunPlan, state: RunState, complete: bool, extra_notes: Sequence[str] = ()) -> RunResult:
    order = {(s.account.alias, s.combo.id): i for i, s in enumerate(plan.selected)}
    cells = tuple(sorted(state.cells.values(), key=lambda c: order.get((c.account, c.combo_id), 1 << 30)))
    targets = next(iter(plan.targets.values())).as_dict() if plan.targets else {}
    return RunResult(
        schema_version=SCHEMA_VERSION, tool_version=__version__, mode=plan.mode, started_at=state.started_at,
        finished_at=utc_now(), complete=complete, accounts=account_infos(plan, state), cells=cells,
        targets=targets, cost=state.ledger.spent,
        notes=tuple(plan.notes) + tuple(extra_notes) + _window_notes(state.narrowest_window),
        surfaces={name: s.title for name, s in plan.catalogue.surfaces.items()}, combos=combo_infos(plan),
    )


def _window_notes(narrowest: dict[str, int]) -> tuple[str, ...]:
    return tuple(f"{alias}: its project answered 429, so its probes at once went down to {n}; a probe still "
                 "refused after its retries is inconclusive, never a denial" for alias, n in sorted(narrowest.items()))


def make_cell(account: str, combo: Combo, expectation: Expectation, observation: Observation | None,
              skipped_reason: str | None = None) -> Cell:
    """Judge one observation against its expectation (pure)."""
    base = Cell(account=account, combo_id=combo.id, surface=combo.surface.name, variant=combo.variant,
                model=combo.model, expectation=expectation, outcome=Outcome.SKIPPED, judgement=None,
                observation=None, skipped_reason=skipped_reason, combo=combo)
    if observation is None:
        return base
    judgement = judge(observation, combo)
    return replace(base, outcome=outcome_for(expectation, judgement, observation.status), judgement=judgement,
                   observation=observation, skipped_reason=None)


def compact_cell(cell: Cell) -> Cell:
    """The cell as kept once nothing needs its whole body (model.excerpt): what the report shows anyway."""
    if cell.observation is None:
        return cell
    observation = compact_observation(cell.observation)
    return cell if observation is cell.observation else replace(cell, observation=observation)


@dataclass(frozen=True)
class Judged:
    """A probed cell as the run keeps it and as it is reported, with what its answer told the run
    (read before the body was cut)."""

    kept: Cell  # whole while a diagnosis still needs it (outcomes.needs_explaining), else compact
    reported: Cell  # compact: what the handlers (the checkpoint) get
    project_id: str | None = None  # an account's own GET /v1/projects cell: its first project id
    model_names: frozenset[str] | None = None  # a model-list cell that answered 200: the names it lists


def judge_probe(item: Selected, observation: Observation, role: str | None) -> Judged:
    """Judge a finished probe and cut what no later stage needs (pure: runs on the reading thread).
    `role`: the surface role this cell plays for the run (discovery, evidence), if any."""
    cell = make_cell(item.account.alias, item.combo, expectation_for(item.account, item.combo), observation)
    reported = compact_cell(cell)
    names = _names_of(observation) if role in EVIDENCE_ROLES else None
    return Judged(kept=cell if needs_explaining(cell) else reported, reported=reported,
                  project_id=first_project_id(observation) if role == PROJECT_LIST else None, model_names=names)


def first_project_id(observation: Observation | None) -> str | None:
    body = observation.body if observation else None
    if isinstance(body, dict) and isinstance(body.get("projects"), list):
        for project in body["projects"]:
            if isinstance(project, dict) and isinstance(project.get("project_id"), str):
                return str(project["project_id"])
    return None


def _role_combo(plan: RunPlan, role: str) -> Combo | None:
    """The catalogue's combination for a role surface (its own cell id, so a run's cell is reused)."""
    surface = plan.catalogue.with_role(role)
    if surface is None:
        return None
    return next((c for c in plan.catalogue.combos if c.surface.name == surface.name),
                Combo(id=f"{surface.name}::{role}", surface=surface))


def _role_ids(plan: RunPlan) -> dict[str, str]:
    """combination id -> the role its cell plays for the run (the ones `_role_combo` would pick)."""
    return {combo.id: role for role in (PROJECT_LIST, *EVIDENCE_ROLES) if (combo := _role_combo(plan, role))}


def _needs_project(surface: Surface) -> bool:
    return "{project_id}" in surface.path


async def _discover_projects(plan: RunPlan, state: RunState, aliases: Sequence[str], guards: RunGuards,
                             head: HeadStart | None = None) -> None:
    """Learn the project id of the accounts that need one and do not have it: one GET /v1/projects
    each (unless that very cell already answered in this run)."""
    combo = _role_combo(plan, PROJECT_LIST)
    if combo is None:
        return
    for alias in aliases:
        if alias in state.listed_project and not state.project_ids.get(alias):
            state.project_ids[alias] = state.listed_project[alias]
    needing = sorted(a for a in aliases if not state.project_ids.get(a) and plan.keys.get(a) is not None)
    state.unfunded_discovery.update(a for a in needing if not state.ledger.grant(Cost(requests=1)))
    jobs = [ProbeJob((alias, "discovery"), build_request(combo, plan.targets[alias]), plan.keys.get(alias), alias)
            for alias in needing if alias not in state.unfunded_discovery]
    found = await guards.probe(jobs, plan.settings, state.ledger, urgent=True, head=head)
    for ident, observation in found.items():
        assert isinstance(ident, tuple)
        state.project_ids[str(ident[0])] = first_project_id(observation)


def _plan_jobs(plan: RunPlan, state: RunState, selected: Sequence[Selected],
               index: dict[Hashable, Selected]) -> list[ProbeJob]:
    """Requests to send, in plan order; what cannot be built or does not fit the budget is a skipped cell."""
    jobs: list[ProbeJob] = []
    for item in selected:
        alias = item.account.alias
        key = (alias, item.combo.id)
        expectation = expectation_for(item.account, item.combo)
        try:
            request = item.request or build_request(item.combo, plan.targets[alias], state.project_ids.get(alias))
        except MissingPrerequisite as exc:
            reason = (f"skipped for budget: no budget left for GET /v1/projects, which gives the project id "
                      f"({state.ledger.describe()})" if alias in state.unfunded_discovery else str(exc))
            state.cells[key] = make_cell(alias, item.combo, expectation, None, reason)
            continue
        if not state.ledger.grant(request.cost):
            state.cells[key] = make_cell(alias, item.combo, expectation, None,
                                         f"skipped for budget ({state.ledger.describe()})")
            continue
        jobs.append(ProbeJob(key, request, plan.keys.get(alias), alias))
        index[key] = item
    return jobs


def _names_of(observation: Observation) -> frozenset[str] | None:
    return model_names(observation.body) if observation.status == 200 else None


async def _fetch_evidence(plan: RunPlan, state: RunState, cells: Sequence[Cell],
                          guards: RunGuards) -> dict[tuple[str, str], frozenset[str] | None]:
    """The model lists are evidence for not-entitled vs no-such-model: fetched for the accounts with
    such a refusal, unless the run already has them as cells. Evidence probes are their own kind.
    Returns (alias, role) -> the names listed (None: the list did not answer 200), for those accounts."""
    wanted = sorted({c.account for c in cells if c.judgement and c.judgement.verdict is Verdict.NOT_ENTITLED})
    evidence: dict[tuple[str, str], frozenset[str] | None] = {}
    if not wanted or not plan.controls:
        return evidence
    project_list = _role_combo(plan, PROJECT_MODEL_LIST)
    if project_list is not None:
        await _discover_projects(plan, state, wanted, guards)
    jobs: list[ProbeJob] = []
    for alias in wanted:
        for role in EVIDENCE_ROLES:
            combo = _role_combo(plan, role)
            if combo is None:
                continue
            if (alias, role) in state.model_lists:  # the run's own cell answered it
                evidence[(alias, role)] = state.model_lists[(alias, role)]
                continue
            try:
                request = build_request(combo, plan.targets[alias], state.project_ids.get(alias))
            except MissingPrerequisite:
                continue
            if state.ledger.grant(request.cost):
                jobs.append(ProbeJob((alias, role), request, plan.keys.get(alias), alias))
    found = await guards.probe(jobs, plan.settings, state.ledger)
    for ident, observation in found.items():
        assert isinstance(ident, tuple)
        evidence[(str(ident[0]), str(ident[1]))] = await off_loop(functools.partial(_names_of, observation))
    return evidence


def _control_results(specs: Sequence[tuple[Cell, ControlSpec]], found: dict[Hashable, Observation],
                     ) -> dict[tuple[str, str], list[ControlResult]]:
    """Each control's answer judged (pure: runs on the reading thread)."""
    per_cell: dict[tuple[str, str], list[ControlResult]] = {}
    for i, (cell, spec) in enumerate(specs):
        observation = found.get(i)
        if observation is not None:
            per_cell.setdefault((cell.account, cell.combo_id), []).append(ControlResult(
                purpose=spec.purpose, combo_id=spec.combo.id, status=observation.status,
                verdict=judge(observation, spec.combo).verdict, request_id=observation.request_id,
                model=spec.combo.model))
    return per_cell


async def _run_controls(plan: RunPlan, state: RunState, cells: Sequence[Cell],
                        guards: RunGuards) -> dict[tuple[str, str], list[ControlResult]]:
    specs: list[tuple[Cell, ControlSpec]] = []
    if plan.controls:
        for cell in cells:
            if worth_controls(cell) and cell.combo is not None:
                specs.extend((cell, spec) for spec in plan_controls(cell, cell.combo, plan.catalogue.known_good,
                                                                    plan.catalogue.bogus_model, plan.max_controls))
    jobs = []
    for i, (cell, spec) in enumerate(specs):
        try:
            request = build_request(spec.combo, plan.targets[cell.account], state.project_ids.get(cell.account),
                                    with_key=spec.with_key)
        except MissingPrerequisite:
            continue
        if state.ledger.grant(request.cost):
            jobs.append(ProbeJob(i, request, plan.keys.get(cell.account) if spec.with_key else None, cell.account))
    if not jobs:
        return {}
    found = await guards.probe(jobs, plan.settings, state.ledger)
    return await off_loop(functools.partial(_control_results, specs, found))


Diagnosable = tuple[Cell, DiagnosisContext]


def _diagnosed(work: Sequence[Diagnosable]) -> list[Cell]:
    """Diagnose cells, then cut their bodies (pure: runs on the reading thread)."""
    return [compact_cell(replace(cell, diagnosis=diagnose(cell, cell.combo, ctx)) if cell.combo else cell)
            for cell, ctx in work]


def _batches(items: Sequence[Diagnosable], size: int) -> Iterator[Sequence[Diagnosable]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _explain(plan: RunPlan, state: RunState, guards: RunGuards) -> None:
    """Evidence, controls and a diagnosis for every cell the gate selects."""
    cells = [c for c in state.cells.values() if needs_explaining(c)]
    if not cells:
        return
    evidence = await _fetch_evidence(plan, state, cells, guards)
    per_cell = await _run_controls(plan, state, cells, guards)
    infos = {info.alias: info for info in account_infos(plan, state)}
    forms = {(s.account.alias, s.combo.id): s.auth for s in plan.selected if s.auth is not None}
    work = [(cell, DiagnosisContext(
        account=infos[cell.account],
        public_models=evidence.get((cell.account, MODEL_LIST)),
        project_models=evidence.get((cell.account, PROJECT_MODEL_LIST)),
        controls=tuple(per_cell.get((cell.account, cell.combo_id), ())),
        auth=forms.get((cell.account, cell.combo_id)),
    )) for cell in cells]
    for batch in _batches(work, DIAGNOSIS_BATCH):
        for cell in await off_loop(functools.partial(_diagnosed, batch)):
            state.cells[(cell.account, cell.combo_id)] = cell


async def execute(plan: RunPlan, state: RunState, on_cell: Callable[[Cell], None] | None = None) -> None:
    """Run the plan into `state`; the caller builds the result from it (`result_from_state`), complete
    or, on cancellation, partial.

    Why nothing is returned: the value of the coroutine given to `asyncio.run` stays on its main task,
    and on the way out `asyncio.run` formats that task's repr (signal.getsignal on 3.11 does), result
    included: a 12,300-cell RunResult rendered to a 56 MB string, a second's stall and 100 MB of peak
    memory at the end of every large run."""
    with reading_thread():
        async with make_client(plan.settings.timeouts, plan.settings.loopback, plan.settings.concurrency) as client:
            await _execute(plan, state, on_cell, client)


async def _execute(plan: RunPlan, state: RunState, on_cell: Callable[[Cell], None] | None,
                   client: httpx.AsyncClient) -> None:
    for item in plan.selected:
        state.project_ids.setdefault(item.account.alias, item.account.project_id)
    index: dict[Hashable, Selected] = {}
    limits = {s.account.alias: s.account.stream_limit for s in plan.selected if s.account.stream_limit}
    guards = RunGuards(RunSlots(plan.settings.concurrency), RetryBudget(plan.settings.retry.max_run_retry_s),
                       state.ledger.grant, ProjectGates(limits), plan.observers, client)
    state.narrowest_window = guards.projects.lowest  # the same dict: a partial result sees it too
    roles = _role_ids(plan)
    lists_seen: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct model list

    async def done(job: ProbeJob, observation: Observation) -> None:
        item = index[job.ident]
        alias = item.account.alias
        role = roles.get(item.combo.id)
        judged = await off_loop(functools.partial(judge_probe, item, observation, role))
        if role == PROJECT_LIST:
            state.listed_project[alias] = judged.project_id
        elif role is not None:  # a model list
            names = judged.model_names
            state.model_lists[(alias, role)] = None if names is None else lists_seen.setdefault(names, names)
        state.cells[(alias, item.combo.id)] = judged.kept
        if on_cell is not None:
            on_cell(judged.reported)

    # Paths under /v1/projects/{id} wait for the project id; everything else starts at once, so the
    # discovery round trip overlaps the probing instead of preceding it.
    later = [s for s in plan.selected if s.request is None and _needs_project(s.combo.surface)]
    needing = {s.account.alias for s in later}
    # An account's own GET /v1/projects cell, when selected, is its discovery: it runs first.
    listing = [s for s in plan.selected if s.account.alias in needing and s.combo.surface.role == PROJECT_LIST]
    # By identity, not equality: a list membership test here was O(cells^2) deep dataclass compares.
    waiting = {id(s) for s in later} | {id(s) for s in listing}
    first = [s for s in plan.selected if id(s) not in waiting]
    first_jobs = _plan_jobs(plan, state, first, index)  # the budget grants in plan order, as it always did
    # Longest first (LPT scheduling): a stream waits for its handshake and then for its messages, a REST
    # call for one answer, so streams start first and the short calls fill in behind them; a run whose
    # starts are spread over a few ticks (probe/pace.py) then does not end on a stream started last.
    first_jobs.sort(key=lambda job: job.request.transport != "ws")

    head = HeadStart()

    async def after_discovery() -> None:
        """The critical path: listing, discovery, then the cells that waited for it, all urgent (they
        take the next free slot, and their answers are read first), so the run does not end a whole
        probe later. Its first requests go out before the other probes start (probe/headstart.py)."""
        try:
            if not later:
                return
            urgent()  # this task's reading work too (it runs in a context of its own)
            await guards.probe(_plan_jobs(plan, state, listing, index), plan.settings, state.ledger, done,
                               urgent=True, head=head)
            await _discover_projects(plan, state, sorted(needing), guards, head)
        finally:
            head.open()
        await guards.probe(_plan_jobs(plan, state, later, index), plan.settings, state.ledger, done, urgent=True)

    critical = asyncio.ensure_future(after_discovery())
    pacing = asyncio.ensure_future(keep_pace(guards.limiter))
    others: asyncio.Future[dict[Hashable, Observation]] | None = None
    try:
        await head.wait()
        others = asyncio.ensure_future(guards.probe(first_jobs, plan.settings, state.ledger, done))
        await asyncio.gather(critical, others)
    finally:
        # Whatever ended it (the end, a cancel, an error on either side), nothing of it outlives the run.
        started = [task for task in (critical, others, pacing) if task is not None]
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)
    await _explain(plan, state, guards)
