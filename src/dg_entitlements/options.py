"""The suite's options, shared by the pytest plugin and the CLI so both accept exactly the same flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import defaults

MODES = ("fake", "live", "replay")
DEFAULT_CATALOGUE = "src/dg_entitlements/data/catalogue.toml"
DEFAULT_FAKE_CONFIG = "src/dg_entitlements/data/fake-deepgram.toml"
DEFAULT_CASSETTES = "fixtures/cassettes"
DEFAULT_ACCOUNTS = {"fake": "src/dg_entitlements/data/accounts-fake.toml", "live": "fixtures/accounts/live.toml",
                    "replay": "src/dg_entitlements/data/accounts-fake.toml"}
DEFAULT_CONCURRENCY = {"fake": 128, "replay": 128, "live": 4}


@dataclass(frozen=True)
class SuiteOptions:
    mode: str = "fake"
    base_url: str | None = None
    accounts: str | None = None
    catalogue: str = DEFAULT_CATALOGUE
    fake_config: str = DEFAULT_FAKE_CONFIG
    fake_latency_ms: int | None = None
    concurrency: int | None = None
    record: bool = False
    cassettes: str = DEFAULT_CASSETTES
    baseline: str | None = None
    controls: bool = True
    budget: str | None = None
    report_dir: str = "reports"
    max_cassette_age_days: int = 90
    alias_project_ids: bool = False
    root: str = "."

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else Path(self.root) / p

    @property
    def accounts_file(self) -> Path:
        return self.path(self.accounts or DEFAULT_ACCOUNTS[self.mode])

    @property
    def effective_concurrency(self) -> int:
        return self.concurrency or DEFAULT_CONCURRENCY[self.mode]


def add_options(group: Any) -> None:
    """Register the options on a pytest option group (argparse-like `addoption`)."""
    group.addoption("--dg-mode", choices=MODES, default="fake",
                    help="fake (embedded fake Deepgram, default), live (real Deepgram), replay (cassettes)")
    group.addoption("--dg-base-url", default=None,
                    help="live: regional, dedicated or self-hosted base URL, e.g. https://api.eu.deepgram.com")
    group.addoption("--dg-accounts", default=None, help="accounts + expectations TOML (default per mode)")
    group.addoption("--dg-catalogue", default=DEFAULT_CATALOGUE, help="combinations TOML")
    group.addoption("--dg-fake-config", default=DEFAULT_FAKE_CONFIG, help="what the embedded fake serves")
    group.addoption("--dg-fake-latency-ms", type=int, default=None,
                    help="latency the fake adds to every answer")
    group.addoption("--dg-concurrency", type=int, default=None,
                    help="probes at once (default: 4 live, 128 fake/replay)")
    group.addoption("--dg-record", action="store_true", help="write cassettes from this run (fake or live)")
    group.addoption("--dg-cassettes", default=DEFAULT_CASSETTES, help="cassette folder")
    group.addoption("--dg-baseline", default=None, help="a previous run's JSON: report drift, fail on a loss")
    group.addoption("--dg-no-controls", action="store_true", help="no control probes (they cost requests)")
    group.addoption("--dg-budget", default=None, help="live cap: requests=N,audio=SECONDS,chars=N")
    group.addoption("--dg-report-dir", default="reports", help="where entitlements.json is written")
    group.addoption("--dg-max-cassette-age-days", type=int, default=90, help="warn past this cassette age")
    group.addoption("--dg-alias-project-ids", action="store_true",
                    help="recording: replace project ids in cassettes by stable per-account stand-ins")


def options_from_namespace(ns: Any, root: str) -> SuiteOptions:
    """From parsed options: pytest's `config.option` and the CLI's argparse namespace share the dests."""
    return SuiteOptions(
        mode=ns.dg_mode, base_url=ns.dg_base_url, accounts=ns.dg_accounts, catalogue=ns.dg_catalogue,
        fake_config=ns.dg_fake_config, fake_latency_ms=ns.dg_fake_latency_ms, concurrency=ns.dg_concurrency,
        record=ns.dg_record, cassettes=ns.dg_cassettes, baseline=ns.dg_baseline, controls=not ns.dg_no_controls,
        budget=ns.dg_budget, report_dir=ns.dg_report_dir, max_cassette_age_days=ns.dg_max_cassette_age_days,
        alias_project_ids=ns.dg_alias_project_ids, root=root,
    )


def options_from_pytest(config: Any) -> SuiteOptions:
    return options_from_namespace(config.option, str(config.rootpath))
