"""Typed reads of TOML values, each failing with one line that names the file, the key and the fix.

The catalogue, the accounts file and the fake's configuration are three schemas, but one kind of check: a
table with known fields, a value of one type, one of a few choices, a number in a range, a list of strings.
Each check lives here once, so the three decoders say a wrong value the same way ("accounts.x.stream_limit:
expected an integer from 1 to 10000, got '50'; fix: ...") and a new field is one call, not a new branch.
What stays in each decoder is its own domain: key shapes, UUIDs, globs, verdicts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import ConfigError, reject_unknown
from .secrets import contains_secret_shape


def table(raw: Any, file: str, key: str, allowed: Collection[str] | None = None,
          hint: str | None = None) -> dict[str, Any]:
    """A TOML table (and, given `allowed`, no field outside it)."""
    if not isinstance(raw, dict):
        raise ConfigError(file, key, "must be a table", hint or f"write [{key}]")
    if allowed is not None:
        reject_unknown(raw, allowed, file, key)
    return raw


def typed(value: Any, kind: type | tuple[type, ...], file: str, key: str, what: str) -> Any:
    """A value of one TOML type (a bool is never an int here)."""
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise ConfigError(file, key, f"expected {what}, got {type(value).__name__} {shown(value)}",
                          f"make {key} {what}")
    return value


def shown(value: Any) -> str:
    """A wrong value as an error may show it: itself only when it cannot be a pasted key or token (a string in
    the wrong field may well be one)."""
    if isinstance(value, str) and (len(value) > 24 or contains_secret_shape(value)):
        return f"a string of {len(value)} characters (not shown)"
    return repr(value)


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def choice(value: Any, choices: Collection[Any], file: str, key: str, what: str) -> Any:
    """One of a few allowed values."""
    if value not in choices:
        raise ConfigError(file, key, f"unknown {what} {shown(value)}", f"use one of: {', '.join(map(str, choices))}")
    return value


def number(value: Any, file: str, key: str, *, lo: float, hi: float, integer: bool = False) -> Any:
    """A number (an integer when asked) in [lo, hi]."""
    what = "an integer" if integer else "a number"
    typed(value, int if integer else (int, float), file, key, f"{what} from {lo} to {hi}")
    if not lo <= value <= hi:
        raise ConfigError(file, key, f"{value!r} is out of range", f"use a value from {lo} to {hi}")
    return value


def str_list(value: Any, file: str, key: str) -> tuple[str, ...]:
    """A list of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(file, key, f"expected a list of strings, got {type(value).__name__}",
                          f'write {key} = ["..."]')
    return tuple(value)


def literal_choices(cls: Any, name: str) -> tuple[str, ...]:
    """The allowed values of a Literal-typed dataclass field, so a new choice knob needs no by-name list."""
    hint = get_type_hints(cls).get(name)
    return tuple(get_args(hint)) if get_origin(hint) is Literal else ()


def dataclass_table(cls: Any, raw: Any, file: str, key: str) -> dict[str, Any]:
    """A table checked against a dataclass's fields, typed by their defaults (bool, int, float, str) and
    their Literal choices; numbers are zero or more. Returns the fields given, ready for `cls(**...)`."""
    table(raw, file, key, {f.name for f in fields(cls)})
    defaults = cls()
    out: dict[str, Any] = {}
    for name, value in raw.items():
        default, where = getattr(defaults, name), f"{key}.{name}"
        if isinstance(default, bool):
            typed(value, bool, file, where, "true or false")
        elif isinstance(default, int | float):
            number(value, file, where, lo=0, hi=float("inf"), integer=isinstance(default, int))
        elif isinstance(default, str):
            typed(value, str, file, where, "a string")
        choices = literal_choices(cls, name)
        if choices:
            choice(value, choices, file, where, "value")
        out[name] = value
    return out

