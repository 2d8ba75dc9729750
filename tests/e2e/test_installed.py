"""The tool as a new user gets it: a wheel built from the repository, installed into a fresh virtual
environment, run from an empty folder far from the checkout (no fixtures/, no tests/contract, no
repository configuration). Every command a user runs first must work there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAYG_FULL_KEY = "dgfake-payg-full-k1"  # a fake key of the shipped fake server config


@dataclass(frozen=True)
class Installed:
    bin: Path
    home: Path  # an empty folder outside the repository

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM", "PYTEST", "DG_"))}
        base.update(env or {})
        return subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=cwd or self.home, capture_output=True,
                              text=True, timeout=timeout, env=base)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("installed")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("dg_entitlements-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-c", str(ROOT / "constraints.txt"), str(wheel)], check=True, capture_output=True, timeout=600)
    home = work / "empty"
    home.mkdir()
    return Installed(venv / "bin", home)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[int]:
    """`dg-entitlements serve` from the installed tool, on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen([str(installed.bin / "dg-entitlements"), "serve", "--port", str(port)],
                            cwd=installed.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_version_and_help(installed: Installed) -> None:
    version = installed.run("dg-entitlements", "--version")
    assert version.returncode == 0 and re.fullmatch(r"dg-entitlements \d+\.\d+\.\d+\n", version.stdout)
    helptext = installed.run("dg-entitlements", "--help").stdout
    for command in ("check", "init", "explain", "proxy", "serve", "render", "diff", "history"):
        assert re.search(rf"^  {command} +\S", helptext, re.M), command
    module = installed.run("python", "-m", "dg_entitlements", "--version")
    assert module.returncode == 0 and module.stdout == version.stdout


def test_check_in_an_empty_folder_writes_the_reports(installed: Installed) -> None:
    result = installed.run("dg-entitlements", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("entitlements.html", "entitlements.json", "junit.xml"):
        assert (installed.home / "reports" / name).stat().st_size > 0
    assert "Contract kept: 123 cells as expected" in result.stdout


def test_explain_names_the_key_in_the_url_and_never_prints_it(installed: Installed, served: int) -> None:
    canary = "".join(f"{(i * 7) % 16:x}" for i in range(40))  # 40 hex: shaped like a real key
    url = f"ws://127.0.0.1:{served}/v2/listen?model=flux-general-en&api_key={canary}"
    result = installed.run("dg-entitlements", "explain", url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "`api_key`" in result.stdout and "Authorization: Token <your key>" in result.stdout
    assert canary not in result.stdout + result.stderr
    assert canary.upper() not in result.stdout.upper()


def test_live_mode_with_only_the_environment_key(installed: Installed, served: int) -> None:
    """No accounts file: one implicit account keyed by DEEPGRAM_API_KEY, against any base URL."""
    result = installed.run("dg-entitlements", "check", "--dg-mode", "live", "--dg-base-url",
                           f"http://127.0.0.1:{served}", "--dg-report-dir", "live-reports",
                           env={"DEEPGRAM_API_KEY": PAYG_FULL_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contract kept: 41 cells as expected" in result.stdout
    assert PAYG_FULL_KEY not in (installed.home / "live-reports" / "entitlements.json").read_text()


def test_nothing_listening_is_never_green(installed: Installed) -> None:
    before = installed.home / "dead-reports"
    result = installed.run("dg-entitlements", "check", "--dg-mode", "live", "--dg-base-url",
                           f"http://127.0.0.1:{free_port()}", "--dg-report-dir", str(before), "-k", "nova-3",
                           env={"DEEPGRAM_API_KEY": PAYG_FULL_KEY})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Nothing measured: no answer from Deepgram" in result.stdout


def test_live_without_a_key_is_one_line(installed: Installed) -> None:
    result = installed.run("dg-entitlements", "check", "--dg-mode", "live")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "DEEPGRAM_API_KEY" in result.stderr


def test_a_host_projects_pytest_html_report_is_not_retitled(installed: Installed) -> None:
    host = installed.home / "host"
    host.mkdir()
    (host / "test_app.py").write_text("def test_app():\n    assert 1 + 1 == 2\n")
    result = installed.run("python", "-m", "pytest", "-q", "--html=host.html", "-p", "no:cacheprovider", cwd=host)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout  # the suite added no items of its own
    page = (host / "host.html").read_text()
    assert re.search(r"<title[^>]*>host\.html</title>", page)
    assert "Deepgram entitlement report" not in page
    assert not (host / "reports").exists()


def test_init_writes_expectations_the_next_run_keeps(installed: Installed, served: int) -> None:
    project = installed.home / "project"
    project.mkdir()
    env = {"DEEPGRAM_API_KEY": "dgfake-payg-no-flux-k1"}  # lacks Flux and Whisper: not "entitled" everywhere
    base = ["--dg-mode", "live", "--dg-base-url", f"http://127.0.0.1:{served}"]
    first = installed.run("dg-entitlements", "check", *base, cwd=project, env=env)
    assert first.returncode == 1, "the implicit expectation (entitled everywhere) must break on this account"
    init = installed.run("dg-entitlements", "init", *base, cwd=project, env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    written = (project / "dg-accounts.toml").read_text()
    assert '"listen-v2-ws::flux-general-en" = { status = 403, verdict = "not_entitled" }' in written
    assert 'key_env = "DEEPGRAM_API_KEY"' in written and "dgfake" not in written
    again = installed.run("dg-entitlements", "check", "--dg-base-url", f"http://127.0.0.1:{served}", cwd=project,
                          env=env)
    assert again.returncode == 0, again.stdout + again.stderr
