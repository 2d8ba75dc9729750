"""The run result as JSON: the one document the HTML report, the pytest layer, `diff` and CI read.

Why a hand-rolled (de)serialiser driven by the dataclass type hints rather than `dataclasses.asdict`:
`asdict` cannot come back (enums, tuples, nested dataclasses are lost), and re-rendering a report from
a saved JSON must give the same report, so the round trip has to be lossless. Walking the type hints
also lets a corrupt or incompatible file fail with one line naming the file, the JSON path and the fix
(`ConfigError`), instead of a `KeyError` traceback deep in the renderer.

Fields at their declared default are left out of the file and put back on read, so a new model field
with a default round-trips with no code here, and old files stay readable when fields are added.
Response bodies are stored once each and bounded (see BULK).

A few read-only convenience keys (`counts`, `test_id`, `request_id`, ...) are written for people who
read the file with `jq`; they are derived from the other fields and ignored on read.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dg_entitlements import model
from dg_entitlements.errors import ConfigError
from dg_entitlements.fsutil import atomic_write_bytes
from dg_entitlements.model import SCHEMA_VERSION, RunResult
from dg_entitlements.secrets import scrub

# Derived, read-only keys written for readers of the file and dropped on read (see module docstring).
DERIVED: dict[type, tuple[str, ...]] = {
    model.RunResult: ("counts", "contract_broken"),
    model.Cell: ("test_id", "retried"),
    model.Observation: ("request_id", "tries", "dg_error"),
}

# In-process fields that are deliberately not written: `Cell.combo` is the catalogue's object, whose
# reader-facing part the run already carries as `RunResult.combos`. Read back as their default.
NOT_SERIALISED: dict[type, tuple[str, ...]] = {model.Cell: ("combo",)}

# Bulky free-form payloads (response bodies, stream messages). A run of thousands of cells repeats the
# same few bodies (the model list, the same error), so they are stored once in a top-level table keyed
# by a hash of their text (`"bodies": {hash: body}`), referenced as {BODY_REF: hash}; one longer than
# BODY_BOUND characters is kept as its excerpt (model.excerpt: the text cut, with a note of its full
# length, within that bound; `body_size` keeps the real size), which keeps the file small enough to
# attach to a ticket or a CI artefact. The engine keeps the same excerpt in memory once a cell is done.
BULK: dict[type, tuple[str, ...]] = {model.Observation: ("body",), model.Frame: ("data",)}
BODIES_KEY = "bodies"
BODY_REF = "$body"
BODY_BOUND = model.BODY_BOUND  # the HTML shows the same excerpt (report.html.BODY_EXCERPT_CHARS)
INLINE_BELOW = 160  # shorter bodies stay inline: a reference would not save anything


class _Invalid(Exception):
    """Internal: a value that does not fit its type; carries the JSON path for the one-line error."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# ------------------------------------------------------------------------------------------ to dict


def run_to_dict(run: RunResult, *, compact: bool = False) -> dict[str, Any]:
    """The run as plain JSON data: enums as their values, tuples as lists, dataclasses as objects.

    `compact` (what the file gets, see `dumps`): fields at their default left out, bulky bodies in one
    de-duplicated, bounded table (see BULK). Without it every cell is self-contained, for callers that
    take one cell out of the run (the proxy's JSON log)."""
    bodies: dict[str, Any] | None = {} if compact else None
    out = _to_plain(run, bodies)
    assert isinstance(out, dict)
    if bodies:
        out[BODIES_KEY] = dict(sorted(bodies.items()))
    return out


def _at_default(f: dataclasses.Field[Any], value: Any) -> bool:
    """True when a field holds its declared default: such fields are left out of the file (the reader
    puts the default back), which keeps thousands of cells small without any per-field code."""
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default) and type(value) is type(f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def _bulk(value: Any, bodies: dict[str, Any] | None) -> Any:
    if value is None or bodies is None:
        return _to_plain(value)
    plain = model.excerpt(_to_plain(value))
    text = json.dumps(plain, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) < INLINE_BELOW:
        return plain
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    bodies.setdefault(key, plain)
    return {BODY_REF: key}


def _to_plain(value: Any, bodies: dict[str, Any] | None = None) -> Any:
    """Plain JSON data; with `bodies`, BULK fields go to that table and leave a reference behind."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        skip = NOT_SERIALISED.get(type(value), ())
        bulk = BULK.get(type(value), ())
        out = {
            f.name: (_bulk if f.name in bulk else _to_plain)(getattr(value, f.name), bodies)
            for f in dataclasses.fields(value)
            if f.name not in skip and not (bodies is not None and _at_default(f, getattr(value, f.name)))
        }
        for name in DERIVED.get(type(value), ()):
            attr = getattr(value, name)
            out[name] = _to_plain(attr() if callable(attr) else attr)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_to_plain(v, bodies) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v, bodies) for k, v in value.items()}
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
        d = _resolve_bodies(d)
        run = _from_plain(RunResult, d, "$")
    except _Invalid as exc:
        raise ConfigError(file, exc.where, exc.problem, _FIX_CORRUPT) from None
    assert isinstance(run, RunResult)
    return run


def _resolve_bodies(d: dict[str, Any]) -> dict[str, Any]:
    """The document with every {BODY_REF: hash} replaced by its body from the table (see BULK)."""
    table = d.get(BODIES_KEY, {})
    if not isinstance(table, dict):
        raise _Invalid(f"$.{BODIES_KEY}", f"expected an object, got {_kind(table)}")

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            if set(value) == {BODY_REF}:
                ref = value[BODY_REF]
                if not isinstance(ref, str) or ref not in table:
                    raise _Invalid(where, f"body reference {ref!r:.40} is not in ${BODIES_KEY}")
                return table[ref]
            return {k: walk(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    rest = {k: v for k, v in d.items() if k != BODIES_KEY}
    return {k: walk(v, f"$.{k}") for k, v in rest.items()}


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
    skip = NOT_SERIALISED.get(cls, ())
    fields = {n: f for n, f in fields.items() if n not in skip}
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
    """Stable text: sorted keys, one top-level key per line and one item (cell, body, combo) per line,
    UTF-8 kept readable, every string scrubbed, trailing newline.

    Why one item per line rather than a fully indented tree: indentation alone was a third of the file
    at a few hundred cells, while one cell per line keeps `diff` and `grep` of two runs meaningful
    (a changed cell is one changed line) and `jq .` still pretty-prints it for a person.
    """
    return "".join(_pieces(run))


def _pieces(run: RunResult) -> Iterator[str]:
    """The document of `dumps`, one scrubbed line (an item with its separator) at a time.

    Why by line: building the whole run as plain data, a scrubbed copy of it and then one text took
    180 MB at 12,300 cells; here one cell's data lives at a time and its line is kept (the cells are
    written after the body table, which only the whole walk over them fills).

    Scrubbing: each line is scrubbed whole, which finds every secret written verbatim (no pattern
    spans a line, or crosses a string's quotes); a string that JSON escapes (a quote, a backslash, a
    control character) would not be verbatim in the line, so such strings, and such keys, are
    scrubbed one by one before encoding too. The result is the text that scrubbing every string and
    then the whole document gave, for a fraction of the regex passes (one difference: inside a cell,
    keys that themselves hold a secret are sorted by what they held, not by their marker)."""
    bodies: dict[str, Any] = {}
    cells = [_line(_scrub_escaped(_to_plain(cell, bodies))) for cell in run.cells]
    top = _top_level(run, bodies)
    top["cells"] = cells
    if bodies:
        top[BODIES_KEY] = {key: _line(_scrub_escaped(body)) for key, body in bodies.items()}
    keys = sorted(top)  # the run's own field names: nothing to scrub
    yield "{\n"
    for i, key in enumerate(keys):
        value = top[key]
        head = f"  {_line(_scrub_escaped(key))}: "
        tail = ",\n" if i < len(keys) - 1 else "\n"
        if key == "cells" and value:
            yield scrub(head + "[\n")
            for j, cell_line in enumerate(value):
                yield scrub(f"    {cell_line}" + (",\n" if j < len(value) - 1 else "\n"))
            yield "  ]" + tail
        elif key == BODIES_KEY:
            yield scrub(head + "{\n")
            for j, body_key in enumerate(sorted(value)):  # hashes of the bodies' text
                yield scrub(f"    {_line(body_key)}: {value[body_key]}" + (",\n" if j < len(value) - 1 else "\n"))
            yield "  }" + tail
        else:
            yield from (scrub(piece) for piece in _value_lines(head, _scrub_escaped(value), tail))
    yield "}\n"


def _top_level(run: RunResult, bodies: dict[str, Any]) -> dict[str, Any]:
    """The run's own keys (cells aside) as `run_to_dict(compact=True)` writes them."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(RunResult):
        value = getattr(run, f.name)
        if f.name != "cells" and not _at_default(f, value):
            out[f.name] = _to_plain(value, bodies)
    for name in DERIVED.get(RunResult, ()):
        attr = getattr(run, name)
        out[name] = _to_plain(attr() if callable(attr) else attr)
    return out


def _value_lines(head: str, value: Any, tail: str) -> Iterator[str]:
    """One top-level key: a non-empty list or object one item per line, anything else on one line."""
    if isinstance(value, list) and value:
        yield head + "[\n"
        for j, item in enumerate(value):
            yield f"    {_line(item)}" + (",\n" if j < len(value) - 1 else "\n")
        yield "  ]" + tail
    elif isinstance(value, dict) and value:
        yield head + "{\n"
        value = {scrub(k): v for k, v in value.items()}  # a few keys: sorted as scrubbed, as they always were
        names = sorted(value)
        for j, k in enumerate(names):
            yield f"    {_line(k)}: {_line(value[k])}" + (",\n" if j < len(names) - 1 else "\n")
        yield "  }" + tail
    else:
        yield head + _line(value) + tail


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what json.dumps(ensure_ascii=False) writes otherwise than as is


def _needs_own_scrub(text: str) -> bool:
    return _ESCAPED.search(text) is not None


def _scrub_escaped(value: Any) -> Any:
    """Every string (and key) that JSON escapes, scrubbed; the others are left to the line's scrub."""
    if isinstance(value, str):
        return scrub(value) if _needs_own_scrub(value) else value
    if isinstance(value, list):
        return [_scrub_escaped(v) for v in value]
    if isinstance(value, dict):
        return {(scrub(k) if _needs_own_scrub(k := str(key)) else k): _scrub_escaped(v) for key, v in value.items()}
    return value


def write_json(run: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write the run result atomically (an interrupted run never leaves half a file)."""
    return atomic_write_bytes(path, b"".join(piece.encode("utf-8") for piece in _pieces(run)))


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
