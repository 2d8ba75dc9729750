"""The JSON Schema (draft 2020-12) of the run result, built from the dataclasses in `model.py`.

Why generated rather than written by hand: the run result is defined once, by the dataclasses that
`report.json` walks to write and read it. A hand-written schema would drift from them the way the old
prose did; this one is derived by introspection (type hints, enums, defaults, and the inline comment
of each field as its description), and `tests/unit/test_schema.py` fails when the committed
`docs/run-result.schema.json` differs from what this module generates now.

The schema describes the file `report.json.dumps` writes (`reports/entitlements.json`):
- a field at its declared default may be left out, so only fields without a default are required;
- the derived keys `report.json` adds for readers (`counts`, `test_id`, `request_id`, ...) are always
  written, so they are required too (and ignored on read);
- bulky bodies may be replaced by `{"$body": <key>}` pointing into the top-level `bodies` table;
- fields `report.json` never writes (`Cell.combo`) are absent; no other key is allowed.

    python -m dg_entitlements.schema > docs/run-result.schema.json
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any

from . import model
from .report.json import BODIES_KEY, BODY_REF, BULK, DERIVED, NOT_SERIALISED

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_SIMPLE = {int: "integer", float: "number", str: "string", bool: "boolean", type(None): "null"}
_FIELD_COMMENT = re.compile(r"^\s+(\w+):[^#]*#\s*(.+)$")


def _hints(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(obj, vars(model))


def _first_paragraph(doc: str | None) -> str:
    return " ".join((inspect.cleandoc(doc or "").split("\n\n") or [""])[0].split())


def _field_comments(cls: type) -> dict[str, str]:
    """`name: type = default  # comment` lines of a dataclass body: the comment describes the field."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    for line in source.splitlines():
        match = _FIELD_COMMENT.match(line)
        if match and '"' not in line.split("#", 1)[0].split(":", 1)[0]:
            out.setdefault(match.group(1), match.group(2).strip())
    return out


class _Builder:
    """Walks type hints from RunResult down, collecting one $defs entry per dataclass and enum."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def type_schema(self, tp: Any) -> dict[str, Any]:
        if tp is Any:
            return {}
        if tp in _SIMPLE:
            return {"type": _SIMPLE[tp]}
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            options = [self.type_schema(a) for a in args]
            if all(set(o) == {"type"} and isinstance(o["type"], str) for o in options):
                return {"type": [o["type"] for o in options]}
            return {"anyOf": options}
        if origin is typing.Literal:
            kinds = sorted({_SIMPLE[type(a)] for a in args})
            return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": list(args)}
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.type_schema(args[0])}
            return {"type": "array", "prefixItems": [self.type_schema(a) for a in args], "items": False,
                    "minItems": len(args)}
        if origin is dict:
            value = args[1] if len(args) == 2 else Any
            return {"type": "object", "additionalProperties": self.type_schema(value)}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {"description": _first_paragraph(tp.__doc__), "type": "string",
                                          "enum": [m.value for m in tp]}
            return {"$ref": f"#/$defs/{tp.__name__}"}
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {}  # placeholder first: a dataclass may refer to itself
                self.defs[tp.__name__] = self.dataclass_schema(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        raise TypeError(f"no JSON Schema mapping for {tp!r}: extend dg_entitlements.schema")

    def dataclass_schema(self, cls: type) -> dict[str, Any]:
        hints = _hints(cls)
        comments = _field_comments(cls)
        skip = NOT_SERIALISED.get(cls, ())
        bulk = BULK.get(cls, ())
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(cls):
            if f.name in skip:
                continue
            prop = self.type_schema(hints[f.name])
            if f.name in bulk:
                prop = {"anyOf": [{"$ref": "#/$defs/BodyRef"}, prop]}
                self.defs.setdefault("BodyRef", _body_ref())
            if f.name in comments:
                prop = {"description": comments[f.name], **prop}
            properties[f.name] = prop
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        for name in DERIVED.get(cls, ()):
            attr = getattr(cls, name)
            returns = _hints(attr.fget if isinstance(attr, property) else attr)["return"]
            doc = attr.__doc__ if attr.__doc__ else ""
            text = "Derived, for readers; ignored on read." + (f" {_first_paragraph(doc)}" if doc else "")
            properties[name] = {"description": text, **self.type_schema(returns)}
            required.append(name)
        return {"description": _first_paragraph(cls.__doc__), "type": "object", "properties": properties,
                "required": required, "additionalProperties": False}


def _body_ref() -> dict[str, Any]:
    return {"description": f"A body stored once in the top-level `{BODIES_KEY}` table, referred to by its key.",
            "type": "object", "properties": {BODY_REF: {"type": "string"}}, "required": [BODY_REF],
            "additionalProperties": False}


def run_result_schema() -> dict[str, Any]:
    """The JSON Schema of `reports/entitlements.json` (see the module docstring for what it covers)."""
    builder = _Builder()
    builder.type_schema(model.RunResult)
    root = builder.defs.pop(model.RunResult.__name__)
    root["properties"][BODIES_KEY] = {
        "description": f"Bodies referred to as {{\"{BODY_REF}\": key}} from observations and frames (each stored "
                       "once, cut to a bound).", "type": "object", "additionalProperties": {}}
    return {"$schema": DRAFT, "title": "dg-entitlements run result",
            "description": f"{root.pop('description')} Schema version {model.SCHEMA_VERSION} (the "
                           "`schema_version` key); generated from dg_entitlements.model by "
                           "`python -m dg_entitlements.schema`.",
            **root, "$defs": dict(sorted(builder.defs.items()))}


def dumps_schema() -> str:
    return json.dumps(run_result_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the schema (redirect it to docs/run-result.schema.json)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        print("usage: python -m dg_entitlements.schema > docs/run-result.schema.json", file=sys.stderr)
        return 2
    sys.stdout.write(dumps_schema())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
