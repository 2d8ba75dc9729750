"""Plan the few extra probes that tell one cause from another (pure: the runner sends them).

A status code alone cannot separate "not entitled" from "no such model" (Deepgram answers both 403),
nor "this model is refused" from "this key cannot use the endpoint at all". A control probe changes
one thing and keeps the rest: a known-good model on the same endpoint, a surely-bogus model, the same
request with only the required parameters, the same request with no key. Controls cost money on a
live account, so they are planned only where they can change the diagnosis, and bounded in number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from . import facts
from .facts import FAMILY_FACTS
from .model import Cell, Combo, Cost, Family, Outcome, Verdict

KNOWN_GOOD = "known_good_model"
BOGUS = "bogus_model"
MINIMAL = "minimal_params"
NO_KEY = "no_key"

# Parameters a minimal request still needs, per surface family (facts.FAMILY_FACTS: raw-audio streams
# need the audio format, /v1/read needs a language).
REQUIRED_PARAMETERS: Mapping[str, frozenset[str]] = {
    family.value: f.required_parameters for family, f in FAMILY_FACTS.items() if f.required_parameters
}
# Endpoints that validate the request before the key (facts.VALIDATES_BEFORE_AUTH): the same request with
# no key shows whether the refusal depends on the account at all.
VALIDATES_BEFORE_AUTH = facts.VALIDATES_BEFORE_AUTH

# Audio and text a probe sends (design: about one second of audio, a few characters).
PROBE_AUDIO_SECONDS = 1.0


@dataclass(frozen=True)
class ControlSpec:
    """One control probe to run for a cell: why, and exactly what to send."""

    purpose: str
    combo: Combo
    with_key: bool = True


def control_id(combo: Combo, model: str | None, purpose: str) -> str:
    """`<surface>::<model>@control:<purpose>`: stable, readable, never clashing with a catalogue id."""
    return f"{combo.surface.name}::{model or combo.variant}@control:{purpose}"


def _control(combo: Combo, purpose: str, *, model: str | None, params: tuple[tuple[str, str], ...],
             with_key: bool = True, why: str = "") -> ControlSpec:
    derived = replace(combo, id=control_id(combo, model, purpose), model=model, params=params, expect=None,
                      tags=("control",), why=why)
    return ControlSpec(purpose=purpose, combo=derived, with_key=with_key)


def minimal_params(combo: Combo) -> tuple[tuple[str, str], ...]:
    """The combo's parameters reduced to the ones its endpoint requires."""
    required = REQUIRED_PARAMETERS.get(combo.surface.family, frozenset())
    return tuple((name, value) for name, value in combo.params if name in required)


def _known_good(combo: Combo, known_good: Mapping[str, str | Sequence[str]]) -> ControlSpec | None:
    """The first known-good model that is not the one probed (Flux has two: each controls the other)."""
    listed = known_good.get(combo.surface.name) or ()
    candidates = [listed] if isinstance(listed, str) else list(listed)
    model = next((m for m in candidates if m != combo.model), None)
    if not model or not combo.surface.model_param:
        return None
    return _control(combo, KNOWN_GOOD, model=model, params=minimal_params(combo),
                    why=f"Does the project get {model} on this endpoint? Then the key and endpoint work.")


def bogus_for(combo: Combo, bogus_model: str) -> str:
    """A made-up name of the same family: a bare bogus name on /v2/listen would only earn the
    wrong-endpoint 400, which says nothing about how unknown models are answered there."""
    model = combo.model or ""
    for prefix in ("flux-", "aura-2-", "aura-"):
        if model.startswith(prefix) and not bogus_model.startswith(prefix):
            return f"{prefix}{bogus_model}"
    return bogus_model


def _bogus(combo: Combo, bogus_model: str) -> ControlSpec | None:
    bogus = bogus_for(combo, bogus_model)
    if not bogus_model or bogus == combo.model or not combo.surface.model_param:
        return None
    return _control(combo, BOGUS, model=bogus, params=minimal_params(combo),
                    why="What does this endpoint answer for a model that surely does not exist?")


def _minimal(combo: Combo) -> ControlSpec | None:
    params = minimal_params(combo)
    if params == combo.params:
        return None
    return _control(combo, MINIMAL, model=combo.model, params=params,
                    why="The same request with only the required parameters.")


def _no_key(combo: Combo) -> ControlSpec | None:
    if combo.surface.path.rstrip("/") not in VALIDATES_BEFORE_AUTH or not combo.surface.auth:
        return None
    return _control(combo, NO_KEY, model=combo.model, params=combo.params, with_key=False,
                    why="The same request with no key: this endpoint checks the request before the key.")


def wants_controls(cell: Cell) -> bool:
    """Only a cell that broke its contract or could not be read is worth paying for controls."""
    return cell.judgement is not None and cell.outcome in (Outcome.UNEXPECTED_DENY, Outcome.INCONCLUSIVE)


def plan_controls(cell: Cell, combo: Combo, known_good: Mapping[str, str | Sequence[str]], bogus_model: str,
                  max_controls: int = 3) -> list[ControlSpec]:
    """The controls that can change this cell's diagnosis, most telling first, at most `max_controls`.

    - not entitled / unknown model: a known-good model (does the endpoint work for this project?) and
      a bogus one (does a non-existent name get the very same answer?);
    - malformed / wrong endpoint: the minimal request (is it the extra parameter?), and on endpoints
      that validate before auth the same request with no key (is the account involved at all?);
    - feature not allowed: the same model without the feature;
    - insufficient permissions / not found: a known-good model on the same endpoint;
    - unrecognised: a known-good and a bogus model, to see what a normal answer looks like here.
    Invalid auth, no credits, rate limits, server and network errors need none: more probes would not
    change the answer (and on 429 they would make it worse).
    """
    if max_controls <= 0 or not wants_controls(cell) or cell.judgement is None:
        return []
    verdict = cell.judgement.verdict
    candidates: list[ControlSpec | None]
    if verdict in (Verdict.NOT_ENTITLED, Verdict.UNKNOWN_MODEL):
        candidates = [_known_good(combo, known_good), _bogus(combo, bogus_model), _minimal(combo)]
    elif verdict in (Verdict.MALFORMED_REQUEST, Verdict.WRONG_ENDPOINT):
        candidates = [_minimal(combo), _no_key(combo)]
    elif verdict is Verdict.FEATURE_NOT_ALLOWED:
        candidates = [_minimal(combo)]
    elif verdict in (Verdict.INSUFFICIENT_PERMISSIONS, Verdict.NOT_FOUND):
        candidates = [_known_good(combo, known_good)]
    elif verdict is Verdict.UNRECOGNISED:
        candidates = [_known_good(combo, known_good), _bogus(combo, bogus_model)]
    else:
        candidates = []
    planned: list[ControlSpec] = []
    for spec in candidates:
        if spec is not None and spec.combo.id not in {p.combo.id for p in planned}:
            planned.append(spec)
    return planned[:max_controls]


def estimate_cost(combo: Combo) -> Cost:
    """What one probe of this combo would put on a bill: one request, ~1 s of audio, or its characters.

    WebSocket probes are handshake-only (no audio, no text), so they cost a request and nothing else.
    """
    if combo.surface.transport == "ws":
        return Cost(requests=1)
    audio = PROBE_AUDIO_SECONDS if combo.surface.body == "audio" else 0.0
    characters = 0
    if combo.surface.family in (Family.TTS, Family.TTS_FLUX) and isinstance(combo.json_body, Mapping):
        text = combo.json_body.get("text")
        characters = len(text) if isinstance(text, str) else 0
    return Cost(requests=1, audio_seconds=audio, characters=characters)
