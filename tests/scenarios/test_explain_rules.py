"""The real-world rules through `explain` against the fake: the user's exact request, Deepgram's answer as the
fake gives it (each behaviour sourced in docs/fidelity.md), and the diagnosis a user would read.

The unit tests (tests/unit/test_rules_evidence.py) hold the same rules to the verbatim real-world payloads;
these check the whole path, probe to printed remedy, on the answers the fake reproduces.
"""

from __future__ import annotations

from typing import Any

import pytest

from dg_entitlements.catalogue import Catalogue
from dg_entitlements.explain import explain
from dg_entitlements.fake.server import FakeServer
from dg_entitlements.model import Diagnosis, Verdict

KEY = "dgfake-payg-full-k1"


def first(found: list[Diagnosis | None]) -> Diagnosis:
    diagnosis = next(d for d in found if d is not None)
    return diagnosis


def test_opus_without_its_container_on_tts_rest(scenario_fake: FakeServer, catalogue: Catalogue,
                                                diagnoses: list[Diagnosis | None], tmp_path: Any) -> None:
    """pipecat #2764: `container=none` with `encoding=opus` is refused with a code the rules read by its words."""
    body = tmp_path / "text.json"
    body.write_text('{"text": "Hello there."}')
    url = f"{scenario_fake.http_url}/v1/speak?model=aura-2-helena-en&encoding=opus&container=none"
    text, verdict = explain(catalogue, url, "POST", [f"Authorization: Token {KEY}", "Content-Type: application/json"],
                            str(body), None)
    assert verdict is Verdict.MALFORMED_REQUEST
    diagnosis = first(diagnoses)
    assert diagnosis.cause == "malformed_request" and "`container`" in diagnosis.title
    assert "UNSUPPORTED_AUDIO_FORMAT" in text and KEY not in text


def test_a_language_with_no_model_names_the_default_model(scenario_fake: FakeServer, catalogue: Catalogue,
                                                          diagnoses: list[Diagnosis | None]) -> None:
    """deepgram-rust-sdk #109: `language=cs` and no model is refused; the remedy is to name a model."""
    url = f"{scenario_fake.ws_url}/v1/listen?language=cs&encoding=linear16&sample_rate=16000&channels=1"
    text, verdict = explain(catalogue, url, None, [f"Authorization: Token {KEY}"], None, None)
    assert verdict is Verdict.MALFORMED_REQUEST
    diagnosis = first(diagnoses)
    assert diagnosis.cause == "unsupported_language", diagnosis
    assert "model=nova-3" in diagnosis.remedy and "base-general" in text


@pytest.mark.parametrize(("header", "title"), [
    (f"Authorization: {KEY}", "no scheme word"),
    (f"Authorization: Token Token {KEY}", "scheme word is sent twice"),
])
def test_explain_reads_the_users_credential_form_as_offline_does(scenario_fake: FakeServer, catalogue: Catalogue,
                                                                 diagnoses: list[Diagnosis | None], header: str,
                                                                 title: str) -> None:
    """The 401 is the same for any bad credential; the form of the one the user sent says which mistake it was."""
    url = f"{scenario_fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    text, verdict = explain(catalogue, url, None, [header], None, None)
    assert verdict is Verdict.INVALID_AUTH
    diagnosis = first(diagnoses)
    assert diagnosis.cause == "wrong_auth_scheme" and title in diagnosis.title and KEY not in text
