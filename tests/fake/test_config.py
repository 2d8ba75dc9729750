"""Bad fake-server configuration fails at load time, naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_kit import FIXTURE_CONFIG, config

from dg_entitlements.errors import ConfigError
from dg_entitlements.fake import load_fake_config


def test_fixture_config_loads() -> None:
    cfg = load_fake_config(FIXTURE_CONFIG)
    assert [a.alias for a in cfg.accounts] == ["payg-full", "payg-no-flux", "no-credits"]
    no_flux = cfg.accounts[1]
    assert no_flux.role == "member" and no_flux.denied_models == ("flux-general-*", "whisper-*")
    assert cfg.server.idle_timeout_s == 10.0 and cfg.server.region == "global"


@pytest.mark.parametrize(("account", "key_part"), [
    ({"key": "0123456789abcdef" * 2 + "01234567"}, "acct.key"),
    ({"key": "0123456789ABCDEF0123456789ABCDEF01234567"}, "acct.key"),
    ({"key": "short"}, "acct.key"),
    ({"project_id": "not-a-uuid"}, "acct.project_id"),
    ({"role": "superuser"}, "acct.role"),
    ({"credits": "lots"}, "acct.credits"),
    ({"max_concurrent_streams": 0}, "acct.max_concurrent_streams"),
    ({"models": "nova-3"}, "acct.models"),
    ({"surprise": 1}, "accounts.acct"),
    ({"faults": {"error_rate_5xx": 1.5}}, "faults.error_rate_5xx"),
    ({"faults": {"status_5xx": 404}}, "faults.status_5xx"),
    ({"faults": {"never_answer": ["v1/listen"]}}, "faults.never_answer"),
    ({"faults": {"reset_handshake": "yes"}}, "faults.reset_handshake"),
    ({"faults": {"explode": True}}, "accounts.acct.faults"),
])
def test_bad_account_values(account: dict[str, Any], key_part: str) -> None:
    with pytest.raises(ConfigError) as info:
        config({"acct": account})
    assert key_part in info.value.key
    assert info.value.fix


@pytest.mark.parametrize(("server", "fidelity", "key"), [
    ({"region": "EU!"}, None, "server.region"),
    ({"idle_timeout_s": "ten"}, None, "server.idle_timeout_s"),
    ({"latency_ms": -1}, None, "server.latency_ms"),
    (None, {"flux_keepalive": "maybe"}, "fidelity.flux_keepalive"),
    (None, {"scope_denied_status": "403"}, "fidelity.scope_denied_status"),
    (None, {"no_such_choice": 1}, "fidelity"),
])
def test_bad_server_and_fidelity(server: dict[str, Any] | None, fidelity: dict[str, Any] | None, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        config(server=server, fidelity=fidelity)
    assert info.value.key.startswith(key)


def test_duplicate_keys_refused() -> None:
    with pytest.raises(ConfigError, match="same key"):
        config({"a": {}, "b": {"project_id": "7d1c0a52-fa4e-4c3b-9e51-0000000000bb"}})


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "fake.toml"
    bad.write_text("[accounts.x\n")
    with pytest.raises(ConfigError) as info:
        load_fake_config(bad)
    assert info.value.file == str(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_fake_config(tmp_path / "missing.toml")


@pytest.mark.parametrize("knob", ["keywords_on_nova3", "comma_joined_lists", "undecodable_stream_audio",
                                  "flux_keepalive", "jwt_on_manage"])
def test_every_choice_knob_refuses_an_unknown_value(knob: str) -> None:
    with pytest.raises(ConfigError, match=f"fidelity.{knob}: unknown value 'nope'"):
        config(fidelity={knob: "nope"})


@pytest.mark.parametrize("fidelity", [{"keyterm_max_tokens": -1}, {"keyterm_max_tokens": 1.5},
                                      {"flux_keyterm_max_chars": "100"}, {"keyterm_limit": 5}])
def test_new_vocabulary_knobs_are_validated(fidelity: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="fidelity"):
        config(fidelity=fidelity)
