"""Every combination of the shipped catalogue, for every shipped fake account,
sent as the probe runner sends it, gets the status the accounts file declares, and every refusal
carries the body the reference describes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fake_kit import TIMEOUT, WsResult, wav, ws_session

from dg_entitlements.accounts import Account, expectation_for, load_accounts
from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.defaults import CATALOGUE as CATALOGUE_PATH
from dg_entitlements.defaults import FAKE_ACCOUNTS as FAKE_ACCOUNTS_PATH
from dg_entitlements.defaults import FAKE_CONFIG as FAKE_CONFIG_PATH
from dg_entitlements.fake import FakeServer, load_fake_config
from dg_entitlements.model import Combo

CATALOGUE = load_catalogue(CATALOGUE_PATH)
ACCOUNTS = load_accounts(FAKE_ACCOUNTS_PATH)
PROJECTS = {a.key: a.project_id for a in load_fake_config(FAKE_CONFIG_PATH).accounts}
CELLS = [(a, c) for a in ACCOUNTS.accounts for c in CATALOGUE.combos]


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: Any
    frames: list[Any]


async def probe(server: FakeServer, account: Account, combo: Combo) -> Answer:
    key = account.literal_key or ""
    surface = combo.surface
    path = surface.path.replace("{project_id}", PROJECTS[key])
    headers = {"Authorization": f"Token {key}"} if surface.auth else {}
    if surface.transport == "ws":
        url = str(httpx.URL(server.ws_url + path, params=combo.query()))
        send = [*combo.send, *([surface.close_message] if surface.close_message else [])]
        res: WsResult = await ws_session(url, headers, send=send, first_window=0.3,
                                         until_close=surface.close_message is not None)
        body = json.loads(res.body) if res.body else None
        return Answer(res.status, res.headers, body, res.frames)
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
        content: bytes | None = None
        if surface.body == "audio":
            content = wav(1.0)
            headers["Content-Type"] = "application/octet-stream"
        elif surface.body == "json":
            content = json.dumps(combo.json_body).encode()
            headers["Content-Type"] = "application/json"
        resp = await client.request(surface.method, server.http_url + path, params=tuple(combo.query()),
                                    headers=headers, content=content)
    try:
        parsed: Any = resp.json()
    except ValueError:
        parsed = None
    return Answer(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, parsed, [])


@pytest.fixture(scope="module")
def answers(fake: FakeServer) -> dict[str, Answer]:
    async def all_cells() -> dict[str, Answer]:
        gate = asyncio.Semaphore(24)

        async def one(account: Account, combo: Combo) -> tuple[str, Answer]:
            async with gate:
                return f"{account.alias}::{combo.id}", await probe(fake, account, combo)

        return dict(await asyncio.gather(*(one(a, c) for a, c in CELLS)))

    return asyncio.run(all_cells())


@pytest.mark.parametrize(("account", "combo"), CELLS, ids=[f"{a.alias}::{c.id}" for a, c in CELLS])
def test_status_is_as_declared(answers: dict[str, Answer], account: Account, combo: Combo) -> None:
    expected = expectation_for(account, combo)
    got = answers[f"{account.alias}::{combo.id}"]
    assert got.status == expected.status, (expected, got)
    assert got.headers.get("dg-request-id"), "every answer carries dg-request-id"
    if got.status not in (101, 200):
        assert isinstance(got.body, dict) and got.body["err_msg"] == got.headers["dg-error"]


# What the reference says each refused combination answers (§5.4, §8.12), whatever the account.
REFUSALS = {
    "listen-v1-rest::flux-general-en": (400, "V2_MODEL_ON_V1_LISTEN_ENDPOINT", "Flux models are not supported"),
    "listen-v1-ws::flux-general-en": (400, "V2_MODEL_ON_V1_LISTEN_ENDPOINT", "Flux models are not supported"),
    "listen-v2-ws::nova-3": (400, "V1_MODEL_ON_V2_LISTEN_ENDPOINT", "Only flux models are supported"),
    "listen-v2-ws::flux-general-en+channels": (400, "INVALID_QUERY_PARAMETER", "Unknown query parameters: channels"),
    "listen-v1-ws::nova-3+topics": (403, "UNAUTHORIZED_FEATURES_REQUESTED",
                                    'Project does not have access to the requested feature/s ["topics"].'),
    "speak-v2-rest::aura-2-thalia-en": (400, "V1_MODEL_ON_V2_SPEAK_ENDPOINT",
                                        "Only flux models are supported on the `/v2/speak` endpoint."),
    "listen-v1-rest::nova-3-genral": (403, "INSUFFICIENT_PERMISSIONS",
                                      "Project does not have access to the requested model."),
}


@pytest.mark.parametrize("alias", ACCOUNTS.aliases())
@pytest.mark.parametrize("combo_id", sorted(REFUSALS))
def test_refusal_bodies(answers: dict[str, Answer], alias: str, combo_id: str) -> None:
    status, code, message = REFUSALS[combo_id]
    got = answers[f"{alias}::{combo_id}"]
    assert got.status == status
    assert got.body["err_code"] == code
    assert message in got.body["err_msg"]
    assert got.body["request_id"] == got.headers["dg-request-id"]


def test_account_specific_refusals(answers: dict[str, Answer]) -> None:
    flux = answers["payg-no-flux::listen-v2-ws::flux-general-en"]
    assert (flux.status, flux.body["err_code"]) == (403, "INSUFFICIENT_PERMISSIONS")
    whisper = answers["payg-no-flux::listen-v1-rest::whisper-large"]
    assert (whisper.status, whisper.body["err_msg"]) == (403, "Project does not have access to the requested model.")
    keys = answers["payg-no-flux::project-keys-v1::list"]
    assert (keys.status, keys.body["err_msg"]) == (403, "User does not have sufficient permissions.")
    credits = answers["no-credits::listen-v1-ws::nova-3"]
    assert (credits.status, credits.body["err_code"]) == (402, "ASR_PAYMENT_REQUIRED")


def test_accepted_streams_first_messages(answers: dict[str, Answer]) -> None:
    assert answers["payg-full::listen-v2-ws::flux-general-en"].frames[0]["type"] == "Connected"
    v1 = answers["payg-full::listen-v1-ws::nova-3"].frames
    assert [f["type"] for f in v1] == ["Metadata"] and "models" not in v1[0]
    assert answers["payg-full::agent-v1-ws::converse"].frames[0]["type"] == "Welcome"
    assert answers["payg-full::speak-v1-ws::aura-2-thalia-en"].frames[0]["type"] == "Metadata"
    assert answers["payg-full::speak-v2-ws::flux-alexis-en"].frames[0]["type"] == "Connected"
