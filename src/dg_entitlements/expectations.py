"""`init`: an expectations file written from what a run observed (a snapshot, as snapshot-testing
plugins do), for a person to review and commit; later runs are the contract.

Per account: `default` is the verdict most combinations got, and `[expect]` names each combination
that got something else, exactly (never a wildcard, so nothing is over-generalised). Combinations
whose outcome the catalogue fixes for every account are left to the catalogue; cells that could not
be read are listed as comments to re-check, never frozen into the contract.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .config import Loaded, SuiteOptions
from .fsutil import atomic_write_text
from .model import Cell, RunResult, Verdict


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _value(cell: Cell) -> str:
    assert cell.judgement is not None and cell.observation is not None
    verdict = cell.judgement.verdict
    if verdict is Verdict.ENTITLED:
        return '"entitled"'
    return f'{{ status = {cell.observation.status}, verdict = "{verdict.value}" }}'


def render_expectations(loaded: Loaded, result: RunResult) -> str:
    lines = [
        f"# Written by `dg-entitlements init` from a {result.mode} run at {result.started_at}.",
        "# Review it: every line is what the account got, which the next runs will hold it to.",
        "",
        "schema = 1",
    ]
    for account in loaded.accounts.accounts:
        cells = [c for c in result.cells if c.account == account.alias]
        measured = [c for c in cells if c.judgement is not None and c.observation is not None
                    and not c.judgement.verdict.is_inconclusive and (c.combo is None or c.combo.expect is None)]
        counts = Counter(_value(c) for c in measured)
        default = counts.most_common(1)[0][0] if counts else '"entitled"'
        lines += ["", f"[accounts.{_toml_str(account.alias)}]"]
        if account.description:
            lines.append(f"description = {_toml_str(account.description)}")
        if account.key_env:
            lines.append(f"key_env = {_toml_str(account.key_env)}")
        elif account.key_file:
            lines.append(f"key_file = {_toml_str(account.key_file)}")
        elif account.literal_key:
            lines.append(f"key = {_toml_str(account.literal_key)}  # a fake key (a real one never goes in a file)")
        for name in ("base_url", "ws_base_url", "agent_base_url", "project_id"):
            if getattr(account, name):
                lines.append(f"{name} = {_toml_str(getattr(account, name))}")
        lines.append(f"default = {default}")
        different = [c for c in measured if _value(c) != default]
        unread = [c for c in cells if c.judgement is not None and c.judgement.verdict.is_inconclusive]
        if different or unread:
            lines += ["", f"[accounts.{_toml_str(account.alias)}.expect]"]
        lines += [f"{_toml_str(c.combo_id)} = {_value(c)}" for c in different]
        lines += [f"# {c.combo_id}: not measured ({c.judgement.verdict.value}); re-run init or add it by hand"
                  for c in unread if c.judgement is not None]
    return "\n".join(lines) + "\n"


def write_config(path: Path, options: SuiteOptions, accounts_file: Path) -> Path:
    """A `dg-entitlements.toml` beside the expectations, so the next `check` here uses them."""
    lines = ["# dg-entitlements configuration (flags override it). See the docs: configuration.",
             f"mode = {_toml_str(options.mode)}", f"accounts = {_toml_str(str(accounts_file))}"]
    if options.base_url:
        lines.append(f"base_url = {_toml_str(options.base_url)}")
    return atomic_write_text(path, "\n".join(lines) + "\n")
