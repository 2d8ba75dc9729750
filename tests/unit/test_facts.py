"""Facts as data (issue 10): one owner for every Deepgram fact, and no hole in the rule tables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dg_entitlements import diagnosis, facts
from dg_entitlements.diagnosis import FINDERS, HINT_FINDERS, SEVERITY, Finding, diagnose
from dg_entitlements.model import (
    AccountInfo,
    Cell,
    Combo,
    Expectation,
    Family,
    Judgement,
    Observation,
    Outcome,
    Surface,
    Verdict,
)

SRC = Path(diagnosis.__file__).parent
CAUSES = (
    "malformed_request", "key_in_url", "wrong_auth_scheme", "wrong_endpoint", "no_such_model",
    "unsupported_language", "feature_not_allowed", "undecodable_audio", "idle_timeout", "tts_rate_limit",
    "remote_media_error", "invalid_key", "missing_key", "expired_token", "missing_scope", "not_entitled",
    "not_entitled_or_no_such_model", "no_credits", "rate_limited", "server_error", "timeout", "network_error",
    "not_deepgram", "handshake_hidden", "status_only", "unexpected_allow", "not_found", "unrecognised",
)


def test_every_verdict_has_a_diagnosis_rule() -> None:
    assert set(FINDERS) == set(Verdict)


def test_every_family_has_facts() -> None:
    assert set(facts.FAMILY_FACTS) == set(Family)
    for family in Family:
        assert facts.family_facts(family).paths, family


def test_every_cause_in_the_vocabulary_has_a_severity() -> None:
    assert set(CAUSES) <= set(SEVERITY)
    assert set(HINT_FINDERS) <= set(SEVERITY)


def test_every_hint_the_verdict_code_sets_has_a_rule() -> None:
    tree = ast.parse((SRC / "verdicts.py").read_text())
    hints = {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
             if kw.arg == "cause_hint" and isinstance(kw.value, ast.Constant)}
    assert hints and hints <= set(HINT_FINDERS)


@pytest.mark.parametrize("module", ["verdicts.py", "diagnosis.py", "controls.py"])
def test_no_endpoint_path_literals_outside_facts(module: str) -> None:
    """Rules branch on facts and the Family enum, not on their own copies of Deepgram's paths."""
    tree = ast.parse((SRC / module).read_text())
    compared = [node for node in ast.walk(tree) if isinstance(node, ast.Compare)]
    literals = [c.value for node in compared for c in ast.walk(node)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
                and c.value.startswith(("/v1/", "/v2/"))]
    assert literals == []


def test_a_new_rule_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a cause: the verdict code sets `cause_hint`, the table maps it to its finder, nothing else."""
    def find_new(cell: Cell, combo: Combo, ctx: diagnosis.DiagnosisContext) -> Finding:
        return Finding("brand_new_cause", "A new cause", "Do the new thing.", False)

    monkeypatch.setitem(HINT_FINDERS, "brand_new_cause", find_new)
    surface = Surface("s", "http", "POST", facts.LISTEN_V1, family=Family.STT)
    combo = Combo("s::m", surface, "m")
    judgement = Judgement(Verdict.MALFORMED_REQUEST, "r", cause_hint="brand_new_cause")
    cell = Cell("a", combo.id, "s", "m", "m", Expectation(Verdict.ENTITLED), Outcome.UNEXPECTED_DENY, judgement,
                Observation(status=400))
    ctx = diagnosis.DiagnosisContext(AccountInfo("a", None, None, "https://api.deepgram.com", "none"), None, None)
    found = diagnose(cell, combo, ctx)
    assert found is not None and found.cause == "brand_new_cause"


def test_status_candidates_use_the_vocabulary() -> None:
    for ranked in [*facts.STATUS_CANDIDATES.values(), facts.STATUS_FALLBACK]:
        assert set(ranked) <= set(CAUSES)


def test_deepgram_hosts() -> None:
    assert facts.is_deepgram_host("api.eu.deepgram.com") and facts.is_deepgram_host("agent.deepgram.com:443")
    assert not facts.is_deepgram_host("deepgram.com.evil.example") and not facts.is_deepgram_host(None)


def test_parameter_conflicts_by_model() -> None:
    assert [n for n, _ in facts.parameter_conflicts("nova-3", [("keywords", "x:2")])] == ["keywords"]
    assert [n for n, _ in facts.parameter_conflicts("nova-2", [("keyterm", "x")])] == ["keyterm"]
    assert [n for n, _ in facts.parameter_conflicts("nova-3", [("keyterm", "a,b")])] == ["keyterm"]
    assert facts.parameter_conflicts("nova-3", [("keyterm", "a"), ("keyterm", "b")]) == []
    assert facts.parameter_conflicts("nova-2", [("keywords", "x:2")]) == []


def test_comma_joined_keywords_are_one_literal_keyword() -> None:
    """LeonardoTrapani/hyprvoice#42: comma-joined keywords are one literal keyword on nova-2."""
    assert [n for n, _ in facts.parameter_conflicts("nova-2", [("keywords", "a,b")])] == ["keywords"]
