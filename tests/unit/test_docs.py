"""The docs cannot drift from the code: links resolve, options, commands, exit codes and causes match.

The README once said one default concurrency while the code used another; these checks make that kind
of drift a failing test instead of a surprise. Expected text is built from the code (OPTION_SPECS,
COMMANDS, the exit-code constants, the diagnosis causes), never copied from the docs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dg_entitlements import errors
from dg_entitlements.cli import COMMANDS
from dg_entitlements.config import DEFAULT_CONCURRENCY, OPTION_SPECS, OptionSpec
from dg_entitlements.diagnosis import SEVERITY
from dg_entitlements.model import Outcome, Verdict

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def option_row(spec: OptionSpec) -> str:
    """The row docs/cli.md must carry for one suite option (flag, default, help: all from the code)."""
    flag = spec.name.replace("_", "-")
    if spec.kind is bool and spec.default is True:
        return f"| `--dg-no-{flag}` | {flag} on | no {spec.help} |"
    if spec.kind is bool:
        return f"| `--dg-{flag}` | off | {spec.help} |"
    default = "—" if spec.default is None else f"`{spec.default}`"
    return f"| `--dg-{flag} {spec.name.upper()}` | {default} | {spec.help} |"


def relative_links(path: Path) -> list[str]:
    return [t for t in LINK.findall(_text(path)) if not re.match(r"[a-z]+:|#", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_points_to_an_existing_file(page: Path) -> None:
    missing = [t for t in relative_links(page) if not (page.parent / t.split("#", 1)[0]).exists()]
    assert missing == [], f"{page.name} links to missing files: {missing}"


def test_the_link_check_sees_links() -> None:
    """Guards the regex: the README links into docs/, so an empty list means the check checks nothing."""
    assert any(t.startswith("docs/") for t in relative_links(ROOT / "README.md"))


def test_every_suite_option_is_documented_with_its_code_default() -> None:
    cli = _text(ROOT / "docs" / "cli.md")
    missing = [option_row(s) for s in OPTION_SPECS if option_row(s) not in cli.splitlines()]
    assert missing == [], "docs/cli.md lacks (or has a stale) row:\n" + "\n".join(missing)


def test_no_page_names_an_option_the_code_does_not_have() -> None:
    known = {f"--dg-{s.name.replace('_', '-')}" for s in OPTION_SPECS}
    known |= {f"--dg-no-{s.name.replace('_', '-')}" for s in OPTION_SPECS if s.kind is bool}
    known.add("--dg")
    for page in PAGES:
        named = set(re.findall(r"--dg(?:-[a-z]+)*", _text(page)))
        assert named <= known, f"{page.name} names unknown options {sorted(named - known)}"


def test_the_concurrency_defaults_are_the_codes() -> None:
    cli = _text(ROOT / "docs" / "cli.md")
    for mode, n in DEFAULT_CONCURRENCY.items():
        assert f"| {mode} | {n} |" in cli, f"docs/cli.md: the concurrency table must say {mode} = {n}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section(command: str) -> None:
    assert f"## `dg-entitlements {command}" in _text(ROOT / "docs" / "cli.md")


@pytest.mark.parametrize("page", ["README.md", "docs/cli.md"])
def test_exit_codes_are_the_codes(page: str) -> None:
    text = _text(ROOT / page)
    for name in ("EXIT_OK", "EXIT_CONTRACT_BROKEN", "EXIT_USAGE", "EXIT_NOTHING_MEASURED", "EXIT_INTERNAL",
                 "EXIT_INTERRUPTED"):
        assert f"| {getattr(errors, name)} |" in text, f"{page}: no exit-code row for {name}"


def test_run_result_page_names_every_verdict_outcome_and_cause() -> None:
    text = _text(ROOT / "docs" / "run-result.md")
    names = [v.value for v in Verdict] + [o.value for o in Outcome] + sorted(SEVERITY)
    missing = [n for n in names if f"`{n}`" not in text]
    assert missing == [], f"docs/run-result.md does not describe: {missing}"


def test_the_readme_stays_short() -> None:
    assert len(_text(ROOT / "README.md")) < 12_000, "the README is the entry point: put reference text in docs/"
