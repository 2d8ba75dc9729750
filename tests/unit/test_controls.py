"""Control planning: only where a control can change the diagnosis, bounded, with readable ids."""

from __future__ import annotations

import pytest
from captures import SURFACES

from dg_entitlements.controls import ControlSpec, estimate_cost, plan_controls
from dg_entitlements.model import Cell, Combo, Cost, Expectation, Judgement, Observation, Outcome, Verdict

KNOWN_GOOD = {"listen-v1-rest": "nova-2", "listen-v1-ws": "nova-2", "listen-v2-ws": "flux-general-en",
              "speak-v1-rest": "aura-asteria-en"}
BOGUS = "zz-no-such-model-dgent"
STREAM = (("encoding", "linear16"), ("sample_rate", "16000"))


def cell_for(combo: Combo, verdict: Verdict, outcome: Outcome = Outcome.UNEXPECTED_DENY,
             status: int | None = 403) -> Cell:
    return Cell(account="payg", combo_id=combo.id, surface=combo.surface.name, variant=combo.variant,
                model=combo.model, expectation=Expectation(Verdict.ENTITLED), outcome=outcome,
                judgement=Judgement(verdict, "r"), observation=Observation(status=status))


def combo(surface: str, model: str | None, params: tuple[tuple[str, str], ...] = ()) -> Combo:
    return Combo(id=f"{surface}::{model}", surface=SURFACES[surface], model=model, params=params)


def ids(specs: list[ControlSpec]) -> list[str]:
    return [s.combo.id for s in specs]


def test_not_entitled_plans_known_good_then_bogus() -> None:
    c = combo("listen-v2-ws", "flux-general-multi", STREAM)
    specs = plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS)
    assert ids(specs) == ["listen-v2-ws::flux-general-en@control:known_good_model",
                          "listen-v2-ws::flux-zz-no-such-model-dgent@control:bogus_model"]
    assert all(s.with_key for s in specs)
    assert specs[0].combo.params == STREAM and specs[0].combo.expect is None
    assert specs[0].combo.tags == ("control",)


def test_known_good_is_skipped_when_it_is_the_probed_model() -> None:
    c = combo("listen-v2-ws", "flux-general-en", STREAM)
    assert ids(plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS)) == [
        "listen-v2-ws::flux-zz-no-such-model-dgent@control:bogus_model"]


def test_not_entitled_with_extra_params_also_plans_minimal_within_bound() -> None:
    c = combo("listen-v1-ws", "nova-3", (*STREAM, ("smart_format", "true")))
    specs = plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS)
    assert [s.purpose for s in specs] == ["known_good_model", "bogus_model", "minimal_params"]
    assert plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS, max_controls=2) == specs[:2]
    assert plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS, max_controls=0) == []


def test_malformed_on_v2_listen_plans_minimal_and_no_key() -> None:
    c = combo("listen-v2-ws", "flux-general-en", (*STREAM, ("channels", "1")))
    specs = plan_controls(cell_for(c, Verdict.MALFORMED_REQUEST, status=400), c, KNOWN_GOOD, BOGUS)
    assert [(s.purpose, s.with_key) for s in specs] == [("minimal_params", True), ("no_key", False)]
    assert specs[0].combo.params == STREAM
    assert specs[0].combo.id == "listen-v2-ws::flux-general-en@control:minimal_params"
    assert specs[1].combo.params == c.params


def test_malformed_on_v1_with_only_required_params_needs_nothing() -> None:
    c = combo("listen-v1-ws", "nova-3", STREAM)
    assert plan_controls(cell_for(c, Verdict.MALFORMED_REQUEST, status=400), c, KNOWN_GOOD, BOGUS) == []


def test_feature_not_allowed_plans_the_request_without_the_feature() -> None:
    c = combo("listen-v1-ws", "nova-3", (*STREAM, ("topics", "true")))
    specs = plan_controls(cell_for(c, Verdict.FEATURE_NOT_ALLOWED), c, KNOWN_GOOD, BOGUS)
    assert [(s.purpose, s.combo.params) for s in specs] == [("minimal_params", STREAM)]


@pytest.mark.parametrize("verdict", [Verdict.INVALID_AUTH, Verdict.PAYMENT_REQUIRED, Verdict.RATE_LIMITED,
                                     Verdict.SERVER_ERROR, Verdict.NETWORK_ERROR, Verdict.TIMEOUT])
def test_no_controls_where_they_cannot_help(verdict: Verdict) -> None:
    c = combo("listen-v1-rest", "nova-3")
    outcome = Outcome.INCONCLUSIVE if verdict.is_inconclusive else Outcome.UNEXPECTED_DENY
    assert plan_controls(cell_for(c, verdict, outcome), c, KNOWN_GOOD, BOGUS) == []


def test_no_controls_for_expected_refusals_or_allows() -> None:
    c = combo("listen-v1-rest", "nova-3-genral")
    assert plan_controls(cell_for(c, Verdict.NOT_ENTITLED, Outcome.AS_EXPECTED), c, KNOWN_GOOD, BOGUS) == []
    assert plan_controls(cell_for(c, Verdict.ENTITLED, Outcome.UNEXPECTED_ALLOW), c, KNOWN_GOOD, BOGUS) == []


def test_unrecognised_inconclusive_plans_known_good_and_bogus() -> None:
    c = combo("listen-v1-rest", "nova-3")
    specs = plan_controls(cell_for(c, Verdict.UNRECOGNISED, Outcome.INCONCLUSIVE), c, KNOWN_GOOD, BOGUS)
    assert [s.purpose for s in specs] == ["known_good_model", "bogus_model"]


def test_surface_without_model_param_gets_no_model_controls() -> None:
    c = combo("agent-v1-ws", None)
    assert plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS) == []


def test_cost_estimates() -> None:
    assert estimate_cost(combo("listen-v1-ws", "nova-3", STREAM)) == Cost(requests=1)
    assert estimate_cost(combo("listen-v1-rest", "nova-3")) == Cost(requests=1, audio_seconds=1.0)
    tts = Combo(id="speak-v1-rest::a", surface=SURFACES["speak-v1-rest"], model="aura-asteria-en",
                json_body={"text": "Hi."})
    assert estimate_cost(tts) == Cost(requests=1, characters=3)
    c = combo("listen-v1-rest", "nova-3")
    specs = plan_controls(cell_for(c, Verdict.NOT_ENTITLED), c, KNOWN_GOOD, BOGUS)
    assert sum((estimate_cost(s.combo) for s in specs), Cost()) == Cost(requests=2, audio_seconds=2.0)


def test_bogus_model_keeps_the_family_so_it_does_not_trip_the_family_check() -> None:
    from dg_entitlements.controls import bogus_for

    assert bogus_for(combo("listen-v2-ws", "flux-general-en", STREAM), BOGUS) == "flux-" + BOGUS
    assert bogus_for(combo("speak-v1-rest", "aura-2-thalia-en", ()), BOGUS) == "aura-2-" + BOGUS
    assert bogus_for(combo("listen-v1-rest", "nova-3", ()), BOGUS) == BOGUS
