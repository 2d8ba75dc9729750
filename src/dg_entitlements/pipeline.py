"""One run, end to end: plan -> probe (I/O) -> judge -> outcome -> controls -> diagnose -> RunResult.

Everything but `run_probes` is a pure function over plain data. The pipeline keeps what has
finished in a `RunState` as it goes, so an interrupted run (Ctrl-C, SIGTERM) still yields a valid
RunResult marked incomplete, and a checkpoint callback can write it out while the run goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import __version__
from .accounts import Account, expectation_for
from .budget import Budget
from .catalogue import Catalogue
from .controls import ControlSpec, plan_controls
from .diagnosis import DiagnosisContext, diagnose, model_names
from .model import (
    SCHEMA_VERSION,
    AccountInfo,
    Cell,
    Combo,
    ControlResult,
    Cost,
    Expectation,
    Observation,
    Outcome,
    RunResult,
    Verdict,
)
from .outcomes import outcome_for
from .probe.request import MissingPrerequisite, build_request
from .probe.retry import RetryBudget
from .probe.runner import ProbeJob, ProbeSettings, run_probes, utc_now
from .probe.target import Target
from .secrets import ApiKey
from .verdicts import judge

PROJECTS_LIST = "projects-v1::list"
DISCOVERY = f"{PROJECTS_LIST}@discovery"
CONTEXT_SURFACES = ("models-v1", "project-models-v1")


@dataclass(frozen=True)
class Selected:
    account: Account
    combo: Combo


@dataclass(frozen=True)
class RunPlan:
    mode: str
    catalogue: Catalogue
    selected: tuple[Selected, ...]
    targets: dict[str, Target]  # alias -> where its probes go
    keys: dict[str, ApiKey | None]  # alias -> key (None: no key, e.g. a canary of no-key probes)
    settings: ProbeSettings = field(default_factory=ProbeSettings)
    controls: bool = True
    max_controls: int = 3
    budget: Budget | None = None
    notes: tuple[str, ...] = ()


@dataclass
class RunState:
    """What has finished so far; the source of a partial RunResult if the run is interrupted."""

    started_at: str = field(default_factory=utc_now)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    project_ids: dict[str, str | None] = field(default_factory=dict)
    extra_cost: Cost = Cost()  # discovery and context probes
    planned: Cost = Cost()  # what the budget has already granted
    unfunded_discovery: set[str] = field(default_factory=set)  # accounts whose project id the budget left unknown


@dataclass(frozen=True)
class RunGuards:
    """What every probe group of one run shares: the concurrency bound, the retry sleep budget and
    the spending gate, so running groups side by side never widens any of them."""

    limiter: asyncio.Semaphore
    retry_budget: RetryBudget
    may_spend: Callable[[Cost], bool]

    def kwargs(self) -> dict[str, Any]:
        return {"limiter": self.limiter, "retry_budget": self.retry_budget, "may_spend": self.may_spend}


def grant(plan: RunPlan, state: RunState, cost: Cost) -> bool:
    """The one budget gate: every request a run sends (cells, discovery, controls, retries) passes it."""
    if plan.budget is not None and not plan.budget.allows(state.planned, cost):
        return False
    state.planned = state.planned + cost
    return True


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


def result_from_state(plan: RunPlan, state: RunState, complete: bool, extra_notes: Sequence[str] = ()) -> RunResult:
    order = {(s.account.alias, s.combo.id): i for i, s in enumerate(plan.selected)}
    cells = tuple(sorted(state.cells.values(), key=lambda c: order.get((c.account, c.combo_id), 1 << 30)))
    cost = state.extra_cost
    for cell in cells:
        if cell.observation is not None:
            cost = cost + cell.observation.cost
        if cell.diagnosis is not None:
            cost = cost + Cost(requests=len(cell.diagnosis.controls))
    targets = {}
    if plan.targets:
        first = next(iter(plan.targets.values()))
        targets = first.as_dict()
    return RunResult(
        schema_version=SCHEMA_VERSION, tool_version=__version__, mode=plan.mode, started_at=state.started_at,
        finished_at=utc_now(), complete=complete, accounts=account_infos(plan, state), cells=cells,
        targets=targets, cost=cost, notes=tuple(plan.notes) + tuple(extra_notes),
        surfaces={name: s.title for name, s in plan.catalogue.surfaces.items()},
    )


def make_cell(account: str, combo: Combo, expectation: Expectation, observation: Observation | None,
              skipped_reason: str | None = None) -> Cell:
    """Judge one observation against its expectation (pure)."""
    if observation is None:
        return Cell(account=account, combo_id=combo.id, surface=combo.surface.name, variant=combo.variant,
                    model=combo.model, expectation=expectation, outcome=Outcome.SKIPPED, judgement=None,
                    observation=None, skipped_reason=skipped_reason)
    judgement = judge(observation, combo)
    outcome = outcome_for(expectation, judgement, observation.status)
    return Cell(account=account, combo_id=combo.id, surface=combo.surface.name, variant=combo.variant,
                model=combo.model, expectation=expectation, outcome=outcome, judgement=judgement,
                observation=observation)


def first_project_id(observation: Observation | None) -> str | None:
    body = observation.body if observation else None
    if isinstance(body, dict) and isinstance(body.get("projects"), list):
        for project in body["projects"]:
            if isinstance(project, dict) and isinstance(project.get("project_id"), str):
                return str(project["project_id"])
    return None


async def _discover_projects(plan: RunPlan, state: RunState, listed: dict[str, Observation],
                             guards: RunGuards | None = None) -> None:
    """Learn each account's project id: paths under /v1/projects/{id} need it, and a support ticket
    without the project id is a ticket support sends back. An account whose GET /v1/projects cell is
    in the run reuses that answer (`listed`); the others get one discovery probe."""
    for alias, observation in listed.items():
        state.project_ids[alias] = state.project_ids.get(alias) or first_project_id(observation)
    projects = plan.catalogue.surfaces.get("projects-v1")
    if projects is None:
        return
    needing = sorted({s.account.alias for s in plan.selected
                      if not state.project_ids.get(s.account.alias) and s.account.alias not in listed
                      and plan.keys.get(s.account.alias) is not None})
    state.unfunded_discovery.update(alias for alias in needing if not grant(plan, state, Cost(requests=1)))
    needing = [alias for alias in needing if alias not in state.unfunded_discovery]
    if not needing:
        return
    combo = Combo(id=DISCOVERY, surface=projects)
    jobs = [ProbeJob((alias, DISCOVERY), build_request(combo, plan.targets[alias]), plan.keys.get(alias), alias)
            for alias in needing]
    found = await run_probes(jobs, plan.settings, **(guards.kwargs() if guards else {}))
    for (alias, _), observation in ((k, v) for k, v in found.items() if isinstance(k, tuple)):
        state.project_ids[alias] = first_project_id(observation)
        state.extra_cost = state.extra_cost + observation.cost


def _plan_jobs(plan: RunPlan, state: RunState, selected: Sequence[Selected],
               index: dict[Hashable, Selected]) -> list[ProbeJob]:
    """Requests to send, in plan order; what cannot be built or does not fit the budget is a skipped cell."""
    jobs: list[ProbeJob] = []
    for item in selected:
        alias = item.account.alias
        key = (alias, item.combo.id)
        try:
            request = build_request(item.combo, plan.targets[alias], state.project_ids.get(alias))
        except MissingPrerequisite as exc:
            reason = (f"skipped for budget: no budget left for GET /v1/projects, which gives the project id "
                      f"({plan.budget.describe() if plan.budget else ''})"
                      if alias in state.unfunded_discovery else str(exc))
            state.cells[key] = make_cell(alias, item.combo, expectation_for(item.account, item.combo), None, reason)
            continue
        if not grant(plan, state, request.cost):
            reason = f"skipped for budget ({plan.budget.describe() if plan.budget else ''})"
            state.cells[key] = make_cell(alias, item.combo, expectation_for(item.account, item.combo), None, reason)
            continue
        jobs.append(ProbeJob(key, request, plan.keys.get(alias), alias))
        index[key] = item
    return jobs


def _needs_explaining(cell: Cell) -> bool:
    return cell.judgement is not None and cell.judgement.verdict is not Verdict.ENTITLED


async def _explain(plan: RunPlan, state: RunState) -> None:
    """Controls and diagnosis for every cell that was not a clean allow."""
    cells = [c for c in state.cells.values() if _needs_explaining(c)]
    combos = plan.catalogue.by_id()
    specs: list[tuple[Cell, ControlSpec]] = []
    if plan.controls:
        for cell in cells:
            combo = combos.get(cell.combo_id)
            if combo is None:
                continue
            for spec in plan_controls(cell, combo, plan.catalogue.known_good, plan.catalogue.bogus_model,
                                      plan.max_controls):
                specs.append((cell, spec))
        # The model lists are evidence for not-entitled vs no-such-model; fetch them if the run has not.
        wanted = {c.account for c in cells if c.judgement and c.judgement.verdict is Verdict.NOT_ENTITLED}
        for alias in sorted(wanted):
            for sname in CONTEXT_SURFACES:
                if (alias, f"{sname}::list") in state.cells or sname not in plan.catalogue.surfaces:
                    continue
                combo = Combo(id=f"{sname}::list", surface=plan.catalogue.surfaces[sname])
                anchor = next(c for c in cells if c.account == alias)
                specs.append((anchor, ControlSpec(purpose=f"context:{sname}", combo=combo)))
    jobs = []
    for i, (cell, spec) in enumerate(specs):
        try:
            request = build_request(spec.combo, plan.targets[cell.account], state.project_ids.get(cell.account),
                                    with_key=spec.with_key)
        except MissingPrerequisite:
            continue
        jobs.append(ProbeJob(i, request, plan.keys.get(cell.account) if spec.with_key else None, cell.account))
    jobs = [job for job in jobs if grant(plan, state, job.request.cost)]  # controls are on the bill too
    observations = await run_probes(jobs, plan.settings, may_spend=lambda cost: grant(plan, state, cost)) \
        if jobs else {}
    per_cell: dict[tuple[str, str], list[ControlResult]] = {}
    context_obs: dict[tuple[str, str], Observation] = {}
    for i, (cell, spec) in enumerate(specs):
        observation = observations.get(i)
        if observation is None:
            continue
        if spec.purpose.startswith("context:"):
            context_obs[(cell.account, spec.purpose.split(":", 1)[1])] = observation
            state.extra_cost = state.extra_cost + observation.cost
            continue
        verdict = judge(observation, spec.combo).verdict
        per_cell.setdefault((cell.account, cell.combo_id), []).append(ControlResult(
            purpose=spec.purpose, combo_id=spec.combo.id, status=observation.status, verdict=verdict,
            request_id=observation.request_id))
    infos = {info.alias: info for info in account_infos(plan, state)}
    for cell in cells:
        ctx = DiagnosisContext(
            account=infos[cell.account],
            public_models=_names(state, context_obs, cell.account, "models-v1"),
            project_models=_names(state, context_obs, cell.account, "project-models-v1"),
            controls=tuple(per_cell.get((cell.account, cell.combo_id), ())),
        )
        combo = combos.get(cell.combo_id)
        if combo is not None:
            state.cells[(cell.account, cell.combo_id)] = replace(cell, diagnosis=diagnose(cell, combo, ctx))


def _names(state: RunState, context_obs: dict[tuple[str, str], Observation], alias: str,
           surface: str) -> frozenset[str] | None:
    cell = state.cells.get((alias, f"{surface}::list"))
    observation = cell.observation if cell else context_obs.get((alias, surface))
    if observation is None or observation.status != 200:
        return None
    return model_names(observation.body)


async def execute(plan: RunPlan, state: RunState | None = None,
                  on_cell: Callable[[RunState], None] | None = None) -> RunResult:
    """Run the plan. On cancellation the state keeps what finished; the caller builds a partial result."""
    state = state if state is not None else RunState()
    for item in plan.selected:
        state.project_ids.setdefault(item.account.alias, item.account.project_id)
    index: dict[Hashable, Selected] = {}
    guards = RunGuards(asyncio.Semaphore(max(1, plan.settings.concurrency)),
                       RetryBudget(plan.settings.retry.max_run_retry_s), lambda cost: grant(plan, state, cost))

    def done(job: ProbeJob, observation: Observation) -> None:
        item = index[job.ident]
        alias = item.account.alias
        state.cells[(alias, item.combo.id)] = make_cell(alias, item.combo, expectation_for(item.account, item.combo),
                                                        observation)
        if on_cell is not None:
            on_cell(state)

    # Paths under /v1/projects/{id} wait for the project id; everything else starts at once, so the
    # discovery round trip overlaps the probing instead of preceding it.
    listing = [s for s in plan.selected if s.combo.id == PROJECTS_LIST]
    later = [s for s in plan.selected if "{project_id}" in s.combo.surface.path]
    first = [s for s in plan.selected if s not in later and s not in listing]
    first_jobs = _plan_jobs(plan, state, first, index)

    async def after_discovery() -> None:
        found = await run_probes(_plan_jobs(plan, state, listing, index), plan.settings, done, **guards.kwargs())
        listed = {str(ident[0]): obs for ident, obs in found.items() if isinstance(ident, tuple)}
        await _discover_projects(plan, state, listed, guards)
        await run_probes(_plan_jobs(plan, state, later, index), plan.settings, done, **guards.kwargs())

    await asyncio.gather(run_probes(first_jobs, plan.settings, done, **guards.kwargs()), after_discovery())
    await _explain(plan, state)
    return result_from_state(plan, state, complete=True)


def run_sync(plan: RunPlan, state: RunState | None = None,
             on_cell: Callable[[RunState], None] | None = None) -> RunResult:
    """Run in a fresh event loop of its own (pytest tests stay synchronous and loop-free)."""
    state = state if state is not None else RunState()
    try:
        return asyncio.run(execute(plan, state, on_cell))
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(result_from_state(plan, state, complete=False, extra_notes=["interrupted"])) from None


class Interrupted(Exception):
    """Carries the partial result of an interrupted run up to whoever writes the reports."""

    def __init__(self, partial: RunResult) -> None:
        super().__init__("run interrupted")
        self.partial = partial
