"""The suite's configuration: one decoder from flags, a discovered file and the environment to types.

Users expect what pytest, ruff or mypy do: a configuration file found from the current directory
upward (`dg-entitlements.toml`, or `[tool.dg-entitlements]` in `pyproject.toml`), command-line flags
over it, and keys only from the environment or a key file. Every value is parsed once, here, into
`SuiteOptions`; `load` then reads and validates every input file before the first request, so a bad
value is one line (file, key, fix) and exit 2, never a failure half-way through a run.

Paths in a configuration file are relative to that file, so a CI job may run from any folder.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import defaults
from .accounts import Account, Accounts, check_against_catalogue, load_accounts, resolve_key
from .budget import Budget, parse_budget
from .catalogue import Catalogue, load_catalogue
from .errors import ConfigError
from .model import RunResult
from .probe.target import Target, target_from_base_url

MODES = ("fake", "live", "replay")
CONFIG_FILE = "dg-entitlements.toml"
PYPROJECT_TABLE = "tool.dg-entitlements"
# The run's bound (the machine); each account is also bounded by its project's stream limit
# (probe/limits.py, 50 by default), so a wide bound never overloads one project: the shipped matrix
# (3 accounts x 41 cells) runs every cell at once against the fake. Live stays narrow: a real
# account's limits are unknown and every probe costs.
DEFAULT_CONCURRENCY = {"fake": 128, "replay": 128, "live": 4}
# In live mode a run where more than this share of the probed cells could not be read (network,
# 429, 5xx, timeouts, middleboxes) says "too little measured" instead of judging the account.
DEFAULT_MAX_INCONCLUSIVE = 0.5
IMPLICIT_LIVE_ALIAS = "live"
IMPLICIT_LIVE_KEY_ENV = "DEEPGRAM_API_KEY"


@dataclass(frozen=True)
class OptionSpec:
    """One suite option: its flag, its type, its default and one line of help (the CLI and pytest
    register exactly these; the configuration file accepts the same names without `dg_`)."""

    name: str
    kind: type
    default: Any
    help: str
    is_path: bool = False
    flag_only: bool = False


OPTION_SPECS: tuple[OptionSpec, ...] = (
    OptionSpec("mode", str, "fake", "fake (embedded fake Deepgram), live (real Deepgram) or replay (cassettes)"),
    OptionSpec("base_url", str, None, "live: regional, dedicated or self-hosted base URL"),
    OptionSpec("accounts", str, None, "accounts + expectations TOML (default: shipped fake accounts; live: "
                                      "one account keyed by DEEPGRAM_API_KEY)", is_path=True),
    OptionSpec("catalogue", str, None, "combinations TOML (default: the shipped catalogue)", is_path=True),
    OptionSpec("fake_config", str, None, "what the embedded fake serves (default: shipped)", is_path=True),
    OptionSpec("fake_latency_ms", int, None, "latency the fake adds to every answer"),
    OptionSpec("concurrency", int, None, "probes at once (default: 4 live, 128 fake/replay)"),
    OptionSpec("record", bool, False, "write cassettes from this run (fake or live)"),
    OptionSpec("cassettes", str, "cassettes", "cassette folder", is_path=True),
    OptionSpec("baseline", str, None, "a previous run's JSON: report drift, fail on a loss", is_path=True),
    OptionSpec("controls", bool, True, "control probes for unexpected answers (they cost requests)"),
    OptionSpec("budget", str, None, "live cap: requests=N,audio=SECONDS,chars=N"),
    OptionSpec("report_dir", str, "reports", "where entitlements.{html,json} and junit.xml go", is_path=True),
    OptionSpec("max_cassette_age_days", int, 90, "warn past this cassette age"),
    OptionSpec("alias_project_ids", bool, False, "recording: stable stand-ins for project ids in cassettes"),
    OptionSpec("max_inconclusive", float, None, "live: share of unreadable cells above which the run is "
                                                "'too little measured' (default 0.5)"),
)
SPECS = {spec.name: spec for spec in OPTION_SPECS}


@dataclass(frozen=True)
class SuiteOptions:
    """Every option, typed and resolved (flags over the configuration file over the defaults)."""

    mode: str = "fake"
    base_url: str | None = None
    accounts: str | None = None
    catalogue: str | None = None
    fake_config: str | None = None
    fake_latency_ms: int | None = None
    concurrency: int | None = None
    record: bool = False
    cassettes: str = "cassettes"
    baseline: str | None = None
    controls: bool = True
    budget: str | None = None
    report_dir: str = "reports"
    max_cassette_age_days: int = 90
    alias_project_ids: bool = False
    max_inconclusive: float | None = None
    root: str = "."  # relative paths resolve from here (the configuration file's folder, or the cwd)
    config_file: str | None = None  # where the configuration came from, for messages

    def path(self, value: str | os.PathLike[str]) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else Path(self.root) / p

    @property
    def catalogue_file(self) -> Path:
        return self.path(self.catalogue) if self.catalogue else defaults.CATALOGUE

    @property
    def fake_config_file(self) -> Path:
        return self.path(self.fake_config) if self.fake_config else defaults.FAKE_CONFIG

    @property
    def accounts_file(self) -> Path | None:
        """None in live mode with no accounts file: one implicit account keyed by DEEPGRAM_API_KEY."""
        if self.accounts:
            return self.path(self.accounts)
        return None if self.mode == "live" else defaults.FAKE_ACCOUNTS

    @property
    def effective_concurrency(self) -> int:
        return self.concurrency or DEFAULT_CONCURRENCY[self.mode]

    @property
    def inconclusive_limit(self) -> float:
        if self.max_inconclusive is not None:
            return self.max_inconclusive
        return DEFAULT_MAX_INCONCLUSIVE if self.mode == "live" else 0.0


# ------------------------------------------------------------------------------ discovery + decoding


def discover(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest `dg-entitlements.toml`, or `pyproject.toml` with `[tool.dg-entitlements]`, from
    `start` upward; None when there is none (the shipped defaults apply)."""
    for folder in (start, *start.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, _read(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _read(pyproject).get("tool", {}).get("dg-entitlements")
            if isinstance(table, dict):
                return pyproject, table
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"TOML syntax error: {exc}", "correct the TOML syntax") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}", "make it a readable file") from None


def decode(name: str, value: Any, where: str) -> Any:
    """One decoder for every option, whatever its origin (flag text or TOML value)."""
    spec = SPECS.get(name)
    if spec is None:
        raise ConfigError(where, name, "unknown option", f"use one of: {', '.join(SPECS)}")
    if value is None:
        return None
    kind = spec.kind
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ConfigError(where, name, "not true or false", f"write {name} = true or false")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(where, name, "not a whole number", f"write e.g. {name} = 4")
        try:
            number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
        except ValueError:
            raise ConfigError(where, name, "not a whole number", f"write e.g. {name} = 4") from None
        if number < (1 if name == "concurrency" else 0) or number > 1_000_000:
            raise ConfigError(where, name, f"{number} is out of range",
                              "use a number of at least 1" if name == "concurrency" else "use a number >= 0")
        return number
    if kind is float:
        try:
            share = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            share = math.nan
        if not 0.0 <= share <= 1.0:
            raise ConfigError(where, name, "not a share between 0 and 1", f"write e.g. {name} = 0.5")
        return share
    if not isinstance(value, str):
        raise ConfigError(where, name, f"expected text, got {type(value).__name__}", f'write {name} = "..."')
    if name == "mode" and value not in MODES:
        raise ConfigError(where, name, f"unknown mode {value!r}", f"use one of: {', '.join(MODES)}")
    if "\x00" in value or len(value) > 4096:
        raise ConfigError(where, name, "not a usable value", "give a short path or value")
    return value


def resolve_options(flags: Mapping[str, Any], cwd: Path, env: Mapping[str, str] | None = None) -> SuiteOptions:
    """Flags (None = not given) over the discovered configuration file over the defaults."""
    found = discover(cwd.resolve())
    values: dict[str, Any] = {}
    root = cwd
    config_file = None
    if found is not None:
        path, table = found
        where = str(path) + (f" [{PYPROJECT_TABLE}]" if path.name == "pyproject.toml" else "")
        config_file = where
        root = path.parent
        for name, raw in table.items():
            values[name] = decode(name, raw, where)
            spec = SPECS[name]
            if spec.is_path and values[name] is not None:
                values[name] = str((root / values[name]) if not Path(values[name]).is_absolute() else values[name])
    for name, raw in flags.items():
        if raw is not None:
            value = decode(name, raw, f"--dg-{name.replace('_', '-')}")
            if SPECS[name].is_path:
                value = str(Path(cwd) / value) if not Path(value).is_absolute() else value
            values[name] = value
    known = {f.name for f in fields(SuiteOptions)}
    resolved = {k: v for k, v in values.items() if k in known and v is not None}
    return SuiteOptions(**resolved, root=str(cwd), config_file=config_file)


# ------------------------------------------------------------------------------------ the inputs


@dataclass(frozen=True)
class Loaded:
    """Every input read and validated once, before anything is probed."""

    options: SuiteOptions
    catalogue: Catalogue
    accounts: Accounts
    budget: Budget | None = None
    baseline: RunResult | None = None
    notes: tuple[str, ...] = field(default=())
    base_target: Target | None = None  # --dg-base-url, parsed once (modes uses it, never the string)


def implicit_live_accounts() -> Accounts:
    """Live mode with no accounts file: the key in DEEPGRAM_API_KEY, expected to be entitled."""
    account = Account(alias=IMPLICIT_LIVE_ALIAS, key_env=IMPLICIT_LIVE_KEY_ENV,
                      description="the key in DEEPGRAM_API_KEY", source=f"(implicit: {IMPLICIT_LIVE_KEY_ENV})")
    return Accounts(accounts=(account,), source=account.source)


def load(options: SuiteOptions) -> Loaded:
    """Read and validate every input the options name: catalogue, accounts, budget, base URL, baseline."""
    catalogue = load_catalogue(options.catalogue_file)
    accounts_file = options.accounts_file
    accounts = load_accounts(accounts_file) if accounts_file is not None else implicit_live_accounts()
    check_against_catalogue(accounts, catalogue)
    base_target = target_from_base_url(options.base_url) if options.base_url else None
    if options.record and options.mode == "replay":
        raise ConfigError("--dg-record", "--dg-mode replay", "cannot record while replaying",
                          "record with --dg-mode fake or --dg-mode live")
    baseline = None
    if options.baseline:
        from .report.json import read_json

        baseline = read_json(options.path(options.baseline))
    return Loaded(options, catalogue, accounts, parse_budget(options.budget), baseline, base_target=base_target)


def check_keys(loaded: Loaded) -> None:
    """Live runs need every key up front: one clear line, never a silent skip."""
    if loaded.options.mode == "live":
        for account in loaded.accounts.accounts:
            resolve_key(account)

