"""pytest as a thin consumer of the engine: options, generated items, one probing step, reports.

The plugin makes its own test items (as pytest's doctest plugin does), one per (account,
combination), so no test file is needed anywhere. It stays inert in a host project unless it is
asked for (`--dg`, or any `--dg-*` option): it adds no items, writes no report and does not touch
the host's pytest-html title. Before the test loop, one engine run probes exactly the selected items
(`-k flux` probes only Flux, `-m "not unverified"` skips catalogue rows tagged unverified); each item
then asserts its cell, in one screen: expected, got, Deepgram's words, the request id, the diagnosis.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .config import OPTION_SPECS, Loaded, SuiteOptions, check_keys, load, resolve_options
from .errors import ConfigError
from .model import Cell, Combo, Outcome, RunResult

STATE_KEY = pytest.StashKey["SuiteState"]()
SUITE_NAME = "dg-entitlements"


@dataclass
class SuiteState:
    options: SuiteOptions
    active: bool
    loaded: Loaded | None = None
    result: RunResult | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    exit_code: int | None = None  # runstatus exit code, for the CLI


def add_options(group: Any) -> None:
    """`--dg` plus one `--dg-<name>` per suite option; defaults are None (= not given), so the
    discovered configuration file and the built-in defaults apply underneath."""
    group.addoption("--dg", action="store_true", default=False, help="run the Deepgram entitlement contract suite")
    for spec in OPTION_SPECS:
        flag = f"--dg-{spec.name.replace('_', '-')}"
        if spec.kind is bool and spec.default is True:
            group.addoption(f"--dg-no-{spec.name.replace('_', '-')}", dest=f"dg_{spec.name}", action="store_false",
                            default=None, help=f"no {spec.help}")
        elif spec.kind is bool:
            group.addoption(flag, dest=f"dg_{spec.name}", action="store_true", default=None, help=spec.help)
        else:
            default = f" (default: {spec.default})" if spec.default is not None else ""
            group.addoption(flag, dest=f"dg_{spec.name}", default=None, metavar=spec.name.upper(),
                            help=spec.help + default)


def flags_from(namespace: Any) -> dict[str, Any]:
    return {spec.name: getattr(namespace, f"dg_{spec.name}", None) for spec in OPTION_SPECS}


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser.getgroup("dg-entitlements", "Deepgram entitlement contract suite"))


def pytest_configure(config: pytest.Config) -> None:
    flags = flags_from(config.option)
    active = bool(config.getoption("dg", False)) or any(v is not None for v in flags.values())
    try:
        options = resolve_options(flags, Path(config.invocation_params.dir))
    except ConfigError as exc:
        if active:
            raise pytest.UsageError(str(exc)) from None
        options = SuiteOptions()
    config.stash[STATE_KEY] = SuiteState(options, active)
    config.addinivalue_line("markers", "dg_contract: a Deepgram entitlement contract cell (account x combination)")


def _state(config: pytest.Config) -> SuiteState:
    return config.stash[STATE_KEY]


def _loaded(config: pytest.Config) -> Loaded:
    state = _state(config)
    if state.loaded is None:
        try:
            state.loaded = load(state.options)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    return state.loaded


class ContractSuite(pytest.Collector):
    """The parent of the generated items (no file behind it)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []


class ContractCell(pytest.Item):
    """One (account, combination): asserts the cell the engine judged before the test loop."""

    def __init__(self, *, alias: str, combo: Combo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alias = alias
        self.combo = combo

    @property
    def pair(self) -> tuple[str, str]:
        return self.alias, self.combo.id

    def runtest(self) -> None:
        cell = _state(self.config).cells.get(f"{self.alias}::{self.combo.id}")
        if cell is None:
            pytest.fail(f"{self.name}: no result (the probing step did not run or was interrupted)", pytrace=False)
        check_cell(cell)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return SUITE_NAME, None, f"{self.alias}::{self.combo.id}"


def _marker_name(tag: str) -> str:
    return re.sub(r"\W", "_", tag)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the suite's items before `-k`/`-m` deselect (this hook runs before the mark plugin's)."""
    state = _state(config)
    if not state.active:
        return
    loaded = _loaded(config)
    suite = ContractSuite.from_parent(session, name=SUITE_NAME)
    tags = sorted({t for c in loaded.catalogue.combos for t in c.tags})
    for tag in tags:
        config.addinivalue_line("markers", f"{_marker_name(tag)}: catalogue tag {tag!r}")
    for account in loaded.accounts.accounts:
        for combo in loaded.catalogue.combos:
            item = ContractCell.from_parent(suite, name=f"{account.alias}::{combo.id}", alias=account.alias,
                                            combo=combo)
            item.add_marker(pytest.mark.dg_contract)
            for tag in combo.tags:
                item.add_marker(getattr(pytest.mark, _marker_name(tag)))
            item.extra_keyword_matches.update({account.alias, combo.surface.name, *(combo.tags)})
            items.append(item)


def _selected(session: pytest.Session) -> list[tuple[str, str]]:
    return list(dict.fromkeys(item.pair for item in session.items if isinstance(item, ContractCell)))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Every input is checked before the first request: keys, the report folder."""
    state = _state(session.config)
    if not state.active or not _selected(session):
        return
    from .outputs import check_report_dir

    try:
        check_keys(_loaded(session.config))
        check_report_dir(state.options.path(state.options.report_dir))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    pairs = _selected(session)
    if pairs and not session.config.option.collectonly:
        _probe(session, pairs)
    yield


def _probe(session: pytest.Session, pairs: list[tuple[str, str]]) -> None:
    from . import engine
    from .outputs import Checkpoint
    from .progress import Progress

    state = _state(session.config)
    loaded = _loaded(session.config)
    report_dir = state.options.path(state.options.report_dir)
    checkpoint = Checkpoint(report_dir)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    handlers: list[engine.Handler] = [engine.threaded(checkpoint)]
    if reporter is not None:
        handlers.append(Progress(reporter.write_line, tty=sys.stderr.isatty() and reporter.isatty()))
    try:
        result = engine.run(loaded, pairs, handlers)
    except engine.Interrupted as exc:
        _store(state, exc.partial, exc.status.exit_code)
        raise KeyboardInterrupt from None
    except ConfigError as exc:
        checkpoint.discard()
        raise pytest.UsageError(str(exc)) from None
    _store(state, result, None)


def _store(state: SuiteState, result: RunResult, exit_code: int | None) -> None:
    from .runstatus import run_status

    state.result = result
    state.cells = {c.test_id: c for c in result.cells}
    state.exit_code = exit_code if exit_code is not None else \
        run_status(result, state.options.inconclusive_limit).exit_code


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
        return  # probed nothing: the last reports stay as they were
    from .outputs import write_reports

    write_reports(state.result, state.options.path(state.options.report_dir))
    if state.result.drift and any(d.change == "lost" for d in state.result.drift) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    state = _state(terminalreporter.config)
    if state.result is None:
        return
    from .outputs import report_paths
    from .report.terminal import render_summary

    report_dir = state.options.path(state.options.report_dir)
    text = render_summary(state.result, color=terminalreporter.isatty(), reports=report_paths(report_dir))
    terminalreporter.write_sep("=", "Deepgram entitlements")
    if state.result.headline:
        terminalreporter.write_line(state.result.headline)
    for line in text.splitlines():
        terminalreporter.write_line(line)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[Any], summary: list[Any], postfix: list[Any],
                                session: pytest.Session) -> None:
    state = _state(session.config)
    if state.result is not None:
        from .report.html import render_matrix

        prefix.append(render_matrix(state.result))


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    """Only our own runs are retitled: a host project's pytest-html report keeps its title."""
    config = getattr(report, "_config", None) or getattr(report, "config", None)
    state = config.stash.get(STATE_KEY, None) if config is not None else None
    if state is not None and state.active:
        report.title = "Deepgram entitlement report"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Every artifact passes the scrubber, including the ones pytest-html and junitxml wrote."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.result is None:
        return
    from .fsutil import atomic_write_text
    from .secrets import scrub

    for name in (getattr(config.option, "htmlpath", None), getattr(config.option, "xmlpath", None)):
        if not name or not Path(name).is_file():
            continue
        text = Path(name).read_text(encoding="utf-8", errors="surrogateescape")
        clean = scrub(text)
        if clean != text:
            atomic_write_text(name, clean)
