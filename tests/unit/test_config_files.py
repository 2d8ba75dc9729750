"""Catalogue and accounts: the shipped files load, and every way to get them wrong gives one clear
error naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from dg_entitlements.accounts import (
    check_against_catalogue,
    expectation_for,
    load_accounts,
    resolve_key,
)
from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.errors import ConfigError
from dg_entitlements.model import Verdict

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/dg_entitlements/data/catalogue.toml"
FAKE_ACCOUNTS = ROOT / "src/dg_entitlements/data/accounts-fake.toml"

MINIMAL_SURFACE = """
schema = 1
[surfaces.s]
transport = "http"
family = "stt"
method = "POST"
path = "/v1/listen"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_catalogue_has_every_required_combination() -> None:
    ids = {c.id for c in load_catalogue(CATALOGUE).combos}
    assert len(ids) >= 40
    for needed in ["listen-v1-rest::whisper-large", "listen-v1-ws::nova-2-phonecall",
                   "listen-v2-ws::flux-general-multi",
                   "speak-v1-ws::aura-2-celeste-es", "speak-v2-rest::flux-alexis-en", "speak-v2-ws::flux-alexis-en",
                   "read-v1-rest::summarize", "agent-v1-ws::converse", "models-v1::list", "projects-v1::list",
                   "project-models-v1::list", "project-keys-v1::list", "auth-grant-v1::grant",
                   "listen-v1-rest::flux-general-en", "listen-v2-ws::nova-3", "listen-v2-ws::flux-general-en+channels",
                   "listen-v1-ws::nova-3+topics", "speak-v2-rest::aura-2-thalia-en", "listen-v1-rest::nova-3-genral"]:
        assert needed in ids, needed


def test_query_never_carries_a_key_and_booleans_are_lower_case(tmp_path: Path) -> None:
    path = write(tmp_path, "c.toml", MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodel = "nova-3"\n'
                 'params = { smart_format = true, keyterm = ["a", "b"] }\n')
    combo = load_catalogue(path).combos[0]
    assert combo.query() == [("model", "nova-3"), ("smart_format", "true"), ("keyterm", "a"), ("keyterm", "b")]


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("schema = 1\n[surfaces.s\n", "", "TOML syntax error"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "nope"\nmodel = "x"\n', "combos[0].surface", "unknown surface"),
        (MINIMAL_SURFACE.replace('"http"', '"smtp"') + '[[combos]]\nsurface = "s"\nmodel = "x"\n',
         "surfaces.s.transport", "unknown transport"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodel = "x"\n[[combos]]\nsurface = "s"\nmodel = "x"\n',
         "combos[1]", "duplicate combination id"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodel = "x"\nexpect = "denied"\n', "combos[0].expect",
         "unknown verdict"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodel = 3\n', "combos[0].model", "expected a model name"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodel = "x"\nexpect = { status = "403", verdict = '
         '"not_entitled" }\n', "combos[0].expect.status", "not an HTTP status"),
        (MINIMAL_SURFACE + '[[combos]]\nsurface = "s"\nmodle = "x"\n', "combos[0]", "unknown field"),
    ],
)
def test_bad_catalogue_names_file_key_and_fix(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    err = info.value
    assert err.file == str(path)
    assert err.key == key
    assert fragment in err.problem
    assert err.fix
    assert str(path) in str(err) and "fix:" in str(err)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_catalogue(tmp_path / "absent.toml")


def test_layered_expectations() -> None:
    catalogue = load_catalogue(CATALOGUE)
    accounts = load_accounts(FAKE_ACCOUNTS)
    check_against_catalogue(accounts, catalogue)
    combos = catalogue.by_id()
    no_flux = accounts.get("payg-no-flux")
    no_credits = accounts.get("no-credits")
    # exact pattern
    exp = expectation_for(no_flux, combos["listen-v2-ws::flux-general-en"])
    assert (exp.verdict, exp.status) == (Verdict.NOT_ENTITLED, 403)
    # glob pattern
    assert expectation_for(no_flux, combos["listen-v1-rest::whisper-large"]).verdict is Verdict.NOT_ENTITLED
    # default for an account, with the surface's success status
    exp = expectation_for(no_flux, combos["listen-v1-ws::nova-3"])
    assert (exp.verdict, exp.status) == (Verdict.ENTITLED, 101)
    # a catalogue expectation is not overridden by a wildcard or the default
    exp = expectation_for(no_credits, combos["listen-v1-rest::flux-general-en"])
    assert (exp.verdict, exp.status) == (Verdict.WRONG_ENDPOINT, 400)
    assert expectation_for(no_credits, combos["listen-v1-rest::nova-3"]).verdict is Verdict.PAYMENT_REQUIRED


def test_an_exact_pattern_overrides_the_catalogue(tmp_path: Path) -> None:
    catalogue = load_catalogue(CATALOGUE)
    path = write(tmp_path, "a.toml", '[accounts.x]\nkey = "dgfake-x"\n[accounts.x.expect]\n'
                 '"listen-v1-rest::flux-general-en" = "entitled"\n"*::flux-general-en" = "not_entitled"\n')
    account = load_accounts(path).get("x")
    exp = expectation_for(account, catalogue.by_id()["listen-v1-rest::flux-general-en"])
    assert (exp.verdict, exp.status) == (Verdict.ENTITLED, 200)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[accounts.x]\nkey = "' + "ab12" * 10 + '"\n', "accounts.x.key", "looks like a real Deepgram key"),
        ('[accounts.x]\nkey = "k1-fake"\nkey_env = "X"\n', "accounts.x", "several key sources"),
        ('[accounts.x]\nkey_env = "X"\ndefault = "allowed"\n', "accounts.x.default", "unknown verdict"),
        ('[accounts.x]\nkey_env = "X"\nexpect = "nope"\n', "accounts.x.expect", "must be a table"),
        ('[accounts.x]\nkey_env = "X"\ncolour = "red"\n', "accounts.x", "unknown field"),
        ("schema = 1\n", "accounts", "no [accounts.<alias>]"),
    ],
)
def test_bad_accounts_name_file_key_and_fix(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    path = write(tmp_path, "acc.toml", text)
    with pytest.raises(ConfigError) as info:
        load_accounts(path)
    assert info.value.key == key and fragment in info.value.problem and info.value.fix


def test_pattern_matching_nothing_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "acc.toml", '[accounts.x]\nkey_env = "X"\n[accounts.x.expect]\n"listen-v3-*" = "entitled"\n')
    with pytest.raises(ConfigError, match="matches no combination"):
        check_against_catalogue(load_accounts(path), load_catalogue(CATALOGUE))


def test_missing_env_key_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "acc.toml", '[accounts.live]\nkey_env = "DG_TEST_ABSENT_KEY"\n')
    account = load_accounts(path).get("live")
    with pytest.raises(ConfigError) as info:
        resolve_key(account, env={})
    assert "DG_TEST_ABSENT_KEY is not set" in str(info.value)
    assert resolve_key(account, env={}, required=False) is None
    key = resolve_key(account, env={"DG_TEST_ABSENT_KEY": "dgfake-secret-value"})
    assert key is not None and "dgfake-secret-value" not in repr(key) + str(key)


def test_unknown_alias_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="payg-full"):
        load_accounts(FAKE_ACCOUNTS).get("prod")


def test_a_surface_family_outside_the_enum_is_one_line(tmp_path: Path) -> None:
    """Four modules branch on the family: a typo there must stop the load, not silently change verdicts."""
    text = MINIMAL_SURFACE.replace('family = "stt"', 'family = "sst"')
    path = write(tmp_path, "c.toml", text)
    with pytest.raises(ConfigError, match=r"surfaces\.s\.family: unknown family 'sst'"):
        load_catalogue(path)
