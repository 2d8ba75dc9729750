"""Root causes with evidence: one test per cause, on verbatim captures where the reference has them."""

from __future__ import annotations

from captures import CAPTURES, MODELS_BODY, SURFACES

from dg_entitlements.diagnosis import DiagnosisContext, diagnose, listed, model_names, ticket_text
from dg_entitlements.model import (
    AccountInfo,
    Cell,
    Combo,
    ControlResult,
    Diagnosis,
    Expectation,
    Observation,
    RequestSummary,
    Verdict,
)
from dg_entitlements.outcomes import outcome_for
from dg_entitlements.secrets import register_secret
from dg_entitlements.verdicts import judge

ACCOUNT = AccountInfo(alias="payg", fingerprint="key#abcd1234", project_id="proj-123",
                      base_url="https://api.deepgram.com", key_source="env:DEEPGRAM_API_KEY")
STREAM = (("encoding", "linear16"), ("sample_rate", "16000"))
NOT_ENTITLED_BODY = {"err_code": "INSUFFICIENT_PERMISSIONS",
                     "err_msg": "Project does not have access to the requested model.", "request_id": "rid-probe"}


def ctx(public: frozenset[str] | None = None, project: frozenset[str] | None = None,
        controls: tuple[ControlResult, ...] = (), account: AccountInfo = ACCOUNT) -> DiagnosisContext:
    return DiagnosisContext(account=account, public_models=public, project_models=project, controls=controls)


def run(surface: str, model: str | None, observation: Observation, context: DiagnosisContext | None = None,
        params: tuple[tuple[str, str], ...] = (), expected: Expectation | None = None) -> Diagnosis | None:
    combo = Combo(id=f"{surface}::{model}", surface=SURFACES[surface], model=model, params=params)
    expectation = expected or Expectation(Verdict.ENTITLED, SURFACES[surface].success_status)
    judgement = judge(observation, combo)
    cell = Cell(account="payg", combo_id=combo.id, surface=surface, variant=combo.variant, model=model,
                expectation=expectation, outcome=outcome_for(expectation, judgement, observation.status),
                judgement=judgement, observation=observation)
    return diagnose(cell, combo, context or ctx())


def capture(name: str, context: DiagnosisContext | None = None) -> Diagnosis:
    cap = next(c for c in CAPTURES if c.name == name)
    diagnosis = run(cap.surface, cap.model, cap.observation(), context, cap.params)
    assert diagnosis is not None
    return diagnosis


def refused(model: str, surface: str = "listen-v1-rest", **kw: str) -> Observation:
    return Observation(status=403, body=NOT_ENTITLED_BODY, headers={"dg-request-id": "rid-probe"},
                       at="2026-09-17T00:37:38Z", request=RequestSummary("POST", f"https://h/v1/listen?model={model}",
                                                                         "Token"))


def control(purpose: str, surface: str, model: str, status: int, verdict: Verdict, rid: str) -> ControlResult:
    return ControlResult(purpose, f"{surface}::{model}@control:{purpose}", status, verdict, rid)


def evidence(d: Diagnosis) -> dict[str, str]:
    return {e.label: e.value for e in d.evidence}


# ----------------------------------------------------------------------------------------- malformed


def test_unknown_parameter_on_flux_is_malformed_and_says_not_entitlement() -> None:
    d = capture("unknown-param-flux", ctx(controls=(
        control("minimal_params", "listen-v2-ws", "flux-general-en", 101, Verdict.ENTITLED, "rid-min"),)))
    assert d.cause == "malformed_request" and d.is_entitlement is False
    assert d.title == ("Malformed request, not an entitlement problem: unknown query parameter `channels` on "
                       "wss /v2/listen (Flux)")
    assert d.remedy.startswith("Remove `channels` from the /v2/listen URL")
    assert evidence(d)["parameter"] == "channels"
    assert evidence(d)["ruled out"].startswith("an entitlement problem")
    assert d.ticket is not None  # expected entitled, got a 400: an unexpected deny gets ticket text


def test_bad_language_names_language() -> None:
    d = capture("bad-language")
    assert d.cause == "unsupported_language" and not d.is_entitlement
    assert "nova-3 does not offer the language" in d.title and "GET /v1/models" in d.remedy


def test_key_in_url_is_named_as_the_cause() -> None:
    obs = Observation(status=401, body={"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."},
                      request=RequestSummary("GET", "wss://h/v1/listen?model=nova-3&token=[redacted]", None))
    d = run("listen-v1-ws", "nova-3", obs)
    assert d is not None and d.cause == "key_in_url" and not d.is_entitlement
    assert d.title == ("API key passed in the URL (`token=`) instead of the Authorization header, on "
                       "wss /v1/listen")


# ------------------------------------------------------------------------------------ wrong endpoint


def test_flux_on_v1_listen_names_the_right_endpoint() -> None:
    d = capture("flux-on-v1-rest")
    assert d.cause == "wrong_endpoint" and not d.is_entitlement
    assert d.title == "Wrong endpoint, not an entitlement problem: flux-general-en is a Flux model; use /v2/listen"
    assert "wss://api.deepgram.com/v2/listen" in d.remedy
    assert evidence(d)["right endpoint"] == "/v2/listen"


def test_aura_on_v2_speak_names_v1_speak() -> None:
    d = capture("aura-on-v2-speak")
    assert d.title.endswith("aura-2-thalia-en is an Aura model; use /v1/speak")


# ---------------------------------------------------------------------- not entitled vs no such model


def test_public_model_refused_is_not_entitled() -> None:
    d = run("listen-v1-rest", "nova-3-medical", refused("nova-3-medical"),
            ctx(public=frozenset({"nova-3-general", "nova-3-medical"}), project=frozenset({"nova-2-general"})))
    assert d is not None and d.cause == "not_entitled" and d.is_entitlement
    assert evidence(d)["public model list"] == "nova-3-medical is in GET /v1/models"
    assert "proj-123" in d.remedy


def test_alias_matches_canonical_name_in_public_list() -> None:
    assert listed("nova-3", frozenset({"nova-3-general"})) is True
    assert listed("nova", frozenset({"nova-3-general"})) is False
    assert listed("nova-3", None) is None


def test_absent_from_both_lists_is_no_such_model() -> None:
    d = run("listen-v1-rest", "nova-3-genral", refused("nova-3-genral"),
            ctx(public=frozenset({"nova-3-general"}), project=frozenset({"nova-3-general"})))
    assert d is not None and d.cause == "no_such_model" and not d.is_entitlement
    assert "nova-3-genral" in d.remedy and "spelling" in d.remedy


def test_in_project_list_yet_refused_is_flagged() -> None:
    d = run("listen-v1-rest", "nova-3", refused("nova-3"), ctx(project=frozenset({"nova-3-general"})))
    assert d is not None and d.cause == "not_entitled"
    assert "although the project's model list includes it" in d.title


def test_bogus_control_answering_differently_proves_the_model_exists() -> None:
    bogus = control("bogus_model", "listen-v1-rest", "zz", 400, Verdict.MALFORMED_REQUEST, "rid-b")
    d = run("listen-v1-rest", "nova-9", refused("nova-9"), ctx(controls=(bogus,)))
    assert d is not None and d.cause == "not_entitled"


def test_no_evidence_is_said_honestly() -> None:
    d = run("listen-v1-rest", "nova-3-genral", refused("nova-3-genral"))
    assert d is not None and d.cause == "not_entitled_or_no_such_model"
    assert "the evidence cannot tell which" in d.title and "check the spelling" in d.title


def test_not_in_public_list_and_endpoint_works_is_no_such_model() -> None:
    good = control("known_good_model", "listen-v1-rest", "nova-2", 200, Verdict.ENTITLED, "rid-g")
    d = run("listen-v1-rest", "nova-3-genral", refused("nova-3-genral"),
            ctx(public=frozenset({"nova-3-general"}), controls=(good,)))
    assert d is not None and d.cause == "no_such_model"


def test_flux_model_refused_while_other_flux_works_is_not_entitled() -> None:
    good = control("known_good_model", "listen-v2-ws", "flux-general-en", 101, Verdict.ENTITLED, "rid-g")
    bogus = control("bogus_model", "listen-v2-ws", "zz-no-such-model-dgent", 403, Verdict.NOT_ENTITLED, "rid-b")
    # the public list says nothing about Flux: its absence must not be read as "no such model"
    d = run("listen-v2-ws", "flux-general-multi", refused("flux-general-multi"),
            ctx(public=frozenset({"nova-3-general"}), project=frozenset(), controls=(good, bogus)), params=STREAM)
    assert d is not None and d.cause == "not_entitled"
    assert d.title == "Not entitled: this project may use Flux (flux-general-en) but not flux-general-multi"
    assert "control carry" not in d.title
    assert evidence(d)["model lists"].startswith("Flux models are absent from /v1/models")
    assert "ruled in" in evidence(d)


def test_flux_not_enabled_at_all() -> None:
    good = control("known_good_model", "listen-v2-ws", "flux-general-en", 403, Verdict.NOT_ENTITLED, "rid-g")
    d = run("listen-v2-ws", "flux-general-multi", refused("flux-general-multi"), ctx(controls=(good,)),
            params=STREAM)
    assert d is not None and d.cause == "not_entitled"
    assert d.title == "Not entitled: Flux is not enabled for this project (flux-general-en is refused too)"


def test_flux_typo_with_working_flux_is_no_such_model() -> None:
    good = control("known_good_model", "listen-v2-ws", "flux-general-en", 101, Verdict.ENTITLED, "rid-g")
    d = run("listen-v2-ws", "flux-genral-en", refused("flux-genral-en"), ctx(controls=(good,)), params=STREAM)
    assert d is not None and d.cause == "no_such_model"
    assert "flux-general-en, flux-general-multi" in d.remedy


def test_flux_typo_without_controls_is_left_open() -> None:
    d = run("listen-v2-ws", "flux-genral-en", refused("flux-genral-en"), params=STREAM)
    assert d is not None and d.cause == "not_entitled_or_no_such_model"


# ---------------------------------------------------------------------------------------- auth


def test_invalid_key() -> None:
    d = capture("ws-invalid-key")
    assert d.cause == "invalid_key" and not d.is_entitlement
    assert evidence(d)["request id"] == "01a0accc-307e-7171-b0e9-5eb486f4e252"
    assert evidence(d)["dg-error"] == "Invalid credentials."


def test_expired_temporary_token() -> None:
    obs = Observation(status=401, body={"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."},
                      request=RequestSummary("GET", "wss://h/v1/listen?model=nova-3", "Bearer"))
    d = run("listen-v1-ws", "nova-3", obs)
    assert d is not None and d.cause == "expired_token"
    assert "/v1/auth/grant" in d.remedy


def test_missing_key() -> None:
    obs = Observation(status=401, body="Invalid credentials.",
                      request=RequestSummary("GET", "https://h/v1/listen", None))
    d = run("listen-v1-rest", "nova-3", obs)
    assert d is not None and d.cause == "missing_key"


def test_missing_scope_and_bearer_on_management() -> None:
    d = capture("mgmt-401-text-scope")
    assert d.cause == "missing_scope" and not d.is_entitlement
    obs = Observation(status=403, body={"category": "UNAUTHORIZED", "message": "Authentication failed."},
                      request=RequestSummary("GET", "https://h/v1/projects/p/keys", "Bearer"))
    d2 = run("project-keys-v1", None, obs)
    assert d2 is not None and d2.title.startswith("Temporary tokens cannot use the Manage APIs")


# ------------------------------------------------------------------------------ other root causes


def test_feature_not_allowed_is_not_a_model_entitlement() -> None:
    d = capture("topics-on-stream", ctx(controls=(
        control("minimal_params", "listen-v1-ws", "nova-3", 101, Verdict.ENTITLED, "rid-min"),)))
    assert d.cause == "feature_not_allowed" and not d.is_entitlement
    assert d.title == "Feature not allowed on wss /v1/listen: `topics` (not a model entitlement)"
    assert evidence(d)["ruled out"] == "a model entitlement: the same request without `topics` is accepted"


def test_no_credits() -> None:
    d = capture("no-credits")
    assert (d.cause, d.is_entitlement) == ("no_credits", False)


def test_tts_unknown_voice_is_no_such_model() -> None:
    assert capture("tts-no-such-voice-docs").cause == "no_such_model"


def test_transient_causes_are_never_entitlement_problems() -> None:
    cases = {
        "stt-429": "rate_limited", "503-error-code-typo": "server_error", "v1-net0001-close": "idle_timeout",
        "flux-fatal-error": "server_error",
    }
    for name, cause in cases.items():
        d = capture(name)
        assert (d.cause, d.is_entitlement, d.ticket) == (cause, False, None), name
    dns = run("listen-v1-ws", "nova-3", Observation(status=None, error="dns", error_detail="gaierror"))
    assert dns is not None and dns.cause == "network_error" and "DNS" in dns.remedy


def test_regional_host_management_404() -> None:
    eu = AccountInfo("eu", None, "p", "https://api.eu.deepgram.com", "none")
    d = capture("404-project-not-found", ctx(account=eu))
    assert d.cause == "not_found" and d.title == "The management API is not served on regional hosts"


def test_clean_allow_has_no_diagnosis_and_unexpected_allow_has_one() -> None:
    ok = Observation(status=200, body={"metadata": {}})
    assert run("listen-v1-rest", "nova-3", ok) is None
    d = run("listen-v1-rest", "whisper-large", ok, expected=Expectation(Verdict.NOT_ENTITLED, 403))
    assert d is not None and d.cause == "unexpected_allow" and d.is_entitlement


def test_expected_refusal_is_shown_last_without_ticket() -> None:
    cap = next(c for c in CAPTURES if c.name == "flux-on-v1-rest")
    d = run(cap.surface, cap.model, cap.observation(), expected=Expectation(Verdict.WRONG_ENDPOINT, 400))
    assert d is not None and d.severity == 1 and d.ticket is None


def test_severity_orders_account_problems_first() -> None:
    not_entitled = run("listen-v1-rest", "nova-3", refused("nova-3"), ctx(public=frozenset({"nova-3-general"})))
    malformed = capture("unknown-param-flux")
    limited = capture("stt-429")
    assert not_entitled is not None
    assert not_entitled.severity > malformed.severity > limited.severity


# ------------------------------------------------------------------------------------- ticket


def test_ticket_has_everything_support_needs_and_no_key() -> None:
    secret = "fedcba9876543210" * 2 + "fedcba98"
    register_secret(secret)
    good = control("known_good_model", "listen-v1-rest", "nova-2", 200, Verdict.ENTITLED, "rid-good")
    bogus = control("bogus_model", "listen-v1-rest", "zz-no-such-model-dgent", 403, Verdict.NOT_ENTITLED, "rid-bog")
    obs = Observation(status=403, body=NOT_ENTITLED_BODY, headers={"dg-request-id": "rid-probe"},
                      at="2026-09-17T00:37:38.123Z",
                      request=RequestSummary("POST", f"https://api.deepgram.com/v1/listen?model=nova-3&x={secret}",
                                             "Token"))
    d = run("listen-v1-rest", "nova-3", obs, ctx(public=frozenset({"nova-3-general"}), controls=(good, bogus)))
    assert d is not None and d.ticket is not None
    t = d.ticket
    for needed in ('account "payg"', "project proj-123", "listen-v1-rest", "model nova-3", "2026-09-17 00:37:38 UTC",
                   "HTTP 403", "INSUFFICIENT_PERMISSIONS", '"Project does not have access to the requested model."',
                   "request id rid-probe", "rid-good", "rid-bog", "Ruled out:", "an invalid key (no 401)",
                   "nova-2 is accepted on the same endpoint", "nova-3 is in Deepgram's public model list"):
        assert needed in t, needed
    assert secret not in t
    assert "\n" not in t
    assert callable(ticket_text)  # the function is public for the report


def test_model_names_reads_both_lists_and_survives_garbage() -> None:
    assert model_names(MODELS_BODY) == frozenset({"general", "nova-3-general", "angus", "aura-angus-en"})
    assert model_names({"stt": [{"name": "nova-2-general"}, 3, {"name": None}], "tts": "x"}) == {"nova-2-general"}
    for garbage in (None, "", b"\xff", 7, [1, 2], {"stt": None}, "<html>"):
        assert model_names(garbage) == frozenset()
