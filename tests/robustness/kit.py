"""Build small runs against a fake with faults, in process, with every network step bounded.

Why plans are built by hand here (not through `modes.load`): each test needs its own fault
accounts, its own tiny Timeouts and RetryPolicy and sometimes a target that is not the fake at all
(a raw TCP server that stalls). Everything after the plan is the real pipeline (`run_sync`), so what
is asserted is what a user's run would record.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dg_entitlements.accounts import Account
from dg_entitlements.budget import Budget
from dg_entitlements.catalogue import Catalogue, load_catalogue
from dg_entitlements.engine import run_plan as run_sync
from dg_entitlements.fake.config import parse_fake_config
from dg_entitlements.fake.server import FakeServer
from dg_entitlements.model import Cell, RunResult, Verdict
from dg_entitlements.pipeline import RunPlan, Selected
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.probe.runner import ProbeSettings
from dg_entitlements.probe.target import Target
from dg_entitlements.probe.timeouts import Timeouts
from dg_entitlements.secrets import ApiKey

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE: Catalogue = load_catalogue(ROOT / "src/dg_entitlements/data/catalogue.toml")

# Every fake-side wait in these tests is well under a second; these bounds make a stall visible fast.
SMALL = Timeouts(connect_s=1.0, read_s=0.4, frame_window_s=0.05, close_s=0.3)
FAST_RETRY = RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.02, max_probe_s=10.0, max_run_retry_s=10.0)
RUN_BOUND_S = 60.0  # an outer bound only, so a regression fails instead of hanging the suite

DENIALS = frozenset({Verdict.NOT_ENTITLED, Verdict.INVALID_AUTH, Verdict.INSUFFICIENT_PERMISSIONS,
                     Verdict.PAYMENT_REQUIRED, Verdict.FEATURE_NOT_ALLOWED, Verdict.UNKNOWN_MODEL,
                     Verdict.WRONG_ENDPOINT, Verdict.MALFORMED_REQUEST, Verdict.NOT_FOUND})


def project_id(n: int) -> str:
    return f"7d1c0a52-fa4e-4c3b-9e51-{n:012d}"


def fake_key(alias: str) -> str:
    return f"dgfake-{alias}-k1"


def fake_config(accounts: dict[str, dict[str, Any]]) -> Any:
    """One fake account per alias (entitled to every model unless the dict says otherwise)."""
    raw = {}
    for i, (alias, extra) in enumerate(accounts.items(), start=100):
        raw[alias] = {"key": fake_key(alias), "project_id": project_id(i), "role": "owner", "models": ["*"],
                      "credits": 200.0, "max_concurrent_streams": 50} | extra
    return parse_fake_config({"schema": 1, "server": {"idle_timeout_s": 10.0}, "accounts": raw})


@contextmanager
def fake_server(accounts: dict[str, dict[str, Any]]) -> Iterator[FakeServer]:
    with FakeServer(fake_config(accounts)) as server:
        yield server


def target_of(server: FakeServer) -> Target:
    return Target(server.http_url, server.ws_url, server.ws_url)


def plan_for(pairs: Sequence[tuple[str, str]], targets: dict[str, Target], *, timeouts: Timeouts = SMALL,
             retry: RetryPolicy = FAST_RETRY, concurrency: int = 16, controls: bool = False,
             budget: Budget | None = None, keys: dict[str, str] | None = None) -> RunPlan:
    """A plan over combos of the shipped catalogue; every account expects `entitled` (so a denial
    would be an unexpected deny, never hidden by an expectation)."""
    combos = CATALOGUE.by_id()
    keys = keys or {}
    accounts = {alias: Account(alias=alias, literal_key=keys.get(alias, fake_key(alias)), project_id=project_id(0),
                               source="robustness") for alias, _ in pairs}
    selected = tuple(Selected(accounts[alias], combos[cid]) for alias, cid in pairs)
    return RunPlan(
        mode="fake", catalogue=CATALOGUE, selected=selected, targets=targets,
        keys={alias: ApiKey(acc.literal_key or "", "literal (fake)") for alias, acc in accounts.items()},
        settings=ProbeSettings(concurrency=concurrency, timeouts=timeouts, retry=retry), controls=controls,
        budget=budget,
    )


def run_bounded(plan: RunPlan) -> RunResult:
    """Run the real pipeline in a worker thread; fail (not hang) if it outlives RUN_BOUND_S."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["result"] = run_sync(plan)
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(RUN_BOUND_S)
    assert not thread.is_alive(), f"the run did not finish within {RUN_BOUND_S} s: something hangs"
    if "error" in out:
        raise out["error"]
    return out["result"]


@dataclass(frozen=True)
class Cells:
    result: RunResult

    def __call__(self, account: str, combo_id: str) -> Cell:
        return self.result.cell(account, combo_id)
