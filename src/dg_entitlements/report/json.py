"""The run result as JSON: the one document the HTML report, the pytest layer, `diff` and CI read.

Why a hand-rolled (de)serialiser driven by the dataclass type hints rather than `dataclasses.asdict`:
`asdict` cannot come back (enums, tuples, nested dataclasses are lost), and re-rendering a report from
a saved JSON must give the same report, so the round trip has to be lossless. Walking the type hints
also lets a corrupt or incompatible file fail with one line naming the file, the JSON path and the fix
(`ConfigError`), instead of a `KeyError` traceback deep in the renderer.

A few read-only convenience keys (`counts`, `test_id`, `request_id`, ...) are written for people who
read the file with `jq`; they are derived from the other fields and ignored on read.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dg_entitlements import model
from dg_entitlements.errors import ConfigError
from dg_entitlements.fsutil import atomic_write_text
from dg_entitlements.model import SCHEMA_VERSION, RunResult
from dg_entitlements.secrets import scrub

# Derived, read-only keys written for readers of the file and dropped on read (see module docstring).
DERIVED: dict[type, tuple[str, ...]] = {
    model.RunResult: ("counts", "contract_broken"),
    model.Cell: ("test_id", "retried"),
    model.Observation: ("request_id", "tries", "dg_error"),
}


class _Invalid(Exception):
    """Internal: a value that does not fit its type; carries the JSON path for the one-line error."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# ------------------------------------------------------------------------------------------ to dict


def run_to_dict(run: RunResult) -> dict[str, Any]:
    """The run as plain JSON data: enums as their values, tuples as lists, dataclasses as objects."""
    out = _to_plain(run)
    assert isinstance(out, dict)
    return out


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in DERIVED.get(type(value), ()):
            attr = getattr(value, name)
            out[name] = _to_plain(attr() if callable(attr) else attr)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(_to_plain(v) for v in value)
    return value


# ---------------------------------------------------------------------------------------- from dict


def run_from_dict(d: Any, file: str = "<run result>") -> RunResult:
    """Rebuild a RunResult from `run_to_dict` output; anything that does not fit raises ConfigError.

    The schema version is checked first so a file from an incompatible tool version gets a message
    about versions, not about whichever field happened to change.
    """
    if not isinstance(d, dict):
        raise ConfigError(file, "", f"expected a JSON object at the top, got {_kind(d)}", _FIX_CORRUPT)
    version = d.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            file,
            "schema_version",
            f"schema version {version!r} is not supported (this tool reads version {SCHEMA_VERSION})",
            "re-run the suite with this version of dg-entitlements to produce a compatible file",
        )
    try:
        run = _from_plain(RunResult, d, "$")
    except _Invalid as exc:
        raise ConfigError(file, exc.where, exc.problem, _FIX_CORRUPT) from None
    assert isinstance(run, RunResult)
    return run


_FIX_CORRUPT = "the file is corrupt or was edited by hand: re-run the suite to write it again"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def _from_plain(tp: Any, value: Any, where: str) -> Any:
    """Convert JSON data to the type `tp` (a type hint), or raise _Invalid naming `where`."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:  # Optional[X]: report the error where it is, inside X
            return _from_plain(options[0], value, where)
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _from_plain(arg, value, where)
            except _Invalid as exc:
                errors.append(exc.problem)
        raise _Invalid(where, "; ".join(errors) or f"unexpected {_kind(value)}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise _Invalid(where, f"{value!r} is not one of {', '.join(repr(a) for a in args)}")
    if origin is tuple:
        if not isinstance(value, list):
            raise _Invalid(where, f"expected a list, got {_kind(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise _Invalid(where, f"expected {len(args)} items, got {len(value)}")
        return tuple(_from_plain(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid(where, f"expected an object, got {_kind(value)}")
        vt = args[1] if len(args) == 2 else Any
        return {k: _from_plain(vt, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise _Invalid(where, f"{value!r} is not one of: {allowed}") from None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_from_plain(tp, value, where)
    return _scalar(tp, value, where)


def _scalar(tp: Any, value: Any, where: str) -> Any:
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp in (str, bool) and type(value) is tp:
        return value
    if tp is type(None) and value is None:
        return None
    name = getattr(tp, "__name__", str(tp))
    raise _Invalid(where, f"expected {name}, got {_kind(value)} {value!r:.60}")


def _dataclass_from_plain(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _Invalid(where, f"expected an object ({cls.__name__}), got {_kind(value)}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(value) - set(fields) - set(DERIVED.get(cls, ()))
    if unknown:
        raise _Invalid(f"{where}.{sorted(unknown)[0]}", f"unknown key in {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _from_plain(hints[name], value[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Invalid(f"{where}.{name}", f"missing required key for {cls.__name__}")
    return cls(**kwargs)


# -------------------------------------------------------------------------------------------- files


def dumps(run: RunResult) -> str:
    """Stable text: sorted keys, indent 2, UTF-8 kept readable, every string scrubbed, trailing newline.

    Strings are scrubbed one by one before encoding (so a secret containing a quote or a backslash
    is still found), then the whole text once more as a safety net.
    """
    data = _scrub_all(run_to_dict(run))
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return scrub(text)


def _scrub_all(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_all(v) for v in value]
    if isinstance(value, dict):
        return {scrub(str(k)): _scrub_all(v) for k, v in value.items()}
    return value


def write_json(run: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write the run result atomically (an interrupted run never leaves half a file)."""
    return atomic_write_text(path, dumps(run))


def read_json(path: str | os.PathLike[str]) -> RunResult:
    """Read a run result written by `write_json`; any problem is one ConfigError line, never a traceback."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            file,
            "",
            "file not found",
            "give the path of a run result JSON, e.g. reports/entitlements.json written by `make report`",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "", f"cannot read the file ({exc})", _FIX_CORRUPT) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            file, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}", _FIX_CORRUPT
        ) from None
    return run_from_dict(data, file)
