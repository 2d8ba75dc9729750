"""Issue 11 items 3 and 4: a key from a file or the environment is checked, and never echoed.

Each case was reproduced on the old code: a byte-order mark or a zero-width space gave a traceback,
/dev/zero a MemoryError, a FIFO a hang, a 10 MB line was sent as a header, and a key pasted into
`key_env` or `key_file` was printed by the config error. Now each is one ConfigError naming the file
or variable, never its content.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dg_entitlements.accounts import Account, load_accounts, resolve_key
from dg_entitlements.errors import ConfigError
from dg_entitlements.keyfile import MAX_KEY_FILE_BYTES


def canary() -> str:
    return "".join("0123456789abcdef"[(i * 5 + 3) % 16] for i in range(40))  # 40 hex, built at run time


def key_file_account(path: Path) -> Account:
    return Account(alias="a", key_file=str(path), source="accounts.toml")


def test_a_clean_key_file_is_read_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"\xef\xbb\xbf  dgfake-file-k1 \r\n")
    key = resolve_key(key_file_account(path))
    assert key is not None and key.reveal() == "dgfake-file-k1"


@pytest.mark.parametrize("content", [
    "dgfake-a\u200b-k1",  # a zero-width space from a copy-paste
    "dgfake-a k1",  # a space inside
    "line-one\nline-two",  # two lines
    "dgfake-\u00e9-k1",  # non-ASCII
    "",  # empty
])
def test_a_bad_key_file_is_one_line_naming_the_file_not_the_content(tmp_path: Path, content: str) -> None:
    path = tmp_path / "key"
    path.write_text(content + "-" + canary()[:12] if content else "", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_key(key_file_account(path))
    text = str(err.value)
    assert str(path) in text and "\n" not in text
    assert canary()[:12] not in text and "line-one" not in text


def test_a_huge_key_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"a" * (MAX_KEY_FILE_BYTES + 1))
    with pytest.raises(ConfigError, match="larger than"):
        resolve_key(key_file_account(path))


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"\xff\xfe\x00\x80")
    with pytest.raises(ConfigError, match="not text"):
        resolve_key(key_file_account(path))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_not_a_key_file() -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        resolve_key(key_file_account(Path("/dev/zero")))


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        resolve_key(key_file_account(path))


def test_a_directory_or_missing_file_is_one_config_error(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "missing"):
        with pytest.raises(ConfigError) as err:
            resolve_key(key_file_account(path))
        assert str(path) in str(err.value)


@pytest.mark.parametrize("value", ["dgfake\u200b-env-k1", "a" * 5000, "two\nlines", "with space"])
def test_a_bad_key_in_the_environment_is_one_line_naming_the_variable(value: str) -> None:
    account = Account(alias="a", key_env="DG_TEST_KEY", source="accounts.toml")
    with pytest.raises(ConfigError) as err:
        resolve_key(account, env={"DG_TEST_KEY": value})
    assert "DG_TEST_KEY" in str(err.value) and value[:6] not in str(err.value).replace("DG_TEST_KEY", "")


def test_a_key_from_the_environment_is_trimmed() -> None:
    account = Account(alias="a", key_env="DG_TEST_KEY", source="accounts.toml")
    key = resolve_key(account, env={"DG_TEST_KEY": " dgfake-env-k1\n"})
    assert key is not None and key.reveal() == "dgfake-env-k1"


@pytest.mark.parametrize("field", ["key_env", "key_file", "base_url", "project_id"])
def test_a_key_pasted_into_a_field_is_refused_and_never_echoed(tmp_path: Path, field: str) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(f'[accounts.a]\n{field} = "{canary()}"\n')
    with pytest.raises(ConfigError) as err:
        load_accounts(path)
    assert canary()[:10] not in str(err.value) and canary().upper()[:10] not in str(err.value)


@pytest.mark.parametrize("literal", [" {k}", "{k}\\n", "{K}", "Token {k}", "Bearer {k}"])
def test_a_real_key_written_in_the_file_is_refused_however_pasted(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "accounts.toml"
    value = literal.format(k=canary(), K=canary().upper())
    path.write_text(f'[accounts.a]\nkey = "{value}"\n')
    with pytest.raises(ConfigError, match="looks like a real Deepgram key") as err:
        load_accounts(path)
    assert canary()[:10] not in str(err.value).lower()


def test_a_long_alias_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(f'[accounts.{"a" * 300}]\nkey_env = "X"\n')
    with pytest.raises(ConfigError) as err:
        load_accounts(path)
    assert "a" * 65 not in str(err.value)


def test_an_env_name_that_is_not_a_name_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.a]\nkey_env = "dgfake secret value"\n')
    with pytest.raises(ConfigError) as err:
        load_accounts(path)
    assert "dgfake secret" not in str(err.value)
