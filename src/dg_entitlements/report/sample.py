"""A small, realistic RunResult that exercises every field and every outcome.

Why it lives in the package and not only in the tests: the report tests, the browser test and anyone
working on the report's look (`python -m dg_entitlements.report.sample out.html`) need the same rich
run without starting a probe, and a sample that covers every field is the best check that the JSON
round trip and the renderers miss nothing. All values are fake: no key, fake request ids.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from dg_entitlements.diagnosis import SEVERITY
from dg_entitlements.model import (
    SCHEMA_VERSION,
    AccountInfo,
    Attempt,
    Cell,
    ComboInfo,
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
        answered_by="api.deepgram.com:443" if status is not None else None,
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
    details: str | None = None,
    cause_hint: str | None = None,
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
            details=details,
            answered_by_deepgram=True if status is not None else None,
            cause_hint=cause_hint,
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


def not_entitled_diagnosis(account: str, model: str, n: int, candidates: tuple[str, ...] = ()) -> Diagnosis:
    return Diagnosis(
        candidates=candidates,
        cause="not_entitled",
        title=f"Project is not entitled to `{model}`",
        remedy="Ask Deepgram to enable the model on this project, quoting the request ids below.",
        severity=SEVERITY["not_entitled"],
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
                model="flux-general-en",
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
        severity=SEVERITY["malformed_request"],
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
            details="channels: unknown query parameter for Flux",
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
            diagnosis=not_entitled_diagnosis(b, "flux-general-multi", 9, ("not_entitled", "no_such_model")),
            cause_hint="not_entitled",
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
        combos=sample_combos(cells),
        drift=drift,
        notes=("Control probes enabled (max 3 per failing cell).",),
        status="broken",
        headline="Contract broken: 3 unexpected cell(s).",
    )


# Rows whose outcome the catalogue fixes for every account (checks of the request shape), with the
# catalogue-style `why` a reader sees in the report.
SAMPLE_WHY: dict[str, tuple[str, bool]] = {
    "listen-v2-ws::flux-general-en+channels": (
        "Flux rejects the `channels` parameter: checks that a malformed request is not read as a denial.",
        True,
    ),
    "listen-v1-rest::flux-general-en": (
        "Flux is served on /v2/listen only: checks that the wrong endpoint is not read as a denial.",
        True,
    ),
    "speak-v1-rest::aura-2-thalia-en": ("The default Aura 2 voice every TTS customer uses.", False),
}


def sample_combos(cells: tuple[Cell, ...]) -> dict[str, ComboInfo]:
    """RunResult.combos for sample cells: the why, tags and trap-row flag a reader needs."""
    out: dict[str, ComboInfo] = {}
    for c in cells:
        why, intrinsic = SAMPLE_WHY.get(c.combo_id, ("", False))
        out[c.combo_id] = ComboInfo(
            surface=c.surface,
            model=c.model,
            why=why,
            tags=("trap",) if intrinsic else ("core",),
            intrinsic=intrinsic,
        )
    return out


# A wide catalogue for the "run with failures": many endpoints (so the matrix is wider than a phone or
# a laptop screen) and models, like the shipped run.
WIDE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("listen-v1-rest", "POST /v1/listen"),
    ("listen-v1-ws", "wss /v1/listen"),
    ("listen-v2-ws", "wss /v2/listen (Flux)"),
    ("speak-v1-rest", "POST /v1/speak"),
    ("speak-v1-ws", "wss /v1/speak"),
    ("speak-v2-rest", "POST /v2/speak"),
    ("speak-v2-ws", "wss /v2/speak"),
    ("read-v1-rest", "POST /v1/read"),
    ("agent-v1-ws", "wss agent /v1/agent/converse"),
    ("models-v1", "GET /v1/models"),
    ("projects-v1", "GET /v1/projects"),
    ("project-keys-v1", "GET /v1/projects/{id}/keys"),
    ("project-models-v1", "GET /v1/projects/{id}/models"),
    ("auth-grant-v1", "POST /v1/auth/grant"),
)
_STT = ("nova-3", "nova-3-medical", "nova-2", "nova-2-phonecall", "whisper-medium", "whisper-large")
_FLUX = ("flux-general-en", "flux-general-multi")
_TTS = ("aura-2-thalia-en", "aura-2-celeste-es", "aura-asteria-en")
_PLAIN = ("models-v1", "projects-v1", "project-keys-v1", "project-models-v1", "auth-grant-v1", "read-v1-rest")
_NO_ACCESS = ("INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model.")
_TRAPS: tuple[tuple[str, str, Verdict, int, str], ...] = (
    (
        "listen-v1-rest",
        "nova-3-genral",
        Verdict.NOT_ENTITLED,
        403,
        "A misspelled model: Deepgram answers 403 INSUFFICIENT_PERMISSIONS, the same as for a model the account "
        "lacks, so this row checks the suite tells the two apart.",
    ),
    (
        "listen-v1-ws",
        "flux-general-en",
        Verdict.WRONG_ENDPOINT,
        400,
        "Flux on the v1 stream: a 400 here means the wrong endpoint, not that Flux is not enabled.",
    ),
    (
        "listen-v2-ws",
        "flux-general-en+channels",
        Verdict.MALFORMED_REQUEST,
        400,
        "A v1-only parameter on /v2/listen: 400 INVALID_QUERY_PARAMETER, a malformed request, never a denial.",
    ),
)


def no_credits_diagnosis(account: str, model: str, n: int) -> Diagnosis:
    return Diagnosis(
        cause="no_credits",
        title="The project has no credits left (402 Payment Required)",
        remedy="Add credits or a payment method to the project; this is not an entitlement problem.",
        severity=SEVERITY["no_credits"],
        is_entitlement=False,
        evidence=(Evidence("status", "402"), Evidence("err_code", "ASR_PAYMENT_REQUIRED")),
        ticket=(
            f"Hello Deepgram support,\n\nAccount alias {account}: a request with model={model} was refused with "
            f"402 ASR_PAYMENT_REQUIRED (request id {rid(n)}). Could you check the project's balance?"
        ),
    )


def failing_run() -> RunResult:
    """Three accounts on a wide catalogue with the failures a reader meets: an account out of credits on
    every paid endpoint (one cause, many cells), real lacks (Flux, Whisper), an entitlement leak, a
    timeout, and trap rows every account gets the same way."""
    accounts = ("payg-full", "payg-no-flux", "no-credits")
    cells: list[Cell] = []
    combos: dict[str, ComboInfo] = {}
    n = 100

    def add(account: str, surface: str, variant: str, **kw: Any) -> None:
        nonlocal n
        n += 1
        made = cell(account, surface, variant, n=n, **kw)
        cells.append(dataclasses.replace(made, model=None) if surface in _PLAIN else made)

    for account in accounts:
        plans = [(s, m) for s in ("listen-v1-rest", "listen-v1-ws") for m in _STT]
        plans += [("listen-v2-ws", m) for m in _FLUX]
        plans += [(s, m) for s in ("speak-v1-rest", "speak-v1-ws") for m in _TTS]
        plans += [(s, "list") for s in _PLAIN]
        for surface, variant in plans:
            paid = surface.startswith(("listen", "speak", "read"))
            lacks = account == "payg-no-flux" and (variant in _FLUX or variant.startswith("whisper"))
            if account == "no-credits" and paid:
                add(
                    account,
                    surface,
                    variant,
                    outcome=Outcome.UNEXPECTED_DENY,
                    verdict=Verdict.PAYMENT_REQUIRED,
                    status=402,
                    diagnosis=no_credits_diagnosis(account, variant, n + 1),
                    err=("ASR_PAYMENT_REQUIRED", "Project does not have enough credits for an ASR request."),
                )
            elif lacks and variant == "flux-general-multi":
                add(
                    account,
                    surface,
                    variant,
                    outcome=Outcome.UNEXPECTED_ALLOW,
                    verdict=Verdict.ENTITLED,
                    status=101,
                    expect=Verdict.NOT_ENTITLED,
                    expect_status=403,
                )
            elif lacks:
                add(
                    account,
                    surface,
                    variant,
                    outcome=Outcome.AS_EXPECTED,
                    verdict=Verdict.NOT_ENTITLED,
                    status=403,
                    expect=Verdict.NOT_ENTITLED,
                    expect_status=403,
                    err=_NO_ACCESS,
                    diagnosis=not_entitled_diagnosis(account, variant, n + 1),
                )
            elif account == "payg-full" and surface == "project-models-v1":
                add(
                    account,
                    surface,
                    variant,
                    outcome=Outcome.INCONCLUSIVE,
                    verdict=Verdict.TIMEOUT,
                    status=None,
                    error="timeout:read",
                    tries=3,
                )
            else:
                add(
                    account,
                    surface,
                    variant,
                    outcome=Outcome.AS_EXPECTED,
                    verdict=Verdict.ENTITLED,
                    status=101 if surface.endswith("-ws") else 200,
                )
            combos.setdefault(cells[-1].combo_id, ComboInfo(surface, cells[-1].model, "", ("core",), False))
        for surface, variant, verdict, status, why in _TRAPS:
            add(
                account,
                surface,
                variant,
                outcome=Outcome.AS_EXPECTED,
                verdict=verdict,
                status=status,
                expect=verdict,
                expect_status=status,
            )
            combos[cells[-1].combo_id] = ComboInfo(surface, variant, why, ("trap",), True)
    total = Cost()
    for c in cells:
        if c.observation:
            total = total + c.observation.cost
    return RunResult(
        schema_version=SCHEMA_VERSION,
        tool_version="0.1.0",
        mode="fake",
        started_at="2026-11-24T03:00:00Z",
        finished_at="2026-11-24T03:00:09Z",
        complete=True,
        accounts=tuple(
            AccountInfo(a, f"key#{i:08x}", f"proj-{a}", "http://127.0.0.1:8080", "literal (fake)")
            for i, a in enumerate(accounts)
        ),
        cells=tuple(cells),
        targets={"rest": "http://127.0.0.1:8080", "ws": "ws://127.0.0.1:8080"},
        surfaces=dict(WIDE_COLUMNS),
        combos=combos,
        cost=total,
        status="broken",
    )


def main(argv: list[str]) -> int:
    """Write the sample report page: `python -m dg_entitlements.report.sample reports/sample.html`."""
    from dg_entitlements.fsutil import atomic_write_text
    from dg_entitlements.report.html import render_page

    out = argv[1] if len(argv) > 1 else "reports/sample-report.html"
    if len(argv) > 2 and argv[2] == "failing":
        atomic_write_text(out, render_page(failing_run(), WIDE_COLUMNS))
    else:
        atomic_write_text(out, render_page(sample_run(), SAMPLE_COLUMNS))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
