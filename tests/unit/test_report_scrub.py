"""A secret registered with the scrubber never reaches the JSON, the HTML or the terminal."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from dg_entitlements import secrets
from dg_entitlements.model import Diagnosis, Evidence, Outcome, Verdict
from dg_entitlements.report.html import render_page
from dg_entitlements.report.json import read_json, write_json
from dg_entitlements.report.sample import cell, sample_run
from dg_entitlements.report.terminal import render_summary

CANARY = 'dgcanary-report-7Q&<x>"9z'  # HTML/JSON-special characters on purpose
REAL_SHAPED = "0123456789abcdef" * 2 + "01234567"


def _leaky_run() -> object:
    diag = Diagnosis(
        "invalid_auth",
        f"key {CANARY} was refused",
        f"rotate {CANARY}",
        9,
        False,
        evidence=(Evidence("header", f"Authorization: Token {CANARY}"),),
        ticket=f"key {CANARY}",
    )
    leaky = cell(
        f"acct-{CANARY}",
        "listen-v1-rest",
        "nova-3",
        Outcome.UNEXPECTED_DENY,
        Verdict.INVALID_AUTH,
        401,
        diagnosis=diag,
        err=("INVALID_AUTH", f"Invalid credentials {CANARY} {REAL_SHAPED}"),
        url=f"https://api.deepgram.com/v1/listen?token={CANARY}",
    )
    run = sample_run()
    return dataclasses.replace(
        run, cells=(*run.cells, leaky), notes=(f"note {CANARY}",), targets={"rest": f"https://x/?key={CANARY}"}
    )


def test_secret_never_in_any_artifact(tmp_path: Path) -> None:
    secrets.register_secret(CANARY)
    run = _leaky_run()
    json_path = write_json(run, tmp_path / "run.json")  # type: ignore[arg-type]
    outputs = {
        "json": json_path.read_text(),
        "html": render_page(run),  # type: ignore[arg-type]
        "terminal": render_summary(run, color=True),  # type: ignore[arg-type]
        "html-from-json": render_page(read_json(json_path)),
    }
    import html as _html
    import json as _json

    forms = {CANARY, _html.escape(CANARY), _json.dumps(CANARY)[1:-1], REAL_SHAPED}
    for name, text in outputs.items():
        for form in forms:
            assert form not in text, f"{form!r} leaked into {name}"
        assert "[redacted" in text, name


def test_a_secret_across_the_body_cut_leaves_no_half_behind(tmp_path: Path) -> None:
    """Bodies are cut to an excerpt; cutting before scrubbing would leave the key's first half."""
    from dg_entitlements.report.html import BODY_EXCERPT_CHARS
    from dg_entitlements.report.json import BODY_BOUND

    secret = "dgcanary-straddles-the-cut-0042"
    secrets.register_secret(secret)
    body = "x" * (BODY_BOUND - 10) + secret + "y" * 5000
    assert BODY_EXCERPT_CHARS == BODY_BOUND
    straddling = cell("acct", "listen-v1-rest", "nova-3", Outcome.UNEXPECTED_DENY, Verdict.MALFORMED_REQUEST, 400,
                      body=body)
    run = dataclasses.replace(sample_run(), cells=(straddling,))
    text = write_json(run, tmp_path / "run.json").read_text() + render_page(run)  # type: ignore[arg-type]
    assert secret[:10] not in text and "x" * 100 in text  # the body is there, the secret's half is not
