"""pytest as a thin shell: options, one test per (account, combination), one probing step, reports.

Collection parametrizes every test that asks for `dg_cell`. Before the test loop starts, one
session step probes exactly the selected cells at once (so `-k flux` probes only Flux); each test
then asserts on its stored cell. Reports are written at session end, also for an interrupted run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from .errors import ConfigError
from .model import Cell, Outcome, RunResult
from .options import SuiteOptions, add_options, options_from_pytest

STATE_KEY = pytest.StashKey["SuiteState"]()


@dataclass
class SuiteState:
    options: SuiteOptions
    loaded: Any = None  # modes.Loaded, loaded lazily: unit-test-only runs never read the catalogue
    result: RunResult | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    error: str | None = None
    probed: bool = False


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser.getgroup("dg-entitlements", "Deepgram entitlement contract suite"))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[STATE_KEY] = SuiteState(options_from_pytest(config))


def _state(config: pytest.Config) -> SuiteState:
    return config.stash[STATE_KEY]


def _loaded(config: pytest.Config) -> Any:
    from .modes import load

    state = _state(config)
    if state.loaded is None:
        try:
            state.loaded = load(state.options)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    return state.loaded


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dg_cell" not in metafunc.fixturenames:
        return
    from .modes import all_pairs

    pairs = all_pairs(_loaded(metafunc.config))
    metafunc.parametrize("dg_cell", [f"{a}::{c}" for a, c in pairs], ids=[f"{a}::{c}" for a, c in pairs],
                         indirect=True)


def _selected_pairs(session: pytest.Session) -> list[tuple[str, str]]:
    pairs = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "dg_cell" in callspec.params:
            alias, _, combo_id = str(callspec.params["dg_cell"]).partition("::")
            pairs.append((alias, combo_id))
    return list(dict.fromkeys(pairs))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail before any probe when a live run has no key: one clear line, non-zero exit."""
    if not _selected_pairs(session):
        return
    from .modes import check_keys

    try:
        check_keys(_loaded(session.config))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    pairs = _selected_pairs(session)
    if pairs and not session.config.option.collectonly:
        _probe(session, pairs)
    yield


def _probe(session: pytest.Session, pairs: list[tuple[str, str]]) -> None:
    from .modes import build_plan, open_mode
    from .pipeline import Interrupted, run_sync

    state = _state(session.config)
    loaded = _loaded(session.config)
    aliases = sorted({a for a, _ in pairs})
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"dg-entitlements: probing {len(pairs)} cells for {len(aliases)} account(s) "
                            f"in {state.options.mode} mode...")
    try:
        with open_mode(loaded, pairs) as env:
            plan = build_plan(loaded, pairs, env)
            try:
                result = run_sync(plan, on_cell=_checkpointer(state, plan))
            except Interrupted as exc:
                _store(state, exc.partial, env.cassette_info)
                raise KeyboardInterrupt from None
            _store(state, result, env.cassette_info)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


CHECKPOINT_EVERY_S = 1.0


def _checkpointer(state: SuiteState, plan: Any) -> Any:
    """Write the run so far, marked incomplete, at most once a second while probing: even a worker
    killed with SIGKILL leaves a valid JSON of what finished (written atomically, never half)."""
    import time

    from .pipeline import result_from_state
    from .report.json import write_json

    out = state.options.path(state.options.report_dir) / "entitlements.json"
    last = [0.0]

    def on_cell(run_state: Any) -> None:
        now = time.monotonic()
        if now - last[0] < CHECKPOINT_EVERY_S:
            return
        last[0] = now
        write_json(result_from_state(plan, run_state, complete=False, extra_notes=["checkpoint: run in progress"]),
                   out)

    return on_cell


def _store(state: SuiteState, result: RunResult, cassette_info: dict[str, Any]) -> None:
    if cassette_info:
        result = replace(result, cassettes=dict(cassette_info))
    if state.options.baseline:
        from .drift import compare
        from .report.json import read_json

        baseline = read_json(state.options.path(state.options.baseline))
        result = replace(result, drift=compare(baseline, result))
    state.result = result
    state.cells = {c.test_id: c for c in result.cells}
    state.probed = True


@pytest.fixture
def dg_cell(request: pytest.FixtureRequest) -> Cell:
    """The judged cell for this test's (account, combination)."""
    state = _state(request.config)
    cell = state.cells.get(str(request.param))
    if cell is None:
        pytest.fail(f"{request.param}: no result (the probing step did not run or was interrupted)", pytrace=False)
    return cell


def check_cell(cell: Cell) -> None:
    """The assertion of a contract test: one screen that says expected, got, Deepgram's words, the id."""
    from .outcomes import explain_mismatch

    if cell.outcome is Outcome.AS_EXPECTED:
        return
    if cell.outcome is Outcome.SKIPPED:
        pytest.skip(f"not probed: {cell.skipped_reason}")
    assert cell.judgement is not None and cell.observation is not None
    message = explain_mismatch(cell.expectation, cell.judgement, cell.observation)
    if cell.diagnosis is not None:
        message += f"\ndiagnosis: {cell.diagnosis.title}\nremedy: {cell.diagnosis.remedy}"
    if cell.outcome is Outcome.INCONCLUSIVE:
        pytest.skip(f"INCONCLUSIVE (not a verdict on the account): {message}")
    pytest.fail(f"{cell.outcome.value.upper().replace('_', ' ')}: {message}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state.result is None:
        return
    from .report.json import write_json

    out = state.options.path(state.options.report_dir) / "entitlements.json"
    write_json(state.result, out)
    if state.result.drift and any(d.change == "lost" for d in state.result.drift) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    state = _state(terminalreporter.config)
    if state.result is None:
        return
    from .report.terminal import render_summary

    text = render_summary(state.result, color=terminalreporter.isatty())
    report_dir = state.options.path(state.options.report_dir)
    terminalreporter.write_sep("=", "Deepgram entitlements")
    for line in text.splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"run result: {report_dir / 'entitlements.json'}")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[Any], summary: list[Any], postfix: list[Any],
                                session: pytest.Session) -> None:
    state = _state(session.config)
    if state.result is not None:
        from .report.html import render_matrix

        prefix.append(render_matrix(state.result))


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = "Deepgram entitlement report"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Every artifact passes the scrubber, including the ones pytest-html and junitxml wrote."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or not state.probed:
        return
    from .fsutil import atomic_write_text
    from .secrets import scrub

    candidates = [getattr(config.option, "htmlpath", None), getattr(config.option, "xmlpath", None)]
    for name in candidates:
        if not name:
            continue
        path = Path(name)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        clean = scrub(text)
        if clean != text:
            atomic_write_text(path, clean)
    sys.stdout.flush()
