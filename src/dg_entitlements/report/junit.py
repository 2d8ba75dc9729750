"""JUnit XML from the run result: what CI dashboards show, in the suite's own terms.

One test class per account (a dashboard groups "what does account X get" together), one test case
per combination, the probe's latency as its time, and the request id, verdict and outcome as
properties, so a failing nightly job links straight to Deepgram's request id. Written from the run
result, not by pytest's junitxml, so it is the same whichever consumer ran the engine.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..model import Cell, Outcome, RunResult
from ..outcomes import explain_mismatch
from ..secrets import scrub


def _message(cell: Cell) -> str:
    if cell.judgement is None or cell.observation is None:
        return cell.skipped_reason or "not probed"
    text = explain_mismatch(cell.expectation, cell.judgement, cell.observation)
    if cell.diagnosis is not None:
        text += f"\ndiagnosis: {cell.diagnosis.title}\nremedy: {cell.diagnosis.remedy}"
    return text


def _case(cell: Cell) -> ET.Element:
    seconds = (cell.observation.latency_ms / 1000) if cell.observation else 0.0
    case = ET.Element("testcase", classname=cell.account, name=cell.combo_id, time=f"{seconds:.3f}")
    props = ET.SubElement(case, "properties")
    values = {
        "request_id": cell.observation.request_id if cell.observation else None,
        "verdict": cell.judgement.verdict.value if cell.judgement else None,
        "outcome": cell.outcome.value,
        "expected": cell.expectation.verdict.value,
        "cause": cell.diagnosis.cause if cell.diagnosis else None,
    }
    for name, value in values.items():
        if value:
            ET.SubElement(props, "property", name=name, value=scrub(value))
    if cell.outcome.breaks_contract:
        first = cell.diagnosis.title if cell.diagnosis else cell.outcome.value.replace("_", " ")
        failure = ET.SubElement(case, "failure", message=scrub(first), type=cell.outcome.value)
        failure.text = scrub(_message(cell))
    elif cell.outcome in (Outcome.INCONCLUSIVE, Outcome.SKIPPED):
        skipped = ET.SubElement(case, "skipped", message=scrub(_message(cell).splitlines()[0]))
        skipped.text = scrub(_message(cell))
    return case


def render_junit(run: RunResult) -> str:
    counts = run.counts()
    failures = counts[Outcome.UNEXPECTED_ALLOW.value] + counts[Outcome.UNEXPECTED_DENY.value]
    skipped = counts[Outcome.INCONCLUSIVE.value] + counts[Outcome.SKIPPED.value]
    total_s = sum(c.observation.latency_ms for c in run.cells if c.observation) / 1000
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="dg-entitlements",
        tests=str(len(run.cells)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{total_s:.3f}",
        timestamp=run.started_at,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("mode", run.mode),
        ("status", run.status),
        ("headline", run.headline),
        ("complete", str(run.complete).lower()),
    ):
        if value:
            ET.SubElement(props, "property", name=name, value=scrub(value))
    for cell in run.cells:
        suite.append(_case(cell))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
