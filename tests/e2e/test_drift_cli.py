"""Drift end to end: a lost entitlement against a baseline fails the run (exit 1) and `diff` says so.

The same alias is probed twice: first with a key that has Flux, then with one that has not, which
is what a project losing its Flux entitlement looks like from the outside.
"""

from __future__ import annotations

from pathlib import Path

from dg_entitlements.report.json import read_json

from .helpers import cli


def _accounts(tmp: Path, name: str, key: str) -> Path:
    path = tmp / name
    path.write_text(f'[accounts.prod]\nkey = "{key}"\ndefault = "entitled"\n'
                    '[accounts.prod.expect]\n"listen-v2-ws::flux-general-*" = "entitled"\n')
    return path


def test_lost_entitlement_fails_the_run_and_stands_first(tmp_path: Path) -> None:
    before = _accounts(tmp_path, "before.toml", "dgfake-payg-full-k1")
    after = _accounts(tmp_path, "after.toml", "dgfake-payg-no-flux-k1")
    first = cli("check", "--dg-accounts", str(before), "--dg-report-dir", str(tmp_path / "r1"), "-k", "listen-v2-ws")
    assert first.returncode == 0, first.stdout[-2000:]
    # The new run expects nothing about Flux, so only the baseline can tell that Flux was lost.
    after.write_text(after.read_text().replace('"listen-v2-ws::flux-general-*" = "entitled"',
                                               '"listen-v2-ws::flux-general-*" = "not_entitled"'))
    baseline = tmp_path / "r1" / "entitlements.json"
    second = cli("check", "--dg-accounts", str(after), "--dg-report-dir", str(tmp_path / "r2"), "-k", "listen-v2-ws",
                 "--dg-baseline", str(baseline))
    assert second.returncode == 1, second.stdout[-2000:]
    run = read_json(tmp_path / "r2" / "entitlements.json")
    lost = [d for d in run.drift if d.change == "lost"]
    assert {d.combo_id for d in lost} == {"listen-v2-ws::flux-general-en", "listen-v2-ws::flux-general-multi"}
    assert run.drift[0].change == "lost"
    html = (tmp_path / "r2" / "entitlements.html").read_text()
    assert html.index("flux-general-en") > 0 and "lost" in html.lower()

    diff = cli("diff", str(baseline), str(tmp_path / "r2" / "entitlements.json"))
    assert diff.returncode == 1 and "flux-general-en" in diff.stdout and "lost" in diff.stdout.lower()
    same = cli("diff", str(baseline), str(baseline))
    assert same.returncode == 0
