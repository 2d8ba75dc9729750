"""Adding a Deepgram endpoint is catalogue data: a surface the code has never heard of, written in a
temporary catalogue, is probed, discovered (project id), judged and reported with no code change.
And every account option is honoured, never accepted and ignored."""

from __future__ import annotations

from pathlib import Path

from dg_entitlements import engine
from dg_entitlements.accounts import Account
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.defaults import CATALOGUE
from dg_entitlements.model import Outcome, Verdict
from dg_entitlements.modes import account_target
from dg_entitlements.probe.target import LIVE_TARGET

NEW_ENDPOINT = """
[surfaces.project-balances-v1]
title = "GET /v1/projects/{id}/balances"
transport = "http"
method = "GET"
path = "/v1/projects/{project_id}/balances"
model_param = false
family = "manage"

[[combos]]
surface = "project-balances-v1"
variant = "list"
why = "billing: can this key read the project's balances?"
"""


def test_a_new_endpoint_is_catalogue_data_only(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE.read_text() + NEW_ENDPOINT)
    loaded = load(SuiteOptions(mode="fake", catalogue=str(catalogue), root=str(tmp_path)))
    result = engine.run(loaded, [("payg-full", "project-balances-v1::list")])
    cell = result.cells[0]
    assert cell.outcome is Outcome.AS_EXPECTED and cell.judgement and cell.judgement.verdict is Verdict.ENTITLED
    assert cell.observation and cell.observation.request and "/v1/projects/" in cell.observation.request.url
    assert result.combos["project-balances-v1::list"].why.startswith("billing")
    assert result.surfaces["project-balances-v1"] == "GET /v1/projects/{id}/balances"


def test_ws_and_agent_base_urls_are_honoured() -> None:
    account = Account(alias="a", base_url="https://api.eu.deepgram.com", ws_base_url="ws://127.0.0.1:8080",
                      agent_base_url="wss://agent.example.invalid", source="t.toml")
    target = account_target(account, LIVE_TARGET)
    assert target.rest == "https://api.eu.deepgram.com"
    assert target.ws == "ws://127.0.0.1:8080"
    assert target.agent == "wss://agent.example.invalid"
    assert account_target(Account(alias="b"), LIVE_TARGET) == LIVE_TARGET
