"""The run result's JSON Schema cannot drift from the model, and real run results validate against it.

`jsonschema` is not a dependency, so a small validator for the subset the generated schema uses
(type, properties, required, items, prefixItems, enum, additionalProperties, $ref into $defs, anyOf)
lives here; it is itself tested on documents it must reject, so a validator that accepts everything
would fail this file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dg_entitlements import schema
from dg_entitlements.report.json import dumps, run_to_dict
from dg_entitlements.report.sample import failing_run, sample_run

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "run-result.schema.json"

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}
_KNOWN = {"$schema", "$defs", "$ref", "title", "description", "type", "properties", "required", "items",
          "prefixItems", "minItems", "enum", "additionalProperties", "anyOf"}


def validate(doc: Any, node: dict[str, Any] | bool, root: dict[str, Any], where: str = "$") -> list[str]:
    """Every violation of `node` by `doc`, as 'path: problem' strings (empty when valid)."""
    if node is True:
        return []
    if node is False:
        return [f"{where}: no value allowed here"]
    unknown = set(node) - _KNOWN
    assert not unknown, f"the test validator does not implement {sorted(unknown)}"
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return validate(doc, root["$defs"][name], root, where)
    errors: list[str] = []
    if "anyOf" in node:
        branches = [validate(doc, sub, root, where) for sub in node["anyOf"]]
        if all(branches):
            errors.append(f"{where}: matches no anyOf branch ({'; '.join(b[0] for b in branches)})")
    if "type" in node:
        kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_TYPES[k](doc) for k in kinds):
            return [*errors, f"{where}: expected {'/'.join(kinds)}, got {type(doc).__name__}"]
    if "enum" in node and doc not in node["enum"]:
        errors.append(f"{where}: {doc!r} not in {node['enum']}")
    if isinstance(doc, dict):
        props = node.get("properties", {})
        errors += [f"{where}: missing required {key!r}" for key in node.get("required", ()) if key not in doc]
        for key, value in doc.items():
            if key in props:
                errors += validate(value, props[key], root, f"{where}.{key}")
            elif "additionalProperties" in node:
                errors += validate(value, node["additionalProperties"], root, f"{where}.{key}")
    if isinstance(doc, list):
        prefix = node.get("prefixItems", [])
        if len(doc) < node.get("minItems", 0):
            errors.append(f"{where}: fewer than {node['minItems']} items")
        for i, item in enumerate(doc):
            sub = prefix[i] if i < len(prefix) else node.get("items", True)
            errors += validate(item, sub, root, f"{where}[{i}]")
    return errors


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    return schema.run_result_schema()


def _written(run: Any) -> dict[str, Any]:
    """The run exactly as `reports/entitlements.json` holds it."""
    data = json.loads(dumps(run))
    assert isinstance(data, dict)
    return data


RUNS = {
    "sample": lambda: sample_run(),
    "sample-interrupted-no-drift": lambda: sample_run(complete=False, with_drift=False),
    "failing": lambda: failing_run(),
}


def test_committed_schema_is_what_the_model_generates_now() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema.dumps_schema(), (
        "docs/run-result.schema.json is stale: run `python -m dg_entitlements.schema > docs/run-result.schema.json`")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_written_run_results_validate(name: str, generated: dict[str, Any]) -> None:
    assert validate(_written(RUNS[name]()), generated, generated) == []


@pytest.mark.parametrize("name", sorted(RUNS))
def test_uncompacted_run_results_validate(name: str, generated: dict[str, Any]) -> None:
    """`run_to_dict` without compaction (every field written, bodies inline) fits the same schema."""
    assert validate(run_to_dict(RUNS[name]()), generated, generated) == []


def test_the_sample_uses_the_body_table(generated: dict[str, Any]) -> None:
    """The $body references are exercised, not only described."""
    data = _written(sample_run())
    assert data.get("bodies"), "the sample run no longer de-duplicates any body: pick a run that does"
    assert "$body" in json.dumps(data["cells"])


def _mutations() -> list[tuple[str, Any]]:
    def unknown_top(d: dict[str, Any]) -> None:
        d["surprise"] = 1

    def bad_outcome(d: dict[str, Any]) -> None:
        d["cells"][0]["outcome"] = "maybe"

    def missing_cells(d: dict[str, Any]) -> None:
        del d["cells"]

    def wrong_type(d: dict[str, Any]) -> None:
        d["complete"] = "yes"

    def unknown_cell_key(d: dict[str, Any]) -> None:
        d["cells"][0]["combo"] = {}  # never written: Cell.combo is in-process only

    def bad_verdict_deep(d: dict[str, Any]) -> None:
        next(c for c in d["cells"] if c.get("judgement"))["judgement"]["verdict"] = "nope"

    def unknown_observation_key(d: dict[str, Any]) -> None:  # a body may be anything; its neighbours may not
        next(c for c in d["cells"] if c.get("observation"))["observation"]["bodyy"] = {"$body": "x"}

    def bool_as_int(d: dict[str, Any]) -> None:
        d["schema_version"] = True

    return [(f.__name__, f) for f in (unknown_top, bad_outcome, missing_cells, wrong_type, unknown_cell_key,
                                      bad_verdict_deep, unknown_observation_key, bool_as_int)]


@pytest.mark.parametrize(("name", "mutate"), _mutations())
def test_the_schema_rejects_a_broken_document(name: str, mutate: Any, generated: dict[str, Any]) -> None:
    data = copy.deepcopy(_written(sample_run()))
    mutate(data)
    assert validate(data, generated, generated) != [], f"{name} was accepted"


def test_every_def_is_reachable_and_every_ref_resolves(generated: dict[str, Any]) -> None:
    text = json.dumps(generated)
    for name in generated["$defs"]:
        assert f'"#/$defs/{name}"' in text, f"$defs.{name} is never referred to"
    refs = {part.split('"', 1)[0] for part in text.split('"$ref": "#/$defs/')[1:]}
    assert refs <= set(generated["$defs"])


def test_main_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main([]) == 0
    assert json.loads(capsys.readouterr().out) == schema.run_result_schema()
    assert schema.main(["extra"]) == 2
