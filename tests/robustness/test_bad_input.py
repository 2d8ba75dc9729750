"""Issue 6 item 5: bad input gets exactly one clear line (file, key, fix) on stderr and exit code 2.

Why through the CLI: a traceback or a second line is what a CI log shows the user; only the real
entry point proves neither happens. The cases run concurrently in one fixture (each is a short
subprocess that fails before probing), and each test then reads its own case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dg_entitlements.defaults import CATALOGUE as CATALOGUE_PATH
from dg_entitlements.defaults import FAKE_ACCOUNTS as FAKE_ACCOUNTS_PATH
from dg_entitlements.defaults import FAKE_CONFIG as FAKE_CONFIG_PATH
from e2e.helpers import cli

from .kit import ROOT

CATALOGUE = (CATALOGUE_PATH).read_text(encoding="utf-8")
ACCOUNTS = (FAKE_ACCOUNTS_PATH).read_text(encoding="utf-8")
FAKE = (FAKE_CONFIG_PATH).read_text(encoding="utf-8")
N_COMBO_TABLES = CATALOGUE.count("[[combos]]")
NEXT = f"combos[{N_COMBO_TABLES}]"  # the key of a [[combos]] table appended to the shipped catalogue
REAL_LOOKING = "0123456789abcdef" * 2 + "01234567"


@dataclass(frozen=True)
class Case:
    """One bad input: the CLI arguments (built in a tmp dir) and what the one line must name."""

    args: Callable[[Path], list[str]]
    file: str  # a fragment of the file (or option) the line must name
    key: str  # a fragment of the key the line must name ("" for a file-level problem)
    env: dict[str, str] = field(default_factory=dict)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def catalogue_with(extra: str, name: str = "catalogue.toml") -> Callable[[Path], list[str]]:
    return lambda tmp: ["--dg-catalogue", str(_write(tmp, name, CATALOGUE + "\n" + extra))]


def accounts_with(extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["--dg-accounts", str(_write(tmp, "accounts.toml", ACCOUNTS + "\n" + extra))]


def fake_with(extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["--dg-fake-config", str(_write(tmp, "fake.toml", FAKE + "\n" + extra))]


def corrupt_cassette(file: str, text: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        cassettes = tmp / "cassettes"
        shutil.copytree(ROOT / "fixtures" / "cassettes", cassettes)
        (cassettes / "payg-full" / file).write_text(text, encoding="utf-8")
        return ["--dg-mode", "replay", "--dg-cassettes", str(cassettes)]
    return build


def half_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text[: len(text) // 2]


CASES: dict[str, Case] = {
    "catalogue-toml-syntax": Case(catalogue_with("[[combos]\nsurface = "), "catalogue.toml", ""),
    "unknown-surface": Case(catalogue_with('[[combos]]\nsurface = "listen-v9-rest"\nmodel = "nova-3"\n'),
                            "catalogue.toml", f"{NEXT}.surface"),
    "unknown-verdict-catalogue": Case(
        catalogue_with('[[combos]]\nsurface = "listen-v1-rest"\nmodel = "zz-x"\nexpect = "not_alowed"\n'),
        "catalogue.toml", f"{NEXT}.expect"),
    "unknown-verdict-accounts": Case(accounts_with('[accounts.payg-full.expect]\n"listen-v1-rest::nova-3" = "nope"\n'),
                                     "accounts.toml", "accounts.payg-full.expect"),
    "wrong-type-catalogue": Case(catalogue_with('[[combos]]\nsurface = "listen-v1-rest"\nmodels = "nova-3"\n'),
                                 "catalogue.toml", f"{NEXT}.models"),
    "wrong-type-surface": Case(catalogue_with('[surfaces.extra]\ntransport = "http"\npath = 7\n'),
                               "catalogue.toml", "surfaces.extra.path"),
    "wrong-type-accounts": Case(accounts_with("[accounts.typo]\nkey_env = 3\n"), "accounts.toml",
                                "accounts.typo.key_env"),
    "duplicate-ids": Case(catalogue_with('[[combos]]\nsurface = "listen-v1-rest"\nmodel = "nova-3"\n'),
                          "catalogue.toml", NEXT),
    "expectation-for-no-combination": Case(
        accounts_with('[accounts.payg-full.expect]\n"listen-v1-rest::nova-99" = "not_entitled"\n'),
        "accounts.toml", "listen-v1-rest::nova-99"),
    "missing-catalogue": Case(lambda tmp: ["--dg-catalogue", str(tmp / "nope.toml")], "nope.toml", ""),
    "missing-accounts": Case(lambda tmp: ["--dg-accounts", str(tmp / "nope-accounts.toml")], "nope-accounts.toml", ""),
    "missing-fake-config": Case(lambda tmp: ["--dg-fake-config", str(tmp / "nope-fake.toml")], "nope-fake.toml", ""),
    "fake-config-toml-syntax": Case(fake_with("[accounts.x\n"), "fake.toml", ""),
    "fake-config-bad-rate": Case(fake_with("[accounts.payg-full.faults]\nerror_rate_5xx = 2.0\n"), "fake.toml",
                                 "accounts.payg-full.faults.error_rate_5xx"),
    "fake-config-bad-status": Case(fake_with("[accounts.payg-full.faults]\nstatus_5xx = 404\n"), "fake.toml",
                                   "accounts.payg-full.faults.status_5xx"),
    "fake-config-unknown-fault": Case(fake_with("[accounts.payg-full.faults]\nflaky = true\n"), "fake.toml",
                                      "accounts.payg-full.faults"),
    "real-key-in-accounts": Case(accounts_with(f'[accounts.leak]\nkey = "{REAL_LOOKING}"\n'), "accounts.toml",
                                 "accounts.leak.key"),
    "real-key-in-fake-config": Case(
        fake_with(f'[accounts.leak]\nkey = "{REAL_LOOKING}"\nproject_id = "7d1c0a52-fa4e-4c3b-9e51-000000000999"\n'),
        "fake.toml", "accounts.leak.key"),
    "corrupt-cassette-ws": Case(corrupt_cassette("ws.json", half_of(ROOT / "fixtures/cassettes/payg-full/ws.json")),
                                "ws.json", ""),
    "corrupt-cassette-meta": Case(corrupt_cassette("meta.json", "{not json"), "meta.json", ""),
    "corrupt-cassette-http": Case(corrupt_cassette("http.yaml", "interactions: [\n  - {request: "), "http.yaml", ""),
    "bad-budget-number": Case(lambda tmp: ["--dg-budget", "requests=lots"], "--dg-budget", "requests"),
    "bad-budget-unit": Case(lambda tmp: ["--dg-budget", "gold=5"], "--dg-budget", "gold"),
    "bad-base-url": Case(lambda tmp: ["--dg-base-url", "ftp://api.deepgram.com"], "--dg-base-url", ""),
    "bad-concurrency": Case(lambda tmp: ["--dg-concurrency", "0"], "--dg-concurrency", ""),
    "live-without-key": Case(lambda tmp: ["--dg-mode", "live"], "DEEPGRAM_API_KEY", "key_env"),
    "live-accounts-without-key": Case(
        lambda tmp: ["--dg-mode", "live", "--dg-accounts", str(ROOT / "fixtures/accounts/live.toml")],
        "live.toml", "key_env"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every case once, four at a time (each is a short subprocess that stops before probing)."""
    base = tmp_path_factory.mktemp("bad-input")

    def run(name: str) -> subprocess.CompletedProcess[str]:
        tmp = base / name
        tmp.mkdir()
        args = ["check", *CASES[name].args(tmp), "--dg-report-dir", str(tmp / "reports")]
        return cli(*args, env=CASES[name].env, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_naming_file_key_and_fix(
        name: str, outcomes: dict[str, subprocess.CompletedProcess[str]]) -> None:
    case, proc = CASES[name], outcomes[name]
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:], proc.stdout[-2000:])
    assert len(lines) == 1, proc.stderr[-3000:]
    line = lines[0]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert case.file in line, line
    assert case.key in line, line
    assert "(fix: " in line, line


def test_the_cassette_fixture_is_intact() -> None:
    """The corrupt-cassette cases work on copies: the shipped cassettes stay valid JSON."""
    json.loads((ROOT / "fixtures/cassettes/payg-full/ws.json").read_text(encoding="utf-8"))
