"""Arbitrary answers never crash the verdict or the diagnosis, and transient ones are never denials."""

from __future__ import annotations

from typing import Any

from captures import SURFACES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dg_entitlements.controls import plan_controls
from dg_entitlements.diagnosis import DiagnosisContext, diagnose, model_names
from dg_entitlements.model import (
    AccountInfo,
    Cell,
    Combo,
    ControlResult,
    Expectation,
    Frame,
    Judgement,
    Observation,
    Outcome,
    RequestSummary,
    Verdict,
)
from dg_entitlements.outcomes import explain_mismatch, outcome_for
from dg_entitlements.verdicts import judge

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = st.sampled_from([
    "INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model.", "INVALID_AUTH",
    "Invalid credentials.", "UNAUTHORIZED_FEATURES_REQUESTED", "V2_MODEL_ON_V1_LISTEN_ENDPOINT",
    "Unknown query parameters: ", "User does not have sufficient permissions.", "No such model/version",
    "Bad Request", "UNAUTHORIZED", "Error", "model", "`", "[", "\x00", "é",
])
TEXT = st.one_of(st.text(max_size=60), WORDS, st.builds(lambda a, b: a + b, WORDS, st.text(max_size=20)))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(
                                ["err_code", "err_msg", "error_code", "category", "message", "details",
                                 "request_id", "type", "code", "description", "error"]), st.text(max_size=8)),
                                inner, max_size=5)),
    max_leaves=12,
)
BODY = st.one_of(st.none(), st.binary(max_size=80), TEXT, JSON)
HEADERS = st.dictionaries(st.one_of(st.sampled_from(["dg-error", "dg-request-id", "DG-Error", "content-type"]),
                                    st.text(max_size=10)), TEXT, max_size=4)
FRAMES = st.lists(st.builds(Frame, kind=st.sampled_from(["text", "binary"]), at_ms=st.floats(0, 1e4),
                            data=st.one_of(JSON, st.fixed_dictionaries({"type": st.sampled_from(
                                ["Error", "error", "Warning", "Connected", 3]), "code": TEXT,
                                "description": TEXT})), size=st.integers(0, 10**6)), max_size=4)
STATUS = st.one_of(st.none(), st.integers(-10, 1200), st.sampled_from([101, 200, 400, 401, 402, 403, 404, 429, 503]))
ERROR = st.one_of(st.none(), st.sampled_from(["timeout:connect", "timeout:close", "refused", "reset", "dns", "tls"]),
                  st.text(max_size=10))
URL = st.one_of(st.none(), st.builds(lambda q: f"wss://h/v1/listen?{q}", st.text(max_size=30)))
COMBOS = st.builds(
    lambda s, m, p: Combo(id=f"{s}::{m}", surface=SURFACES[s], model=m, params=p),
    st.sampled_from(sorted(SURFACES)),
    st.one_of(st.none(), st.sampled_from(["nova-3", "flux-general-en", "aura-2-thalia-en", "flux-x", "zz"]), TEXT),
    st.lists(st.tuples(st.sampled_from(["channels", "language", "topics", "token", "encoding"]), TEXT), max_size=3)
    .map(tuple),
)


def observations(status: Any = STATUS, error: Any = ERROR) -> st.SearchStrategy[Observation]:
    return st.builds(
        Observation, status=status, headers=HEADERS, body=BODY, frames=FRAMES.map(tuple),
        close_code=st.one_of(st.none(), st.integers(0, 5000)), close_reason=st.one_of(st.none(), TEXT),
        error=error, error_detail=st.one_of(st.none(), TEXT),
        request=st.one_of(st.none(), st.builds(RequestSummary, method=st.just("GET"), url=st.text(max_size=40),
                                               auth_scheme=st.sampled_from([None, "Token", "Bearer"]))),
        at=st.sampled_from(["", "2026-09-17T00:37:38Z", "not a time"]),
    )


@FAST
@given(observations(), COMBOS)
def test_judge_never_crashes_and_always_gives_a_judgement(observation: Observation, combo: Combo) -> None:
    judgement = judge(observation, combo)
    assert isinstance(judgement, Judgement)
    assert isinstance(judgement.verdict, Verdict)
    assert isinstance(judgement.reason, str) and judgement.reason
    assert "could not be read" not in judgement.reason  # the safety net in judge() was not needed


@FAST
@given(observations(status=st.one_of(st.integers(200, 399), st.integers(500, 599), st.just(429)), error=st.none()),
       COMBOS)
def test_success_redirect_server_error_and_rate_limit_are_never_denials(observation: Observation,
                                                                        combo: Combo) -> None:
    assert judge(observation, combo).verdict is not Verdict.NOT_ENTITLED


@FAST
@given(observations(status=st.none(), error=st.text(min_size=1, max_size=12)), COMBOS)
def test_network_failures_are_inconclusive(observation: Observation, combo: Combo) -> None:
    verdict = judge(observation, combo).verdict
    assert verdict in (Verdict.TIMEOUT, Verdict.NETWORK_ERROR)
    assert outcome_for(Expectation(Verdict.ENTITLED), judge(observation, combo), None) is Outcome.INCONCLUSIVE


@FAST
@given(observations(status=st.sampled_from([400, 401, 403, 418, 422])), COMBOS)
def test_not_entitled_needs_deepgrams_words(observation: Observation, combo: Combo) -> None:
    judgement = judge(observation, combo)
    if judgement.verdict is Verdict.NOT_ENTITLED:
        assert "does not have access to the requested model" in judgement.reason.lower()


@FAST
@given(observations(), COMBOS, st.sampled_from(list(Verdict)), st.one_of(st.none(), st.integers(100, 599)),
       st.one_of(st.none(), st.frozensets(st.text(max_size=8), max_size=4)),
       st.one_of(st.none(), st.frozensets(st.text(max_size=8), max_size=4)),
       st.lists(st.builds(ControlResult, purpose=st.sampled_from(["known_good_model", "bogus_model",
                                                                  "minimal_params", "no_key", "x"]),
                          combo_id=st.text(max_size=30), status=st.one_of(st.none(), st.integers(100, 599)),
                          verdict=st.sampled_from(list(Verdict)), request_id=st.one_of(st.none(), st.text())),
                max_size=3))
def test_diagnose_and_explain_never_crash(observation: Observation, combo: Combo, expected: Verdict,
                                          expected_status: int | None, public: frozenset[str] | None,
                                          project: frozenset[str] | None, controls: list[ControlResult]) -> None:
    expectation = Expectation(expected, expected_status)
    judgement = judge(observation, combo)
    outcome = outcome_for(expectation, judgement, observation.status)
    cell = Cell(account="a", combo_id=combo.id, surface=combo.surface.name, variant=combo.variant, model=combo.model,
                expectation=expectation, outcome=outcome, judgement=judgement, observation=observation)
    ctx = DiagnosisContext(AccountInfo("a", None, None, "https://api.eu.deepgram.com", "none"), public, project,
                           tuple(controls))
    diagnosis = diagnose(cell, combo, ctx)
    if diagnosis is not None:
        assert diagnosis.cause and diagnosis.title and diagnosis.remedy
        assert not diagnosis.title.startswith("Could not diagnose")  # the safety net was not needed
        assert (diagnosis.ticket is not None) == (outcome is Outcome.UNEXPECTED_DENY)
        if judgement.verdict.is_inconclusive:
            assert diagnosis.is_entitlement is False
    else:
        assert judgement.verdict is Verdict.ENTITLED and outcome is not Outcome.UNEXPECTED_ALLOW
    assert isinstance(explain_mismatch(expectation, judgement, observation), str)
    specs = plan_controls(cell, combo, {combo.surface.name: "nova-2"}, "zz-bogus", max_controls=2)
    assert len(specs) <= 2 and len({s.combo.id for s in specs}) == len(specs)


@FAST
@given(BODY)
def test_model_names_never_crashes(body: Any) -> None:
    assert all(isinstance(n, str) for n in model_names(body))
