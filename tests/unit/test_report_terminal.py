"""The end-of-run terminal table."""

from __future__ import annotations

from dg_entitlements.report.sample import sample_run
from dg_entitlements.report.terminal import render_summary


def test_counts_per_account_and_problem_lines() -> None:
    text = render_summary(sample_run(), color=False, reports=["reports/entitlements.html"])
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("payg-no-flux "))
    assert row.split()[1:] == ["2", "1", "1", "0", "1"]
    deny = next(line for line in lines if "payg-full::speak-v1-rest::aura-2-thalia-en" in line)
    assert "expected entitled" in deny and "got 403 not entitled" in deny
    assert "00000005-0000-4000-8000-000000000005" in deny
    timeout = next(line for line in lines if "project-keys-v1::list" in line and "payg-full" in line)
    assert "↻3 tries" in timeout and "no request id" in timeout
    assert not any("payg-full::listen-v1-rest::nova-3" in line for line in lines)  # as expected: not listed
    assert "Cost: 11 requests, 10 s of audio, 3 characters" in text
    assert "Report: reports/entitlements.html" in text
    assert "LOST" in text


def test_no_colour_codes_unless_asked() -> None:
    assert "\x1b[" not in render_summary(sample_run(), color=False)
    assert "\x1b[1;31m" in render_summary(sample_run(), color=True)


def test_incomplete_run_says_so() -> None:
    assert "INCOMPLETE RUN" in render_summary(sample_run(complete=False))
    assert "INCOMPLETE" not in render_summary(sample_run())


def test_the_per_account_line_comes_first() -> None:
    lines = render_summary(sample_run()).splitlines()
    assert lines[2] == "• payg-full has 2 models; lacks aura-2-thalia-en (not entitled); not measured: list."
    assert lines[3].startswith("• payg-no-flux has 2 models, including flux-general-en which it was expected to lack")
