"""The CLI behaves as users expect of a command-line tool: markers and -m, JUnit one class per account,
configuration discovery, a progress line, colour choices, a closed pipe, an internal error's exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from dg_entitlements.cli import choose_color
from dg_entitlements.progress import Progress

BIN = Path(sys.executable).parent / "dg-entitlements"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM", "NO_COLOR", "DG_"))}
    base.update(env or {})
    return subprocess.run([str(BIN), *args], cwd=cwd, capture_output=True, text=True, timeout=240, env=base)


def test_catalogue_tags_are_markers_and_junit_has_a_class_per_account(tmp_path: Path) -> None:
    result = cli("check", "-m", "not unverified", "-k", "listen-v2-ws", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deselected" in result.stdout
    suite = ET.parse(tmp_path / "reports" / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert {c.get("classname") for c in cases} == {"payg-full", "payg-no-flux", "no-credits"}
    assert all("unverified" not in (c.get("name") or "") for c in cases)
    flux = next(c for c in cases
                if c.get("classname") == "payg-no-flux" and c.get("name", "").endswith("flux-general-en"))
    props = {p.get("name"): p.get("value") for p in flux.iter("property")}
    assert props["verdict"] == "not_entitled" and props["outcome"] == "as_expected" and props["request_id"]
    assert float(flux.get("time") or 0) > 0  # the probe's latency, not pytest's assertion time


def test_a_discovered_config_file_applies_and_flags_override_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dg-entitlements]\nreport_dir = "from-config"\n')
    sub = tmp_path / "deeper" / "still"
    sub.mkdir(parents=True)
    first = cli("check", "-k", "models-v1", cwd=sub)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "from-config" / "entitlements.json").is_file()  # relative to the config file
    second = cli("check", "-k", "models-v1", "--dg-report-dir", "flag-dir", cwd=sub)
    assert second.returncode == 0 and (sub / "flag-dir" / "entitlements.json").is_file()


def test_a_bad_config_value_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "dg-entitlements.toml").write_text('concurrency = "lots"\n')
    result = cli("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "dg-entitlements.toml: concurrency: not a whole number" in result.stderr


def test_selecting_nothing_leaves_the_last_reports_alone(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "entitlements.json").write_text("previous run")
    result = cli("check", "-k", "no-such-cell-anywhere", cwd=tmp_path)
    assert result.returncode == 3
    assert (reports / "entitlements.json").read_text() == "previous run"


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen([str(BIN), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader left before the first byte (as `| head -0` does)
    proc.wait(30)
    assert b"Traceback" not in proc.stderr.read()


def test_no_color_and_color_choice(tmp_path: Path) -> None:
    plain = cli("check", "-k", "models-v1", "--color=always", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" in plain.stdout  # an explicit choice wins over NO_COLOR
    auto = cli("check", "-k", "models-v1", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" not in auto.stdout
    assert choose_color("auto", True, {}) is True
    assert choose_color("auto", True, {"NO_COLOR": "1"}) is False  # a terminal, but the user said no
    assert choose_color("auto", False, {}) is False
    assert choose_color("never", True, {}) is False
    bad = cli("check", "--color=purple", cwd=tmp_path)
    assert bad.returncode == 2 and "--color" in bad.stderr


def test_the_progress_line_counts_per_account() -> None:
    from dg_entitlements.engine import CellFinished, RunStarted

    lines: list[str] = []
    progress = Progress(lines.append, tty=False)
    progress(RunStarted("fake", 4, {"a": 2, "b": 2}))

    class FakeCell:
        def __init__(self, account: str) -> None:
            self.account = account

    for i, account in enumerate(["a", "b", "a", "b"], start=1):
        progress(CellFinished(FakeCell(account), i, 4))  # type: ignore[arg-type]
    assert lines[0] == "dg-entitlements: probing 4 cells for 2 account(s) in fake mode"
    assert lines[-1] == "probed 4/4 (a 2/2, b 2/2)"


@pytest.mark.parametrize("argv", [["--version"], ["-V"]])
def test_version(argv: list[str], tmp_path: Path) -> None:
    result = cli(*argv, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("dg-entitlements ")


def test_check_loads_only_its_own_plugin_and_rewrites_nothing(tmp_path: Path) -> None:
    """`check` runs none of the host's tests, so the host's installed pytest plugins (this environment has
    pytest-asyncio, anyio's and pytest-html) are not loaded, and no module is rewritten for assertions:
    both only cost start-up (benchmarks/run.py, start-up)."""
    probe = ("import sys\nfrom dg_entitlements.cli import main\n"
             "code = main(['check', '-k', 'models-v1'])\n"
             "hosts = ('pytest_asyncio', 'anyio.pytest_plugin', 'pytest_html')\n"
             "loaded = sorted(m for m in hosts if m in sys.modules)\n"
             "rewritten = sorted(n for n, m in sys.modules.items() if n.startswith('dg_entitlements')\n"
             "                   and 'AssertionRewrit' in type(getattr(m, '__loader__', None)).__name__)\n"
             "print(code, loaded, rewritten)\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM", "DG_", "PYTEST_"))}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                            env=base)
    last = result.stdout.strip().splitlines()[-1]
    assert last == "0 [] []", result.stdout[-2000:] + result.stderr[-2000:]


def test_check_still_writes_pytest_html_s_report_when_asked_and_warns_of_nothing(tmp_path: Path) -> None:
    """`--html` needs pytest-html and its companions, which `check` does not load otherwise; neither way
    leaves a warning about the configuration it runs pytest with."""
    plain = cli("check", "-k", "models-v1", cwd=tmp_path)
    assert plain.returncode == 0 and "warning" not in plain.stdout.lower() and not plain.stderr, plain.stdout
    html = cli("check", "-k", "models-v1", f"--html={tmp_path / 'pytest.html'}", cwd=tmp_path)
    assert html.returncode == 0, html.stdout + html.stderr
    assert (tmp_path / "pytest.html").stat().st_size > 0 and not html.stderr
