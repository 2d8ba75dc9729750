"""The shared TOML checks: one wording for the three config files, and never a pasted key in an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from dg_entitlements import decode
from dg_entitlements.accounts import load_accounts
from dg_entitlements.errors import ConfigError


@dataclass(frozen=True)
class Knobs:
    on: bool = True
    count: int = 3
    mode: Literal["a", "b"] = "a"


def test_a_string_that_may_be_a_key_is_never_shown() -> None:
    key_shaped = "ab" * 20  # built at run time: the shape of a real key
    with pytest.raises(ConfigError) as info:
        decode.typed(key_shaped, int, "f.toml", "accounts.x.stream_limit", "an integer")
    assert key_shaped not in str(info.value) and "not shown" in str(info.value)
    with pytest.raises(ConfigError) as info:
        decode.choice(key_shaped, ("api", "agent"), "f.toml", "surfaces.s.host", "host role")
    assert key_shaped not in str(info.value)


def test_a_short_wrong_value_is_shown_with_its_type() -> None:
    with pytest.raises(ConfigError, match=r"k: expected an integer from 1 to 10, got str '5'"):
        decode.number("5", "f.toml", "k", lo=1, hi=10, integer=True)
    with pytest.raises(ConfigError, match=r"k: expected true or false, got int 1"):
        decode.typed(1, bool, "f.toml", "k", "true or false")
    with pytest.raises(ConfigError, match=r"k: expected an integer from 1 to 10, got bool True"):
        decode.number(True, "f.toml", "k", lo=1, hi=10, integer=True)


@pytest.mark.parametrize(("raw", "where"), [({"on": "yes"}, "t.on"), ({"count": 1.5}, "t.count"),
                                            ({"count": -1}, "t.count"), ({"mode": "c"}, "t.mode"),
                                            ({"colour": 1}, "t")])
def test_a_dataclass_table_checks_every_field_by_its_default_and_choices(raw: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        decode.dataclass_table(Knobs, raw, "f.toml", "t")
    assert info.value.key == where and info.value.fix


def test_a_dataclass_table_returns_the_fields_given() -> None:
    assert decode.dataclass_table(Knobs, {"on": False, "mode": "b"}, "f.toml", "t") == {"on": False, "mode": "b"}


def test_the_accounts_file_uses_the_same_words(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[accounts.x]\nkey_env = "X"\nstream_limit = 0\n')
    with pytest.raises(ConfigError, match=r"accounts\.x\.stream_limit: 0 is out of range"):
        load_accounts(path)
