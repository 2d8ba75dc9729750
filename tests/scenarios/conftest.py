"""One real pipeline run for every scenario, against fakes on loopback, shared by all scenario tests.

Each scenario is one (account, combination) cell: the account or the request is configured into
exactly one real-world failure (tests/scenarios/data/*.toml). Running every cell in one plan keeps
the whole folder fast (probes run concurrently) while each test still reads the output of the full
chain: probe -> fake -> verdict -> outcome -> controls -> diagnosis -> ticket.

The plan is built from the same `load`/`build_plan` the CLI uses; only the targets are ours, so a
cell can be pointed at a regional fake or at a closed port, which `open_mode` cannot do.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from dg_entitlements import diagnosis as diagnosis_module
from dg_entitlements import pipeline as pipeline_module
from dg_entitlements.catalogue import Catalogue, load_catalogue
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.defaults import CATALOGUE as SHIPPED_CATALOGUE
from dg_entitlements.engine import build_plan, run_plan
from dg_entitlements.fake.config import load_fake_config
from dg_entitlements.fake.server import FakeServer
from dg_entitlements.model import Cell, Diagnosis, RunResult
from dg_entitlements.modes import ModeEnv
from dg_entitlements.probe.retry import RetryPolicy
from dg_entitlements.probe.target import Target

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = DATA / "catalogue.toml"
ACCOUNTS = DATA / "accounts.toml"
FAKE_CONFIG = DATA / "fake-deepgram.toml"
REGIONAL_CONFIG = DATA / "fake-regional.toml"

# (account, combination): every cell the scenarios read. One line per failure configured.
PAIRS: tuple[tuple[str, str], ...] = (
    ("payg-full", "listen-v2-ws::flux+channels"),
    ("payg-full", "listen-v2-ws::flux+several-v1-params"),
    ("payg-full", "listen-v2-ws::flux+interim_results"),
    ("payg-full", "listen-v2-ws::flux+punctuate"),
    ("payg-full", "listen-v1-ws::nova-3+endpointing-banana"),
    ("payg-full", "listen-v1-ws::nova-3+smart_format-True"),
    ("payg-full", "speak-v1-ws::aura-2-thalia-en+mip_opt_out-False"),
    ("payg-full", "listen-v1-ws::nova-2+keyterm"),
    ("payg-full", "listen-v2-ws::flux+language_hint"),
    ("payg-full", "listen-v1-ws::nova-3+summarize"),
    ("payg-full", "listen-v1-rest::nova-3+language-zz"),
    ("payg-full", "listen-v1-rest::nova-3+callback-no-scheme"),
    ("payg-full", "listen-v1-ws::nova-3+topics"),
    ("payg-full", "listen-v1-ws::nova-3+intents"),
    ("payg-full", "listen-v1-rest::flux-general-en"),
    ("payg-full", "listen-v1-ws::flux-general-en"),
    ("payg-full", "listen-v2-ws::nova-3"),
    ("payg-full", "speak-v2-rest::aura-2-thalia-en"),
    ("payg-full", "speak-v2-ws::aura-2-thalia-en"),
    ("payg-full", "listen-v1-rest::nova-3-genral"),
    ("payg-full", "speak-v1-rest::aura-2-nosuch-en"),
    ("payg-full", "speak-v1-rest::aura-2"),
    ("payg-no-flux", "listen-v2-ws::flux-general-en"),
    ("payg-no-flux", "listen-v1-rest::whisper-medium"),
    ("payg-no-flux", "project-keys-v1::list"),
    ("no-multi", "listen-v2-ws::flux-general-multi"),
    ("no-credits", "listen-v1-rest::nova-3"),
    ("one-stream", "listen-v1-ws::nova-3"),
    ("flaky", "listen-v1-rest::nova-3"),
    ("bad-key", "listen-v1-rest::nova-3"),
    ("bad-key", "listen-v2-ws::flux+channels"),
    ("no-key", "listen-v1-rest::nova-3"),
    ("url-key", "listen-v1-rest::nova-3+token-in-url"),
    ("refused", "listen-v1-rest::nova-3"),
    ("regional", "projects-v1::list"),
)
# Retries of transient answers (429, 5xx, refused) are real and shown; only their sleep is shortened.
FAST_RETRY = RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.05, max_probe_s=10.0, max_run_retry_s=5.0)
HOLD_KEY = "dgfake-one-stream-k1"


@dataclass(frozen=True)
class ScenarioRun:
    """The run result plus what the tests need to check it (where the fakes listened)."""

    result: RunResult
    fake: FakeServer
    refused_port: int

    def cell(self, account: str, combo_id: str) -> Cell:
        return self.result.cell(account, combo_id)


@pytest.fixture(scope="session")
def scenario_fake() -> Iterator[FakeServer]:
    """The fake configured with one account per failure (shared by the pipeline run and explain tests)."""
    with FakeServer(load_fake_config(FAKE_CONFIG)) as server:
        yield server


def closed_port() -> int:
    """A loopback port nobody listens on: bound then closed, so a connect is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def scenarios(scenario_fake: FakeServer) -> Iterator[ScenarioRun]:
    """Every scenario cell through the real pipeline, once."""
    options = SuiteOptions(mode="fake", catalogue=str(CATALOGUE), accounts=str(ACCOUNTS),
                           fake_config=str(FAKE_CONFIG), root=str(ROOT))
    loaded = load(options)
    port = closed_port()
    with FakeServer(load_fake_config(REGIONAL_CONFIG)) as regional:
        main = Target(scenario_fake.http_url, scenario_fake.ws_url, scenario_fake.ws_url)
        targets = {alias: main for alias in {a for a, _ in PAIRS}}
        targets["regional"] = Target(regional.http_url, regional.ws_url, regional.ws_url)
        targets["refused"] = Target(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
        plan = build_plan(loaded, list(PAIRS), ModeEnv(targets))
        plan = replace(plan, settings=replace(plan.settings, retry=FAST_RETRY))
        # The one stream account "one-stream" may hold is taken by this socket for the whole run.
        url = f"{scenario_fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
        with connect(url, additional_headers={"Authorization": f"Token {HOLD_KEY}"}, open_timeout=5,
                     close_timeout=2):
            result = run_plan(plan)
    yield ScenarioRun(result, scenario_fake, port)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The shipped catalogue, as `explain` reads it."""
    return load_catalogue(SHIPPED_CATALOGUE)


@pytest.fixture
def diagnoses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Diagnosis | None]]:
    """Every Diagnosis `explain` produces, in order (the cell's first, then any control's)."""
    seen: list[Diagnosis | None] = []
    real: Callable[..., Diagnosis | None] = diagnosis_module.diagnose

    def spy(*args: Any, **kwargs: Any) -> Diagnosis | None:
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(diagnosis_module, "diagnose", spy)
    monkeypatch.setattr(pipeline_module, "diagnose", spy)  # the engine's pipeline calls it
    yield seen
