"""Real-world failures, one per test, through the whole pipeline against the fake on loopback.

Each test reads one cell of the shared run (conftest.py): the fake was configured into exactly one
failure, the probe sent the request, the verdict code read Deepgram's words, and the diagnosis named
the root cause. The assertions pin what an engineer needs to act: the cause id, the parameter,
endpoint or model named, whether it is an entitlement problem, and the request id as evidence.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.diagnosis import DiagnosisContext, diagnose, utc_time
from dg_entitlements.model import Cell, Evidence, Outcome, Verdict
from dg_entitlements.report.html import render_page
from dg_entitlements.report.json import dumps

from .conftest import CATALOGUE, ScenarioRun

FAKE_KEYS = ("dgfake-payg-full-k1", "dgfake-payg-no-flux-k1", "dgfake-no-credits-k1", "dgfake-no-multi-k1",
             "dgfake-one-stream-k1", "dgfake-flaky-5xx-k1", "dgfake-revoked-k9", "dgfake-refused-k1",
             "dgfake-regional-k1")
FLUX_REMEDY = ("Flux takes model, encoding, sample_rate, eot_threshold, eager_eot_threshold, eot_timeout_ms, "
               "keyterm and a few others, not v1 options.")
FIX_REMEDY = ("(booleans are lower-case true/false, numbers are plain numbers, callbacks are full https:// URLs); "
              "no plan change will help.")


def evidence(cell: Cell) -> dict[str, list[str]]:
    """Evidence as label -> values, so a test can ask for one fact without caring about order."""
    assert cell.diagnosis is not None, f"{cell.test_id} has no diagnosis"
    out: dict[str, list[str]] = {}
    for item in cell.diagnosis.evidence:
        out.setdefault(item.label, []).append(item.value)
    return out


def controls(cell: Cell) -> dict[str, tuple[int | None, Verdict, str | None]]:
    assert cell.diagnosis is not None
    return {c.purpose: (c.status, c.verdict, c.request_id) for c in cell.diagnosis.controls}


def check(cell: Cell, *, status: int | None, verdict: Verdict, cause: str, is_entitlement: bool,
          outcome: Outcome = Outcome.UNEXPECTED_DENY) -> None:
    """What every answered scenario shares: status, verdict, outcome, cause, and the request id as evidence."""
    assert cell.observation is not None and cell.judgement is not None and cell.diagnosis is not None
    assert cell.observation.status == status
    assert cell.judgement.verdict is verdict
    assert cell.outcome is outcome
    assert cell.diagnosis.cause == cause
    assert cell.diagnosis.is_entitlement is is_entitlement
    if status is not None:
        rid = cell.observation.request_id
        assert rid is not None and re.fullmatch(r"[0-9a-f-]{36}", rid)
        assert Evidence("request id", rid) in cell.diagnosis.evidence
        assert Evidence("status", str(status)) in cell.diagnosis.evidence


# ------------------------------------------------------------------------------ malformed on Flux


def test_unknown_parameter_channels_on_flux_is_malformed_not_entitlement(scenarios: ScenarioRun) -> None:
    """The classic misreading: a 400 on the Flux handshake is `channels`, not "Flux is not enabled"."""
    cell = scenarios.cell("payg-full", "listen-v2-ws::flux+channels")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "channels"
    assert cell.judgement.err_code == "INVALID_QUERY_PARAMETER"
    assert cell.judgement.err_msg == "Unknown query parameters: channels"
    d = cell.diagnosis
    assert d and d.title == ("Malformed request, not an entitlement problem: unknown query parameter `channels` on "
                             "wss /v2/listen (Flux)")
    assert d.remedy == f"Remove `channels` from the /v2/listen URL: {FLUX_REMEDY}"
    ev = evidence(cell)
    assert ev["parameter"] == ["channels"]
    assert ev["ruled out"] == [
        "an entitlement problem: the same request with only the required parameters is accepted",
        "the account: the same request with no key gets the same answer",
    ]
    ctl = controls(cell)
    assert ctl["minimal_params"][:2] == (101, Verdict.ENTITLED)
    assert ctl["no_key"][:2] == (400, Verdict.MALFORMED_REQUEST)
    assert all(rid for _, _, rid in ctl.values())


def test_several_unknown_parameters_are_named_together(scenarios: ScenarioRun) -> None:
    """Deepgram lists every unknown parameter at once; the diagnosis must name all of them, in order."""
    cell = scenarios.cell("payg-full", "listen-v2-ws::flux+several-v1-params")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "channels, language, smart_format"
    assert cell.diagnosis and cell.diagnosis.remedy == (
        f"Remove `channels, language, smart_format` from the /v2/listen URL: {FLUX_REMEDY}")


@pytest.mark.parametrize("param", ["interim_results", "punctuate"])
def test_v1_only_parameter_on_flux_is_named(scenarios: ScenarioRun, param: str) -> None:
    """v1 streaming options copied onto a Flux URL are refused before auth, by name."""
    cell = scenarios.cell("payg-full", f"listen-v2-ws::flux+{param}")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == param
    assert cell.judgement.err_msg == f"Unknown query parameters: {param}"
    assert cell.diagnosis and cell.diagnosis.title == (
        f"Malformed request, not an entitlement problem: unknown query parameter `{param}` on wss /v2/listen (Flux)")


def test_bad_key_with_unknown_flux_parameter_is_still_malformed(scenarios: ScenarioRun) -> None:
    """/v2/listen checks parameters before the key: a bogus key still gets the 400, so fix the URL first."""
    cell = scenarios.cell("bad-key", "listen-v2-ws::flux+channels")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "channels"
    ctl = controls(cell)
    assert ctl["minimal_params"][:2] == (401, Verdict.INVALID_AUTH)  # without channels the bad key shows up
    assert ctl["no_key"][:2] == (400, Verdict.MALFORMED_REQUEST)
    assert evidence(cell)["ruled out"] == ["the account: the same request with no key gets the same answer"]


def test_language_hint_on_flux_general_en(scenarios: ScenarioRun) -> None:
    """language_hint is for flux-general-multi only; the parameter, not the model, is at fault."""
    cell = scenarios.cell("payg-full", "listen-v2-ws::flux+language_hint")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "language_hint"
    assert cell.judgement.err_msg == "`language_hint` is only supported with flux-general-multi."
    assert cell.diagnosis and cell.diagnosis.title == (
        "Malformed request, not an entitlement problem: parameter `language_hint` on wss /v2/listen (Flux)")


# ---------------------------------------------------------------------------- malformed on v1 / speak


@pytest.mark.parametrize(("combo", "param", "where"), [
    ("listen-v1-ws::nova-3+endpointing-banana", "endpointing", "wss /v1/listen"),
    ("listen-v1-ws::nova-3+smart_format-True", "smart_format", "wss /v1/listen"),
    ("speak-v1-ws::aura-2-thalia-en+mip_opt_out-False", "mip_opt_out", "wss /v1/speak"),
    ("listen-v1-rest::nova-3+callback-no-scheme", "callback", "POST /v1/listen"),
])
def test_invalid_query_string_names_the_suspicious_value(scenarios: ScenarioRun, combo: str, param: str,
                                                         where: str) -> None:
    """Deepgram only says "Invalid query string."; the diagnosis finds the value it choked on."""
    cell = scenarios.cell("payg-full", combo)
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.err_code == "Bad Request"
    assert cell.judgement.err_msg == "Invalid query string."
    assert cell.judgement.parameter == param
    assert cell.diagnosis and cell.diagnosis.title == (
        f"Malformed request, not an entitlement problem: parameter `{param}` on {where}")
    assert f"`{param}`" in cell.diagnosis.remedy or param in cell.diagnosis.remedy
    assert cell.diagnosis.remedy.endswith("no plan change will help.")
    assert controls(cell)["minimal_params"][1] is Verdict.ENTITLED


def test_keyterm_on_nova_2(scenarios: ScenarioRun) -> None:
    """keyterm is Nova-3/Flux only: a parameter problem on nova-2, not a missing entitlement."""
    cell = scenarios.cell("payg-full", "listen-v1-ws::nova-2+keyterm")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="malformed_request", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "keyterm"
    assert cell.judgement.err_msg == "`keyterm` is only supported for Nova-3 and Flux. Please use `keywords` instead."
    assert cell.diagnosis and cell.diagnosis.title == (
        "Malformed request, not an entitlement problem: parameter `keyterm` on wss /v1/listen")


def test_summarize_on_a_stream(scenarios: ScenarioRun) -> None:
    """Deepgram's words do not name the parameter ("Summarization ..."); the diagnosis still does, and calls it
    what detect_language and topics on a stream are too: a pre-recorded feature, not offered on a stream."""
    cell = scenarios.cell("payg-full", "listen-v1-ws::nova-3+summarize")
    check(cell, status=400, verdict=Verdict.FEATURE_NOT_ALLOWED, cause="feature_not_allowed", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "summarize"
    assert cell.judgement.err_msg == "Summarization is not available for streaming."
    assert cell.diagnosis and "`summarize`" in cell.diagnosis.title


def test_language_not_offered_for_model(scenarios: ScenarioRun) -> None:
    """A real model with an unsupported language is a 400 about `language`, unlike a 403 for the model."""
    cell = scenarios.cell("payg-full", "listen-v1-rest::nova-3+language-zz")
    check(cell, status=400, verdict=Verdict.MALFORMED_REQUEST, cause="unsupported_language", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "language"
    assert cell.diagnosis and cell.diagnosis.title == "nova-3 does not offer the language `zz` on POST /v1/listen"
    assert "nova-3" in cell.diagnosis.remedy and "language" in cell.diagnosis.remedy


# ------------------------------------------------------------------------------- stream features


@pytest.mark.parametrize("feature", ["topics", "intents"])
def test_stream_feature_is_not_a_model_entitlement(scenarios: ScenarioRun, feature: str) -> None:
    """UNAUTHORIZED_FEATURES_REQUESTED is a 403 that looks like entitlement but is not."""
    cell = scenarios.cell("payg-full", f"listen-v1-ws::nova-3+{feature}")
    check(cell, status=403, verdict=Verdict.FEATURE_NOT_ALLOWED, cause="feature_not_allowed", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == feature
    assert cell.judgement.err_code == "UNAUTHORIZED_FEATURES_REQUESTED"
    d = cell.diagnosis
    assert d and d.title == f"Feature not allowed on wss /v1/listen: `{feature}` (not a model entitlement)"
    assert d.remedy.startswith(f"Drop `{feature}` from this request")
    assert evidence(cell)["ruled out"] == [f"a model entitlement: the same request without `{feature}` is accepted"]


# -------------------------------------------------------------------------------- wrong endpoint


@pytest.mark.parametrize(("account_combo", "model", "right", "family"), [
    ("listen-v1-rest::flux-general-en", "flux-general-en", "/v2/listen", "a Flux"),
    ("listen-v1-ws::flux-general-en", "flux-general-en", "/v2/listen", "a Flux"),
    ("listen-v2-ws::nova-3", "nova-3", "/v1/listen", "a v1 (Nova/Whisper)"),
    ("speak-v2-rest::aura-2-thalia-en", "aura-2-thalia-en", "/v1/speak", "an Aura"),
    ("speak-v2-ws::aura-2-thalia-en", "aura-2-thalia-en", "/v1/speak", "an Aura"),
])
def test_wrong_endpoint_names_the_right_one(scenarios: ScenarioRun, account_combo: str, model: str, right: str,
                                            family: str) -> None:
    """The model family decides the endpoint; the diagnosis says which one, and that it is not entitlement."""
    cell = scenarios.cell("payg-full", account_combo)
    check(cell, status=400, verdict=Verdict.WRONG_ENDPOINT, cause="wrong_endpoint", is_entitlement=False)
    assert cell.judgement and cell.judgement.right_endpoint == right
    assert cell.judgement.model == model
    assert cell.diagnosis and cell.diagnosis.title == (
        f"Wrong endpoint, not an entitlement problem: {model} is {family} model; use {right}")
    assert Evidence("right endpoint", right) in cell.diagnosis.evidence
    if right == "/v2/listen":
        assert cell.judgement.err_code == "V2_MODEL_ON_V1_LISTEN_ENDPOINT"
        assert cell.diagnosis.remedy == (f"Send {model} to /v2/listen (WebSocket only: "
                                         "wss://api.deepgram.com/v2/listen) instead of /v1/listen.")


# ------------------------------------------------------------------- not entitled vs no such model


def test_flux_not_entitled_controls_carry_the_weight(scenarios: ScenarioRun) -> None:
    """Flux is absent from every model list, so only the controls can say the model exists."""
    cell = scenarios.cell("payg-no-flux", "listen-v2-ws::flux-general-en")
    check(cell, status=403, verdict=Verdict.NOT_ENTITLED, cause="not_entitled", is_entitlement=True)
    d = cell.diagnosis
    assert d and d.title == ("Not entitled: flux-general-en on wss /v2/listen (Flux) is refused, and a made-up model "
                             "gets a different answer, so the model exists")
    assert d.remedy == ("Ask Deepgram (or your account owner) to enable flux-general-en for project "
                        "7d1c0a52-fa4e-4c3b-9e51-000000000002; the ticket text has the evidence.")
    ev = evidence(cell)
    assert ev["model lists"] == ["Flux models are absent from /v1/models and project model lists, so the control "
                                 "probes carry the weight"]
    assert "public model list" not in ev
    status, verdict, rid = controls(cell)["bogus_model"]
    assert status == 400 and verdict is not Verdict.NOT_ENTITLED and rid
    assert any(label == "control: bogus_model" for label in ev)


def test_one_flux_model_not_entitled_known_good_flux_accepted(scenarios: ScenarioRun) -> None:
    """A project with Flux but not flux-general-multi: the known-good Flux control is accepted and shown."""
    cell = scenarios.cell("no-multi", "listen-v2-ws::flux-general-multi")
    check(cell, status=403, verdict=Verdict.NOT_ENTITLED, cause="not_entitled", is_entitlement=True)
    ctl = controls(cell)
    assert ctl["known_good_model"][:2] == (101, Verdict.ENTITLED)
    assert ctl["bogus_model"][0] == 400
    ev = evidence(cell)
    assert ev["control: known_good_model"][0].startswith("listen-v2-ws::flux-general-en@control:known_good_model -> "
                                                         "101 entitled, request id ")
    assert cell.diagnosis and cell.diagnosis.ticket is not None
    assert "the key and endpoint in general (flux-general-en is accepted on the same endpoint)" in cell.diagnosis.ticket


def test_whisper_not_entitled_decided_by_model_lists(scenarios: ScenarioRun) -> None:
    """Whisper is in the public list but not the project's: not entitled, not a typo."""
    cell = scenarios.cell("payg-no-flux", "listen-v1-rest::whisper-medium")
    check(cell, status=403, verdict=Verdict.NOT_ENTITLED, cause="not_entitled", is_entitlement=True)
    assert cell.diagnosis and cell.diagnosis.title == (
        "Not entitled: the project may not use whisper-medium on POST /v1/listen (a public model)")
    ev = evidence(cell)
    assert ev["public model list"] == ["whisper-medium is in GET /v1/models"]
    assert ev["project model list"] == ["whisper-medium is not in GET /v1/projects/{id}/models"]
    ctl = controls(cell)
    assert ctl["known_good_model"][:2] == (200, Verdict.ENTITLED)
    assert ctl["bogus_model"][:2] == (403, Verdict.NOT_ENTITLED)


def test_misspelled_model_is_no_such_model_not_entitlement(scenarios: ScenarioRun) -> None:
    """The same 403 as not-entitled, but the lists say the name does not exist: check the spelling."""
    cell = scenarios.cell("payg-full", "listen-v1-rest::nova-3-genral")
    check(cell, status=403, verdict=Verdict.NOT_ENTITLED, cause="no_such_model", is_entitlement=False)
    d = cell.diagnosis
    assert d and d.title == "No such model: nova-3-genral is in neither the public nor the project's model list"
    assert d.remedy.startswith("Check the spelling of nova-3-genral against GET /v1/models")
    ev = evidence(cell)
    assert ev["public model list"] == ["nova-3-genral is not in GET /v1/models"]
    assert ev["project model list"] == ["nova-3-genral is not in GET /v1/projects/{id}/models"]
    assert controls(cell)["known_good_model"][:2] == (200, Verdict.ENTITLED)


@pytest.mark.parametrize(("voice", "words"), [
    ("aura-2-nosuch-en", "Bad Request: No such model/version combination found."),
    ("aura-2", "Invalid 'model' value of 'aura-2'."),
])
def test_unknown_tts_voice(scenarios: ScenarioRun, voice: str, words: str) -> None:
    """TTS says "no such voice" with a 400, unlike STT's 403: no such model, named."""
    cell = scenarios.cell("payg-full", f"speak-v1-rest::{voice}")
    check(cell, status=400, verdict=Verdict.UNKNOWN_MODEL, cause="no_such_model", is_entitlement=False)
    assert cell.judgement and cell.judgement.parameter == "model" and cell.judgement.err_msg == words
    assert cell.diagnosis
    assert cell.diagnosis.title == f"No such model: POST /v1/speak has no voice or model named {voice}"
    assert controls(cell)["known_good_model"][:2] == (200, Verdict.ENTITLED)


# ------------------------------------------------------------------------------------ credentials


def test_invalid_key(scenarios: ScenarioRun) -> None:
    cell = scenarios.cell("bad-key", "listen-v1-rest::nova-3")
    check(cell, status=401, verdict=Verdict.INVALID_AUTH, cause="invalid_key", is_entitlement=False)
    assert cell.judgement and cell.judgement.err_code == "INVALID_AUTH"
    assert cell.diagnosis and cell.diagnosis.title == "Invalid key: Deepgram refused the credentials on POST /v1/listen"
    assert cell.diagnosis.controls == ()  # more probes would not change a 401


def test_missing_key(scenarios: ScenarioRun) -> None:
    """The key's variable is unset in fake mode: no header is sent, and the diagnosis says so."""
    cell = scenarios.cell("no-key", "listen-v1-rest::nova-3")
    check(cell, status=401, verdict=Verdict.INVALID_AUTH, cause="missing_key", is_entitlement=False)
    assert cell.observation and cell.observation.request and cell.observation.request.auth_scheme is None
    assert cell.diagnosis and cell.diagnosis.title == "No key was sent to POST /v1/listen"


def test_member_key_cannot_list_keys(scenarios: ScenarioRun) -> None:
    """A Member key lacks keys:read: a scope problem, the project's entitlements are not in question."""
    cell = scenarios.cell("payg-no-flux", "project-keys-v1::list")
    check(cell, status=403, verdict=Verdict.INSUFFICIENT_PERMISSIONS, cause="missing_scope", is_entitlement=False)
    assert cell.judgement and cell.judgement.err_msg == "User does not have sufficient permissions."
    assert cell.observation and cell.observation.request
    assert cell.observation.request.url == "/v1/projects/7d1c0a52-fa4e-4c3b-9e51-000000000002/keys"
    assert cell.diagnosis
    assert cell.diagnosis.title == "The key lacks the permission (scope or role) for GET /v1/projects/{id}/keys"
    assert "keys:read" in cell.diagnosis.remedy


def test_key_in_url_is_malformed_and_never_printed(scenarios: ScenarioRun) -> None:
    """A key in the query string is refused (401 here) and diagnosed as a malformed request naming `token`."""
    cell = scenarios.cell("url-key", "listen-v1-rest::nova-3+token-in-url")
    check(cell, status=401, verdict=Verdict.INVALID_AUTH, cause="key_in_url", is_entitlement=False)
    d = cell.diagnosis
    assert d and d.title == ("API key passed in the URL (`token=`) instead of the Authorization header, on "
                             "POST /v1/listen")
    assert Evidence("parameter", "token") in d.evidence
    assert d.ticket is not None
    outputs = [d.title, d.remedy, d.ticket, *(e.value for e in d.evidence), dumps(scenarios.result),
               render_page(scenarios.result)]
    for text in outputs:
        assert "dgfake-payg-full-k1" not in text


# ------------------------------------------------------------------------- account and transient


def test_no_credits(scenarios: ScenarioRun) -> None:
    cell = scenarios.cell("no-credits", "listen-v1-rest::nova-3")
    check(cell, status=402, verdict=Verdict.PAYMENT_REQUIRED, cause="no_credits", is_entitlement=False)
    assert cell.judgement and cell.judgement.err_code == "ASR_PAYMENT_REQUIRED"
    assert cell.diagnosis
    assert cell.diagnosis.title == "No credits: the project cannot pay for requests on POST /v1/listen"


def test_over_concurrency_limit_is_inconclusive_never_a_denial(scenarios: ScenarioRun) -> None:
    """One stream allowed and one held open: 429, retried and shown, inconclusive, no ticket."""
    cell = scenarios.cell("one-stream", "listen-v1-ws::nova-3")
    check(cell, status=429, verdict=Verdict.RATE_LIMITED, cause="rate_limited", is_entitlement=False,
          outcome=Outcome.INCONCLUSIVE)
    assert cell.observation and [a.status for a in cell.observation.attempts] == [429, 429, 429]
    assert Evidence("tries", "3") in (cell.diagnosis.evidence if cell.diagnosis else ())
    assert cell.diagnosis and cell.diagnosis.ticket is None
    assert cell.diagnosis.title == "Rate limited on wss /v1/listen (inconclusive)"


def test_server_error_is_inconclusive(scenarios: ScenarioRun) -> None:
    cell = scenarios.cell("flaky", "listen-v1-rest::nova-3")
    check(cell, status=503, verdict=Verdict.SERVER_ERROR, cause="server_error", is_entitlement=False,
          outcome=Outcome.INCONCLUSIVE)
    assert cell.observation and cell.observation.tries == 3
    assert cell.diagnosis and cell.diagnosis.ticket is None
    assert cell.diagnosis.title == "Deepgram server error on POST /v1/listen (inconclusive)"


def test_connection_refused_is_inconclusive_network_error(scenarios: ScenarioRun) -> None:
    """Nothing listens on the account's port: no answer, so no request id, and never a denial."""
    cell = scenarios.cell("refused", "listen-v1-rest::nova-3")
    check(cell, status=None, verdict=Verdict.NETWORK_ERROR, cause="network_error", is_entitlement=False,
          outcome=Outcome.INCONCLUSIVE)
    assert cell.observation and cell.observation.error == "refused" and cell.observation.request_id is None
    assert cell.observation.tries == 3
    d = cell.diagnosis
    assert d and d.title == "Network failure reaching POST /v1/listen (refused; inconclusive)"
    assert d.remedy.startswith("Fix the network path (check the base URL and port, and any firewall)")
    assert evidence(cell)["network"][0].startswith("refused")
    assert d.ticket is None


def test_regional_host_404_on_projects(scenarios: ScenarioRun) -> None:
    """/v1/projects is not regional: a 404 that is about the host, not the account."""
    cell = scenarios.cell("regional", "projects-v1::list")
    check(cell, status=404, verdict=Verdict.NOT_FOUND, cause="not_found", is_entitlement=False)
    assert cell.judgement and cell.judgement.err_code == "NOT_FOUND"
    # On loopback the host name cannot say "regional"; the same cell under the host a user would have
    # configured must get the regional explanation.
    combo = load_catalogue(CATALOGUE).by_id()["projects-v1::list"]
    account = next(a for a in scenarios.result.accounts if a.alias == "regional")
    ctx = DiagnosisContext(replace(account, base_url="https://api.eu.deepgram.com"), None, None)
    regional = diagnose(cell, combo, ctx)
    assert regional is not None and regional.title == "The management API is not served on regional hosts"


# --------------------------------------------------------------------------------- support ticket


def test_ticket_for_not_entitled_has_everything_support_needs(scenarios: ScenarioRun) -> None:
    """Alias, project, endpoint, model, UTC time, status, words, probe and control ids, ruled out; no key."""
    cell = scenarios.cell("payg-no-flux", "listen-v1-rest::whisper-medium")
    assert cell.diagnosis and cell.observation
    ticket = cell.diagnosis.ticket
    assert ticket is not None
    assert ticket.startswith('Hello Deepgram support: for account "payg-no-flux", project '
                             "7d1c0a52-fa4e-4c3b-9e51-000000000002, a request to listen-v1-rest with model "
                             "whisper-medium (POST /v1/listen?model=whisper-medium) at ")
    when = utc_time(cell.observation.at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", when)
    assert f" at {when} was refused with HTTP 403, INSUFFICIENT_PERMISSIONS " \
           '"Project does not have access to the requested model.", request id ' \
           f"{cell.observation.request_id}." in ticket
    for purpose, (_, _, rid) in controls(cell).items():
        assert rid and f"(request id {rid})" in ticket, purpose
    assert ("Ruled out: a network problem (Deepgram answered); an invalid key (no 401); missing credits (no 402); "
            "a malformed request (the refusal names the model, not a parameter); the key and endpoint in general "
            "(nova-2 is accepted on the same endpoint); a misspelt name (whisper-medium is in Deepgram's public "
            "model list).") in ticket
    assert "Our diagnosis: Not entitled: the project may not use whisper-medium on POST /v1/listen" in ticket
    for key in FAKE_KEYS:
        assert key not in ticket


def test_ticket_for_flux_not_entitled_names_endpoint_and_controls(scenarios: ScenarioRun) -> None:
    cell = scenarios.cell("payg-no-flux", "listen-v2-ws::flux-general-en")
    assert cell.diagnosis and cell.observation
    ticket = cell.diagnosis.ticket
    assert ticket is not None
    assert ('for account "payg-no-flux", project 7d1c0a52-fa4e-4c3b-9e51-000000000002, a request to listen-v2-ws '
            "with model flux-general-en (GET /v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000)"
            ) in ticket
    assert f"request id {cell.observation.request_id}." in ticket
    bogus_rid = controls(cell)["bogus_model"][2]
    assert f"(request id {bogus_rid})" in ticket
    assert "We expected entitled (101)." in ticket
    for key in FAKE_KEYS:
        assert key not in ticket


def test_no_key_in_any_report_of_the_run(scenarios: ScenarioRun) -> None:
    """Every fake key of every scenario stays out of the JSON and HTML the run produces."""
    text = dumps(scenarios.result) + render_page(scenarios.result)
    for key in FAKE_KEYS:
        assert key not in text
