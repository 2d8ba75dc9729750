"""Load the catalogue TOML into Combos, with one clear error for anything wrong in it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import decode
from .errors import ConfigError, reject_unknown
from .model import ROLES, Combo, Expectation, Family, Surface, Verdict

SURFACE_KEYS = {
    "title", "transport", "method", "path", "host", "auth", "body", "model_param", "close_message", "family",
    "success_status", "role",
}
COMBO_KEYS = {"surface", "model", "models", "variant", "params", "json_body", "send", "expect", "tags", "why"}


@dataclass(frozen=True)
class Catalogue:
    surfaces: dict[str, Surface]
    combos: tuple[Combo, ...]
    source: str
    known_good: dict[str, tuple[str, ...]] = field(default_factory=dict)  # surface -> models most projects may use
    bogus_model: str = "zz-no-such-model-dgent"

    def by_id(self) -> dict[str, Combo]:
        return {c.id: c for c in self.combos}

    def with_role(self, role: str) -> Surface | None:
        """The surface that plays a role for discovery or evidence (validated: at most one each)."""
        return next((s for s in self.surfaces.values() if s.role == role), None)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every way it can fail into a ConfigError naming the file."""
    if not path.is_file():
        raise ConfigError(str(path), "", "file not found", "check the path, or run from the repository root")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"TOML syntax error: {exc}", "correct the TOML syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot read file: {exc}", "make it a readable UTF-8 file") from None


def parse_verdict(value: Any, file: str, key: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        names = ", ".join(v.value for v in Verdict)
        raise ConfigError(file, key, f"unknown verdict {value!r}", f"use one of: {names}") from None


def parse_expectation(value: Any, file: str, key: str, success_status: int | None = None) -> Expectation:
    """`"entitled"` or `{status = 403, verdict = "not_entitled"}`; a bare verdict name keeps any status."""
    if isinstance(value, str):
        verdict = parse_verdict(value, file, key)
        status = success_status if verdict is Verdict.ENTITLED else None
        return Expectation(verdict=verdict, status=status, source=f"{file}: {key}")
    if isinstance(value, dict):
        reject_unknown(value, {"status", "verdict"}, file, key, "an expectation has only status and verdict")
        if "verdict" not in value:
            raise ConfigError(file, key, "expectation has no verdict", 'add verdict = "entitled" (or another verdict)')
        verdict = parse_verdict(value["verdict"], file, f"{key}.verdict")
        status = value.get("status")
        bad = not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
        if status is not None and bad:
            raise ConfigError(file, f"{key}.status", f"status {status!r} is not an HTTP status",
                              "use a number such as 403")
        return Expectation(verdict=verdict, status=status, source=f"{file}: {key}")
    raise ConfigError(file, key, f"expectation must be a verdict name or a table, got {type(value).__name__}",
                      'write "entitled" or { status = 403, verdict = "not_entitled" }')


def _surface(name: str, raw: Any, file: str) -> Surface:
    key = f"surfaces.{name}"
    decode.table(raw, file, key, SURFACE_KEYS)
    transport = decode.choice(raw.get("transport"), ("http", "ws"), file, f"{key}.transport", "transport")
    path = decode.typed(raw.get("path"), str, file, f"{key}.path", "a path string")
    if not path.startswith("/"):
        raise ConfigError(file, f"{key}.path", f"path {path!r} does not start with /", "write it as /v1/listen")
    host = decode.choice(raw.get("host", "api"), ("api", "agent"), file, f"{key}.host", "host role")
    body = decode.choice(raw.get("body", "none"), ("none", "audio", "json"), file, f"{key}.body", "body kind")
    family_name = decode.choice(raw.get("family"), [f.value for f in Family], file, f"{key}.family", "family")
    role = raw.get("role")
    if role is not None:
        decode.choice(role, ROLES, file, f"{key}.role", "role")
    method = "GET" if transport == "ws" else str(raw.get("method", "GET")).upper()
    close = raw.get("close_message")
    if close is not None:
        decode.table(close, file, f"{key}.close_message")
    success = decode.number(raw.get("success_status", 101 if transport == "ws" else 200), file,
                            f"{key}.success_status", lo=100, hi=599, integer=True)
    return Surface(
        name=name, transport=transport, method=method, path=path, host=host,
        auth=bool(decode.typed(raw.get("auth", True), bool, file, f"{key}.auth", "true or false")),
        body=body,
        model_param=bool(decode.typed(raw.get("model_param", True), bool, file, f"{key}.model_param",
                                      "true or false")),
        close_message=close, family=Family(family_name), role=role, title=str(raw.get("title", f"{method} {path}")),
        success_status=success,
    )


def _params(raw: Any, file: str, key: str) -> tuple[tuple[str, str], ...]:
    """Query parameters as strings, booleans lower-case as Deepgram requires."""
    if raw is None:
        return ()
    decode.table(raw, file, key, hint=f"write {key} = {{ name = \"value\" }}")
    out: list[tuple[str, str]] = []
    for name, value in raw.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            out.extend((name, str(v)) for v in value)
            continue
        elif not isinstance(value, str | int | float):
            raise ConfigError(file, f"{key}.{name}", f"unsupported value {value!r}", "use a string, number or boolean")
        out.append((name, str(value)))
    return tuple(out)


def load_catalogue(path: str | Path) -> Catalogue:
    path = Path(path)
    file = str(path)
    data = read_toml(path)
    if data.get("schema", 1) != 1:
        raise ConfigError(file, "schema", f"unsupported schema {data.get('schema')!r}", "use schema = 1")
    raw_surfaces = decode.typed(data.get("surfaces", {}), dict, file, "surfaces", "a table of surfaces")
    surfaces = {name: _surface(name, raw, file) for name, raw in raw_surfaces.items()}
    for role in ROLES:
        playing = [name for name, s in surfaces.items() if s.role == role]
        if len(playing) > 1:
            raise ConfigError(file, f"surfaces.{playing[1]}.role", f"role {role!r} is already played by {playing[0]}",
                              "give each role to one surface")
    raw_combos = decode.typed(data.get("combos", []), list, file, "combos", "an array of [[combos]] tables")
    combos: list[Combo] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(raw_combos):
        key = f"combos[{index}]"
        decode.typed(raw, dict, file, key, "a table")
        reject_unknown(raw, COMBO_KEYS, file, key)
        sname = raw.get("surface")
        if not isinstance(sname, str) or sname not in surfaces:
            raise ConfigError(file, f"{key}.surface", f"unknown surface {sname!r}",
                              f"use one of: {', '.join(sorted(surfaces))}, or add [surfaces.{sname}]")
        surface = surfaces[sname]
        if "model" in raw and "models" in raw:
            raise ConfigError(file, key, "both model and models are set", "use model for one, models for a list")
        models: list[str | None]
        if "models" in raw:
            models = list(decode.typed(raw["models"], list, file, f"{key}.models", "a list of model names"))
            if "variant" in raw and len(models) > 1:
                raise ConfigError(file, f"{key}.variant", "variant with several models", "give each its own [[combos]]")
        else:
            models = [raw.get("model")]
        for model in models:
            if model is not None:
                decode.typed(model, str, file, f"{key}.model", "a model name string")
            variant = raw.get("variant") or model
            if not variant:
                raise ConfigError(file, key, "a combo with no model needs a variant name", 'add variant = "list"')
            combo_id = f"{sname}::{variant}"
            if combo_id in seen:
                raise ConfigError(file, key, f"duplicate combination id {combo_id!r} (first at {seen[combo_id]})",
                                  "give one of them a distinct variant")
            seen[combo_id] = key
            expect = None
            if "expect" in raw:
                expect = parse_expectation(raw["expect"], file, f"{key}.expect", surface.success_status)
            send = tuple(decode.typed(raw.get("send", []), list, file, f"{key}.send", "a list of message tables"))
            combos.append(Combo(
                id=combo_id, surface=surface, model=model, params=_params(raw.get("params"), file, f"{key}.params"),
                json_body=raw.get("json_body"), send=send, expect=expect,
                tags=tuple(decode.typed(raw.get("tags", []), list, file, f"{key}.tags", "a list of strings")),
                why=str(raw.get("why", "")),
            ))
    if not combos:
        raise ConfigError(file, "combos", "no combinations defined", "add at least one [[combos]] table")
    controls = decode.typed(data.get("controls", {}), dict, file, "controls", "a table")
    known_good = decode.typed(controls.get("known_good", {}), dict, file, "controls.known_good",
                              "a table surface = model")
    good: dict[str, tuple[str, ...]] = {}
    for sname, raw_models in known_good.items():
        if sname not in surfaces:
            raise ConfigError(file, f"controls.known_good.{sname}", f"unknown surface {sname!r}",
                              f"use one of: {', '.join(sorted(surfaces))}")
        models = [raw_models] if isinstance(raw_models, str) else raw_models
        decode.typed(models, list, file, f"controls.known_good.{sname}", "a model name or a list of them")
        good[sname] = tuple(str(decode.typed(m, str, file, f"controls.known_good.{sname}", "a model name"))
                            for m in models)
    bogus = decode.typed(controls.get("bogus_model", "zz-no-such-model-dgent"), str, file, "controls.bogus_model",
                         "a string")
    return Catalogue(surfaces=surfaces, combos=tuple(combos), source=file, known_good=good,
                     bogus_model=bogus)
