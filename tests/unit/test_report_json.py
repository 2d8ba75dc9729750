"""The run result JSON: lossless round trip, stable text, clear errors on bad files."""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

import pytest

from dg_entitlements import model
from dg_entitlements.errors import ConfigError
from dg_entitlements.model import Cell, Cost, Outcome, RunResult, Verdict
from dg_entitlements.report.json import (
    BODY_BOUND,
    NOT_SERIALISED,
    dumps,
    read_json,
    run_from_dict,
    run_to_dict,
    write_json,
)
from dg_entitlements.report.sample import cell, sample_run


def _walk(value: Any, seen: dict[tuple[str, str], bool]) -> None:
    """Record, per (dataclass, field), whether some instance holds a non-default value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name in NOT_SERIALISED.get(type(value), ()):
                continue  # deliberately not written (e.g. Cell.combo: the run carries RunResult.combos)
            v = getattr(value, f.name)
            default = (
                f.default
                if f.default is not dataclasses.MISSING
                else (f.default_factory() if f.default_factory is not dataclasses.MISSING else object())
            )
            key = (type(value).__name__, f.name)
            seen[key] = seen.get(key, False) or (v != default and v is not None)
            _walk(v, seen)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk(v, seen)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, seen)


def test_sample_covers_every_field_so_the_round_trip_test_means_something() -> None:
    seen: dict[tuple[str, str], bool] = {}
    _walk(sample_run(), seen)
    missing = sorted(f"{c}.{f}" for (c, f), ok in seen.items() if not ok)
    assert not missing, f"add a non-default value for these fields to report/sample.py: {missing}"


def test_round_trip_is_lossless() -> None:
    run = sample_run()
    assert run_from_dict(run_to_dict(run)) == run
    assert run_from_dict(json.loads(dumps(run))) == run


def test_round_trip_minimal_run_with_nones_and_defaults() -> None:
    run = RunResult(
        1,
        "0.1.0",
        "fake",
        "t0",
        "t1",
        False,
        (),
        (cell("a", "models-v1", "list", Outcome.SKIPPED, None, None, skipped_reason="no project id"),),
    )
    back = run_from_dict(run_to_dict(run))
    assert back == run
    assert back.cells[0].observation is None and back.cells[0].judgement is None


def test_enums_are_values_and_tuples_are_lists() -> None:
    d = run_to_dict(sample_run())
    c0 = d["cells"][0]
    assert c0["outcome"] == "as_expected" and c0["judgement"]["verdict"] == "entitled"
    assert isinstance(d["cells"], list) and isinstance(d["accounts"], list)
    assert d["counts"]["unexpected_deny"] == 2 and d["contract_broken"] is True
    assert c0["test_id"] == "payg-full::listen-v1-rest::nova-3"
    assert c0["observation"]["request_id"].startswith("00000001")
    back = run_from_dict(d)
    judgement = back.cells[0].judgement
    assert isinstance(back.cells[0].outcome, enum.Enum) and judgement and judgement.verdict is Verdict.ENTITLED
    assert isinstance(back.cells, tuple) and isinstance(back.cost, Cost)


def test_text_is_stable_sorted_and_indented(tmp_path: Path) -> None:
    run = sample_run()
    p1, p2 = write_json(run, tmp_path / "a" / "run.json"), write_json(run, tmp_path / "b.json")
    assert p1.read_bytes() == p2.read_bytes()
    text = p1.read_text()
    assert text.endswith("}\n") and text.startswith('{\n  "accounts": [\n    {"alias":"payg-full"')
    lines = text.splitlines()
    start = lines.index('  "cells": [')
    cell_lines = lines[start + 1 : lines.index("  ],", start)]
    assert len(cell_lines) == len(run.cells)  # one cell per line: a changed cell is one changed line
    keys = [ln.split('"')[1] for ln in lines if ln.startswith('  "')]
    assert keys == sorted(keys)
    assert read_json(p1) == run


def _big_body(n: int) -> dict[str, Any]:
    return {"models": [{"name": f"model-{i}", "uuid": f"{i:032x}"} for i in range(n)]}


def test_identical_bodies_are_stored_once_and_long_ones_are_bounded() -> None:
    base = sample_run()
    small = _big_body(5)  # above the inline threshold, below the bound
    huge = _big_body(400)  # far above the bound
    cells = tuple(
        dataclasses.replace(c, observation=dataclasses.replace(c.observation, body=huge if i % 2 else small))
        if c.observation
        else c
        for i, c in enumerate(base.cells)
    )
    run = dataclasses.replace(base, cells=cells)
    d = run_to_dict(run, compact=True)
    assert len(d["bodies"]) == 2  # two distinct bodies, however many cells carry them
    text = dumps(run)
    assert text.count('"model-1"') == 1 and len(text) < len(json.dumps(huge)) + 20_000
    back = run_from_dict(json.loads(text))
    bodies = [c.observation.body for c in back.cells if c.observation]
    assert small in bodies  # a body under the bound comes back exactly
    cut = [b for b in bodies if isinstance(b, str)]
    assert cut and all(len(b) < BODY_BOUND + 60 and "cut:" in b for b in cut)
    sizes = {c.observation.body_size for c in back.cells if c.observation}
    assert sizes == {c.observation.body_size for c in cells if c.observation}  # the real size is kept


def test_a_dangling_body_reference_is_a_config_error(tmp_path: Path) -> None:
    base = sample_run()
    c0 = base.cells[0]
    assert c0.observation
    run = dataclasses.replace(
        base, cells=(dataclasses.replace(c0, observation=dataclasses.replace(c0.observation, body=_big_body(5))),)
    )
    d = run_to_dict(run, compact=True)
    d["bodies"] = {}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as info:
        read_json(path)
    assert info.value.key == "$.cells[0].observation.body"


def test_fields_at_their_default_are_left_out_and_come_back() -> None:
    run = sample_run()
    d = run_to_dict(run, compact=True)
    assert "bodies" not in run_to_dict(run)  # without `compact`, every cell stands on its own
    assert "diagnosis" in run_to_dict(run)["cells"][0]
    skipped = d["cells"][10]
    assert "diagnosis" not in skipped and skipped["skipped_reason"]  # a None default is not written
    assert skipped["observation"] is None  # a required field is, even when None
    assert "combo" not in d["cells"][0]  # in-process only
    assert run_from_dict(d) == run


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d.pop("schema_version"), "schema_version"),
        (lambda d: d["cells"][2].update(outcome="maybe"), "$.cells[2].outcome"),
        (lambda d: d["cells"][0]["judgement"].update(verdict=3), "$.cells[0].judgement.verdict"),
        (lambda d: d["cells"][1].pop("account"), "$.cells[1].account"),
        (lambda d: d["cells"][1].update(surprise=1), "$.cells[1].surprise"),
        (lambda d: d.update(complete="yes"), "$.complete"),
        (lambda d: d["drift"][0].update(change="vanished"), "$.drift[0].change"),
        (lambda d: d["cost"].update(requests=1.5), "$.cost.requests"),
        (lambda d: d.update(cells={}), "$.cells"),
    ],
)
def test_incompatible_content_is_one_config_error_naming_the_key(mutate: Any, key: str, tmp_path: Path) -> None:
    d = run_to_dict(sample_run())
    mutate(d)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as info:
        read_json(path)
    assert info.value.file == str(path) and info.value.key == key
    assert info.value.fix and "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '{"schema_version": 1}'])
def test_corrupt_file_is_a_config_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(text)
    with pytest.raises(ConfigError):
        read_json(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        read_json(tmp_path / "nope.json")


def test_every_dataclass_in_a_run_is_covered_by_type_hints() -> None:
    """A new model field with a type the reader does not know would fail here, not in a user's CI."""
    run = sample_run()
    d = run_to_dict(run)
    assert run_from_dict(d) == run
    written = {k for c in d["cells"] for k in c}
    assert {f.name for f in dataclasses.fields(Cell)} - set(NOT_SERIALISED[Cell]) <= written
    assert d["schema_version"] == model.SCHEMA_VERSION


def test_the_in_process_combo_is_not_written_and_the_run_reads_back() -> None:
    run = sample_run()
    c0 = run.cells[0]
    combo = model.Combo(c0.combo_id, model.Surface(c0.surface, "http", "POST", "/v1/listen"), c0.model, why="w")
    with_combo = dataclasses.replace(run, cells=(dataclasses.replace(c0, combo=combo), *run.cells[1:]))
    d = run_to_dict(with_combo)
    assert "combo" not in d["cells"][0]
    back = run_from_dict(json.loads(dumps(with_combo)))
    assert back == run and back.cells[0].combo is None
    assert back.combos == run.combos and any(info.intrinsic for info in back.combos.values())
