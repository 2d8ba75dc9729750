"""A small, realistic RunResult that exercises every field and every outcome.

Why it lives in the package and not only in the tests: the report tests, the browser test and anyone
working on the report's look (`python -m dg_entitlements.report.sample out.html`) need the same rich
run without starting a probe, and a sample that covers every field is the best check that the JSON
round trip and the renderers miss nothing. All values are fake: no key, fake request ids.
"""

from __future__ import annotations

import sys
from typing import Any

from dg_entitlements.model import (
    SCHEMA_VERSION,
    AccountInfo,
    Attempt,
    Cell,
    ControlResult,
    Cost,
    Diagnosis,
    Drift,
    Evidence,
    Expectation,
    Frame,
    Judgement,
    Observation,
    Outcome,
    RequestSummary,
    RunResult,
    Verdict,
)

SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("listen-v1-rest", "POST /v1/listen"),
    ("listen-v1-ws", "wss /v1/listen"),
    ("listen-v2-ws", "wss /v2/listen (Flux)"),
    ("speak-v1-rest", "POST /v1/speak"),
    ("project-keys-v1", "GET /v1/projects/{id}/keys"),
)


_ONE_PROBE = Cost(1, 1.0, 0)


def rid(n: int) -> str:
    """A request id shaped like Deepgram's (a UUID), deterministic for tests."""
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def observation(
    status: int | None,
    n: int = 1,
    *,
    body: Any = None,
    dg_error: str | None = None,
    tries: int = 1,
    error: str | None = None,
    frames: tuple[Frame, ...] = (),
    url: str = "https://api.deepgram.com/v1/listen?model=nova-3",
    cost: Cost = _ONE_PROBE,
) -> Observation:
    headers = {"dg-request-id": rid(n)} if status is not None else {}
    if dg_error:
        headers["dg-error"] = dg_error
    attempts = (
        tuple(
            Attempt(
                status=503 if i < tries - 1 else status,
                error=error if i == tries - 1 else None,
                latency_ms=12.5 + i,
                waited_ms=0.0 if i == 0 else 250.0 * i,
                retry_after_s=1.0 if i == 1 else None,
            )
            for i in range(tries)
        )
        if tries > 1
        else ()
    )
    return Observation(
        status=status,
        headers=headers,
        body=body,
        body_kind="json" if isinstance(body, (dict, list)) else ("text" if body else "empty"),
        body_size=len(str(body)) if body else 0,
        content_type="application/json" if isinstance(body, dict) else None,
        frames=frames,
        close_code=1000 if frames else None,
        close_reason="" if frames else None,
        closed_by="client" if frames else None,
        error=error,
        error_detail="connect timed out after 5.0 s" if error else None,
        latency_ms=42.0 + n,
        attempts=attempts,
        cost=cost,
        request=RequestSummary("POST", url, "Token", 32000),
        at="2026-11-24T03:00:00Z",
    )


def cell(
    account: str,
    surface: str,
    variant: str,
    outcome: Outcome,
    verdict: Verdict | None,
    status: int | None,
    *,
    n: int = 1,
    expect: Verdict = Verdict.ENTITLED,
    expect_status: int | None = None,
    diagnosis: Diagnosis | None = None,
    tries: int = 1,
    err: tuple[str, str] | None = None,
    skipped_reason: str | None = None,
    parameter: str | None = None,
    right_endpoint: str | None = None,
    **obs_kwargs: Any,
) -> Cell:
    """One cell; `verdict=None` with `outcome=SKIPPED` gives a cell that was never sent."""
    judgement = None
    obs = None
    if verdict is not None:
        judgement = Judgement(
            verdict=verdict,
            reason=f"Deepgram answered {status}: {verdict_reason(verdict)}"
            if status is not None
            else f"No answer: {verdict_reason(verdict)}",
            err_code=err[0] if err else None,
            err_msg=err[1] if err else None,
            model=variant,
            parameter=parameter,
            right_endpoint=right_endpoint,
        )
        body = {"err_code": err[0], "err_msg": err[1], "request_id": rid(n)} if err else obs_kwargs.pop("body", None)
        obs = observation(status, n, body=body, tries=tries, **obs_kwargs)
    return Cell(
        account=account,
        combo_id=f"{surface}::{variant}",
        surface=surface,
        variant=variant,
        model=variant,
        expectation=Expectation(expect, expect_status, f"accounts.toml: {account}[expect]"),
        outcome=outcome,
        judgement=judgement,
        observation=obs,
        diagnosis=diagnosis,
        skipped_reason=skipped_reason,
    )


def verdict_reason(v: Verdict) -> str:
    return {Verdict.ENTITLED: "the request was accepted."}.get(v, f"{v.value.replace('_', ' ')}.")


def not_entitled_diagnosis(account: str, model: str, n: int) -> Diagnosis:
    return Diagnosis(
        cause="not_entitled",
        title=f"Project is not entitled to `{model}`",
        remedy="Ask Deepgram to enable the model on this project, quoting the request ids below.",
        severity=8,
        is_entitlement=True,
        evidence=(
            Evidence("err_code", "INSUFFICIENT_PERMISSIONS"),
            Evidence("public model list", f"{model} listed"),
        ),
        controls=(
            ControlResult(
                "known_good_model",
                "listen-v2-ws::flux-general-en",
                101,
                Verdict.ENTITLED,
                rid(900 + n),
                "the key works on this endpoint",
            ),
            ControlResult("bogus_model", "listen-v2-ws::zz-no-such-model", 403, Verdict.NOT_ENTITLED, rid(950 + n)),
        ),
        ticket=(
            f"Hello Deepgram support,\n\nAccount alias {account}, project 3f1c-proj-{account}: a request to "
            f"wss /v2/listen with model={model} at 2026-11-24T03:00:00Z was refused with 403 "
            f"INSUFFICIENT_PERMISSIONS (request id {rid(n)}). A known-good model on the same endpoint "
            f"was accepted (request id {rid(900 + n)}), so the key and the request are fine.\n"
            "Could you enable this model for the project?"
        ),
    )


def malformed_diagnosis() -> Diagnosis:
    return Diagnosis(
        cause="malformed_request",
        title="Unknown query parameter `channels` on /v2/listen",
        remedy="Remove `channels` from the URL: Flux does not take it.",
        severity=5,
        is_entitlement=False,
        evidence=(Evidence("err_code", "INVALID_QUERY_PARAMETER"), Evidence("parameter", "channels")),
    )


def sample_run(*, complete: bool = True, with_drift: bool = True) -> RunResult:
    """Two accounts, every outcome, a retried cell, a skipped cell, diagnoses, controls and tickets."""
    a, b = "payg-full", "payg-no-flux"
    flux_frames = (
        Frame("text", 12.0, {"type": "Connected", "request_id": rid(3)}),
        Frame("binary", 20.5, None, 320),
    )
    cells = (
        cell(
            a,
            "listen-v1-rest",
            "nova-3",
            Outcome.AS_EXPECTED,
            Verdict.ENTITLED,
            200,
            n=1,
            body={"metadata": {"request_id": rid(1)}, "results": {}},
        ),
        cell(
            a,
            "listen-v1-ws",
            "nova-3",
            Outcome.AS_EXPECTED,
            Verdict.ENTITLED,
            101,
            n=2,
            tries=3,
            url="wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000",
        ),
        cell(
            a,
            "listen-v2-ws",
            "flux-general-en",
            Outcome.AS_EXPECTED,
            Verdict.ENTITLED,
            101,
            n=3,
            frames=flux_frames,
        ),
        cell(
            a,
            "listen-v2-ws",
            "flux-general-en+channels",
            Outcome.AS_EXPECTED,
            Verdict.MALFORMED_REQUEST,
            400,
            n=4,
            expect=Verdict.MALFORMED_REQUEST,
            expect_status=400,
            diagnosis=malformed_diagnosis(),
            err=("INVALID_QUERY_PARAMETER", "Unknown query parameter: channels"),
            dg_error="unknown parameter",
            parameter="channels",
        ),
        cell(
            a,
            "speak-v1-rest",
            "aura-2-thalia-en",
            Outcome.UNEXPECTED_DENY,
            Verdict.NOT_ENTITLED,
            403,
            n=5,
            diagnosis=not_entitled_diagnosis(a, "aura-2-thalia-en", 5),
            err=("INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model."),
            cost=Cost(1, 0.0, 3),
        ),
        cell(
            a,
            "project-keys-v1",
            "list",
            Outcome.INCONCLUSIVE,
            Verdict.TIMEOUT,
            None,
            n=6,
            error="timeout:connect",
            tries=3,
        ),
        cell(b, "listen-v1-rest", "nova-3", Outcome.AS_EXPECTED, Verdict.ENTITLED, 200, n=7),
        cell(
            b,
            "listen-v2-ws",
            "flux-general-en",
            Outcome.UNEXPECTED_ALLOW,
            Verdict.ENTITLED,
            101,
            n=8,
            expect=Verdict.NOT_ENTITLED,
            expect_status=403,
            frames=flux_frames,
        ),
        cell(
            b,
            "listen-v2-ws",
            "flux-general-multi",
            Outcome.UNEXPECTED_DENY,
            Verdict.NOT_ENTITLED,
            403,
            n=9,
            diagnosis=not_entitled_diagnosis(b, "flux-general-multi", 9),
            err=("INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model."),
            dg_error="Project does not have access to the requested model",
        ),
        cell(
            b,
            "project-keys-v1",
            "list",
            Outcome.AS_EXPECTED,
            Verdict.INSUFFICIENT_PERMISSIONS,
            403,
            n=10,
            expect=Verdict.INSUFFICIENT_PERMISSIONS,
            expect_status=403,
        ),
        cell(
            b,
            "speak-v1-rest",
            "aura-2-thalia-en",
            Outcome.SKIPPED,
            None,
            None,
            skipped_reason="budget: 20 characters left, this probe needs 3 more",
        ),
        cell(
            a,
            "listen-v1-rest",
            "flux-general-en",
            Outcome.AS_EXPECTED,
            Verdict.WRONG_ENDPOINT,
            400,
            n=12,
            expect=Verdict.WRONG_ENDPOINT,
            expect_status=400,
            err=("Bad Request", "V2_MODEL_ON_V1_LISTEN_ENDPOINT: use /v2/listen for Flux models"),
            right_endpoint="wss /v2/listen",
        ),
    )
    accounts = (
        AccountInfo(a, "key#1a2b3c4d", "3f1c-proj-payg-full", "https://api.deepgram.com", "env:DEEPGRAM_API_KEY"),
        AccountInfo(b, "key#9f8e7d6c", None, "https://api.deepgram.com", "file:/run/secrets/dev-key"),
    )
    total = Cost()
    for c in cells:
        if c.observation:
            total = total + c.observation.cost
    drift = (
        (
            Drift(b, "listen-v2-ws::flux-general-en", "gained", "not_entitled", "entitled"),
            Drift(a, "speak-v1-rest::aura-2-thalia-en", "lost", "entitled", "not_entitled"),
        )
        if with_drift
        else ()
    )
    return RunResult(
        schema_version=SCHEMA_VERSION,
        tool_version="0.1.0",
        mode="replay",
        started_at="2026-11-24T03:00:00Z",
        finished_at="2026-11-24T03:00:07Z",
        complete=complete,
        accounts=accounts,
        cells=cells,
        targets={
            "rest": "https://api.deepgram.com",
            "ws": "wss://api.deepgram.com",
            "agent": "wss://agent.deepgram.com",
        },
        surfaces={"listen-v1-rest": "POST /v1/listen", "listen-v2-ws": "wss /v2/listen (Flux)"},
        cost=total,
        cassettes={
            "recorded_at": "2026-09-01T10:00:00Z",
            "age_days": 84,
            "warning": "cassettes are 84 days old: re-record with `make test-live --dg-record`",
        },
        drift=drift,
        notes=("Control probes enabled (max 3 per failing cell).",),
    )


def main(argv: list[str]) -> int:
    """Write the sample report page: `python -m dg_entitlements.report.sample reports/sample.html`."""
    from dg_entitlements.fsutil import atomic_write_text
    from dg_entitlements.report.html import render_page

    out = argv[1] if len(argv) > 1 else "reports/sample-report.html"
    atomic_write_text(out, render_page(sample_run(), SAMPLE_COLUMNS))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
