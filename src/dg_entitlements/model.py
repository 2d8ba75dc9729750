"""The data that flows through the pipeline, as plain dataclasses.

catalogue + accounts -> (account, combo) pairs -> Observation (the only product of I/O)
-> Verdict (what Deepgram said) -> Outcome (verdict vs expectation) -> Diagnosis -> RunResult.

Everything here is plain data so every stage after the probe runner is a pure function that can be
tested on verbatim payloads without sockets. Nothing here holds a secret: keys live in
`secrets.ApiKey` and only the runner ever reveals them.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .secrets import bounded

Transport = Literal["http", "ws"]
HostRole = Literal["api", "agent"]
BodyKind = Literal["none", "audio", "json"]


class Verdict(enum.StrEnum):
    """What Deepgram's answer means, independent of what anyone expected."""

    ENTITLED = "entitled"
    NOT_ENTITLED = "not_entitled"  # 403 INSUFFICIENT_PERMISSIONS on a model: not entitled OR no such model
    UNKNOWN_MODEL = "unknown_model"  # TTS: 400 "No such model/version", "Invalid 'model' value"
    INVALID_AUTH = "invalid_auth"  # 401 INVALID_AUTH: bad, missing or expired credentials
    INSUFFICIENT_PERMISSIONS = "insufficient_permissions"  # key/member lacks a scope (401 or mgmt 403)
    WRONG_ENDPOINT = "wrong_endpoint"  # model family on the wrong path (Flux on /v1/listen, ...)
    MALFORMED_REQUEST = "malformed_request"  # unknown/invalid parameter or body
    FEATURE_NOT_ALLOWED = "feature_not_allowed"  # UNAUTHORIZED_FEATURES_REQUESTED: not a model entitlement
    PAYMENT_REQUIRED = "payment_required"  # 402
    NOT_FOUND = "not_found"  # 404/405: this host or path does not serve this
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx, or a fatal error frame after the handshake
    NETWORK_ERROR = "network_error"  # refused, reset, DNS, TLS
    TIMEOUT = "timeout"  # a connect, handshake, read or close that did not finish in time
    UNRECOGNISED = "unrecognised"  # an answer we cannot classify: never read as a denial

    @property
    def is_allow(self) -> bool:
        return self is Verdict.ENTITLED

    @property
    def is_inconclusive(self) -> bool:
        """Transient or unreadable answers say nothing about the account."""
        return self in INCONCLUSIVE_VERDICTS


INCONCLUSIVE_VERDICTS = frozenset(
    {Verdict.RATE_LIMITED, Verdict.SERVER_ERROR, Verdict.NETWORK_ERROR, Verdict.TIMEOUT, Verdict.UNRECOGNISED}
)


# Surface roles: GET /v1/projects gives the project id (paths and tickets need it); the public and the
# project model lists are evidence for "not entitled" vs "no such model".
PROJECT_LIST = "project_list"
MODEL_LIST = "model_list"
PROJECT_MODEL_LIST = "project_model_list"
ROLES = (PROJECT_LIST, MODEL_LIST, PROJECT_MODEL_LIST)


class Family(enum.StrEnum):
    """What kind of Deepgram product a surface belongs to: verdicts, controls and diagnosis branch on it,
    so the catalogue may only name one of these (validated when it is loaded)."""

    STT = "stt"  # Nova, Whisper, ... on /v1/listen
    FLUX = "flux"  # conversational STT on /v2/listen
    TTS = "tts"  # Aura on /v1/speak
    TTS_FLUX = "tts-flux"  # Flux TTS on /v2/speak
    READ = "read"  # text intelligence
    AGENT = "agent"  # voice agent
    MANAGE = "manage"  # projects, keys, models, auth


class Outcome(enum.StrEnum):
    """A verdict judged against the expectation for one (account, combination)."""

    AS_EXPECTED = "as_expected"
    UNEXPECTED_ALLOW = "unexpected_allow"
    UNEXPECTED_DENY = "unexpected_deny"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"  # not sent (budget, or a prerequisite such as the project id was missing)

    @property
    def breaks_contract(self) -> bool:
        return self in (Outcome.UNEXPECTED_ALLOW, Outcome.UNEXPECTED_DENY)


@dataclass(frozen=True)
class Surface:
    """One endpoint as Deepgram serves it: transport, method, path and what a minimal request carries."""

    name: str  # e.g. "listen-v1-ws"
    transport: Transport
    method: str
    path: str  # may contain {project_id}
    host: HostRole = "api"
    auth: bool = True  # send the key (GET /v1/models needs none)
    body: BodyKind = "none"
    model_param: bool = True  # the model goes in the query string as model=...
    close_message: dict[str, Any] | None = None  # sent to end a stream politely
    success_status: int = 200  # 101 for WebSocket
    family: Family = Family.MANAGE
    title: str = ""  # human label for the report columns, e.g. "wss /v1/listen"
    # What the engine uses this surface for besides its own cells (discovery and evidence), so no
    # catalogue name is a literal in code: one of model.ROLES, or None.
    role: str | None = None


@dataclass(frozen=True)
class Expectation:
    """What an account should get. `status` None means any status that gives the verdict."""

    verdict: Verdict
    status: int | None = None
    source: str = ""  # where it came from, for the evidence: "accounts.toml: payg[expect]['*::whisper-*']"


@dataclass(frozen=True)
class Combo:
    """One endpoint x model (or variant) combination with the minimal valid request."""

    id: str  # "<surface>::<variant>", stable, used in test ids and cassette names
    surface: Surface
    model: str | None = None
    params: tuple[tuple[str, str], ...] = ()  # query parameters besides model, in order
    json_body: Any = None  # for body == "json"
    send: tuple[dict[str, Any], ...] = ()  # text frames sent after the handshake (agent Settings)
    expect: Expectation | None = None  # intrinsic: what Deepgram does whatever the account
    tags: tuple[str, ...] = ()
    why: str = ""  # why this combination exists, shown in the report

    @property
    def variant(self) -> str:
        return self.id.split("::", 1)[1] if "::" in self.id else self.id

    def query(self) -> list[tuple[str, str]]:
        """The query string pairs, model first (never a key: keys go in headers only)."""
        pairs: list[tuple[str, str]] = []
        if self.model and self.surface.model_param:
            pairs.append(("model", self.model))
        pairs.extend(self.params)
        return pairs


@dataclass(frozen=True)
class Frame:
    """A server message on an accepted stream: JSON text parsed, binary summarised."""

    kind: Literal["text", "binary"]
    at_ms: float
    data: Any = None  # parsed JSON (dict) or the raw text; None for binary
    size: int = 0

    @property
    def type(self) -> str | None:
        return self.data.get("type") if isinstance(self.data, dict) else None


@dataclass(frozen=True)
class Attempt:
    """One try of a probe, kept so retries are shown and never hidden."""

    status: int | None
    error: str | None
    latency_ms: float
    waited_ms: float = 0.0  # backoff slept before this try
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Cost:
    """What a probe would put on a real bill."""

    requests: int = 0
    audio_seconds: float = 0.0
    characters: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.requests + other.requests,
            round(self.audio_seconds + other.audio_seconds, 3),
            self.characters + other.characters,
        )


@dataclass(frozen=True)
class RequestSummary:
    """What was sent, with no secret: the auth scheme only, never the credential."""

    method: str
    url: str  # scheme://host/path?query, never a key
    auth_scheme: str | None  # "Token", "Bearer", None
    body_bytes: int = 0


@dataclass(frozen=True)
class Observation:
    """Raw facts from one probe. The only thing the probe runner produces."""

    status: int | None  # HTTP status; 101 for an accepted WebSocket handshake; None when no answer
    headers: dict[str, str] = field(default_factory=dict)  # allow-listed, lower-case names
    body: Any = None  # parsed JSON, or text (bounded), or None
    body_kind: Literal["json", "text", "binary", "empty"] = "empty"
    body_size: int = 0
    content_type: str | None = None
    frames: tuple[Frame, ...] = ()
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: Literal["server", "client"] | None = None  # who ended an accepted stream
    error: str | None = None  # "timeout:connect", "timeout:read", "refused", "reset", "dns", "tls", ...
    error_detail: str | None = None
    latency_ms: float = 0.0
    attempts: tuple[Attempt, ...] = ()
    cost: Cost = Cost()
    request: RequestSummary | None = None
    at: str = ""  # UTC ISO time the probe started
    answered_by: str | None = None  # host:port that actually answered (differs from the request's after a redirect)

    @property
    def tries(self) -> int:
        return max(1, len(self.attempts))

    @property
    def request_id(self) -> str | None:
        rid = self.headers.get("dg-request-id")
        if rid:
            return rid
        if isinstance(self.body, dict):
            for key in ("request_id", "requestId"):
                if isinstance(self.body.get(key), str):
                    return str(self.body[key])
            meta = self.body.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("request_id"), str):
                return str(meta["request_id"])
        for frame in self.frames:
            if frame.type and isinstance(frame.data, dict) and isinstance(frame.data.get("request_id"), str):
                return str(frame.data["request_id"])
        return None

    @property
    def dg_error(self) -> str | None:
        return self.headers.get("dg-error")


@dataclass(frozen=True)
class Judgement:
    """A verdict with Deepgram's own words and the detail that decided it."""

    verdict: Verdict
    reason: str  # one sentence a person can read
    err_code: str | None = None
    err_msg: str | None = None
    parameter: str | None = None  # the offending query parameter(s), comma-joined
    model: str | None = None
    right_endpoint: str | None = None  # for WRONG_ENDPOINT
    details: str | None = None  # Deepgram's modern `details` (it often names the field)
    answered_by_deepgram: bool | None = None  # None: no evidence either way (see verdicts.who_answered)
    cause_hint: str | None = None  # a diagnosis cause the verdict evidence already decides (facts-driven)


@dataclass(frozen=True)
class Evidence:
    """One fact shown to a reader: a label and a value, optionally from a control probe."""

    label: str
    value: str


@dataclass(frozen=True)
class ControlResult:
    """A control probe run to tell causes apart (known-good model, bogus model, no key, ...)."""

    purpose: str  # "known_good_model", "bogus_model", "minimal_params", "no_key", "public_models", ...
    combo_id: str
    status: int | None
    verdict: Verdict
    request_id: str | None = None
    note: str = ""
    model: str | None = None  # the model the control probed (never recovered by splitting its id)


@dataclass(frozen=True)
class Diagnosis:
    """Why a cell came out as it did: a root cause, the evidence and one sentence to act on."""

    cause: str  # stable id, e.g. "malformed_request", "not_entitled", "no_such_model", "wrong_endpoint"
    title: str  # one line, e.g. "Unknown query parameter `channels` on /v2/listen"
    remedy: str  # one sentence
    severity: int  # higher = more serious, used to order the report panel
    is_entitlement: bool  # False says plainly: this is not an entitlement problem
    evidence: tuple[Evidence, ...] = ()
    controls: tuple[ControlResult, ...] = ()
    ticket: str | None = None  # ready-to-send support text for unexpected denies
    candidates: tuple[str, ...] = ()  # when the evidence cannot decide: the possible causes, most likely first


@dataclass(frozen=True)
class Cell:
    """One (account, combination) through the whole pipeline."""

    account: str
    combo_id: str
    surface: str
    variant: str
    model: str | None
    expectation: Expectation
    outcome: Outcome
    judgement: Judgement | None
    observation: Observation | None  # None when skipped
    diagnosis: Diagnosis | None = None
    skipped_reason: str | None = None
    # The combination itself, for every stage after the probe (not serialised: the run result carries
    # `RunResult.combos` instead, so a re-read run has what a reader needs without the catalogue).
    combo: Combo | None = field(default=None, compare=False, repr=False)

    @property
    def test_id(self) -> str:
        return f"{self.account}::{self.combo_id}"

    @property
    def retried(self) -> bool:
        return self.observation is not None and self.observation.tries > 1


@dataclass(frozen=True)
class AccountInfo:
    """What the report may say about an account: never the key, only its fingerprint."""

    alias: str
    fingerprint: str | None
    project_id: str | None
    base_url: str
    key_source: str  # "env:DEEPGRAM_API_KEY", "file:...", "literal (fake)", "none"


@dataclass(frozen=True)
class Drift:
    """A change against a baseline run for one cell."""

    account: str
    combo_id: str
    change: Literal["gained", "lost", "changed"]
    before: str
    after: str


@dataclass(frozen=True)
class ComboInfo:
    """What a reader of the report needs to know about one combination, without the catalogue."""

    surface: str
    model: str | None
    why: str = ""
    tags: tuple[str, ...] = ()
    # True when the catalogue fixes the outcome for every account (a check of the request shape,
    # e.g. Flux on /v1/listen): such rows are not about any account's entitlements.
    intrinsic: bool = False


@dataclass(frozen=True)
class RunResult:
    """The one document the report, the pytest layer, `diff` and CI read."""

    schema_version: int
    tool_version: str
    mode: str  # fake | live | replay
    started_at: str
    finished_at: str
    complete: bool  # False when interrupted: what finished is still here
    accounts: tuple[AccountInfo, ...]
    cells: tuple[Cell, ...]
    targets: dict[str, str] = field(default_factory=dict)  # rest/ws/agent base URLs
    surfaces: dict[str, str] = field(default_factory=dict)  # surface name -> column title, for re-rendering
    combos: dict[str, ComboInfo] = field(default_factory=dict)  # combo id -> why/tags/intrinsic, for readers
    cost: Cost = Cost()
    cassettes: dict[str, Any] = field(default_factory=dict)  # replay: recorded_at, age, warning
    drift: tuple[Drift, ...] = ()
    notes: tuple[str, ...] = ()
    status: str = ""  # runstatus.RunKind value: kept | broken | unmeasured | interrupted
    headline: str = ""  # the same in one sentence, for the report's first line

    def cell(self, account: str, combo_id: str) -> Cell:
        for cell in self.cells:
            if cell.account == account and cell.combo_id == combo_id:
                return cell
        raise KeyError(f"no cell {account}::{combo_id} in the run")

    def counts(self) -> dict[str, int]:
        out = {o.value: 0 for o in Outcome}
        for cell in self.cells:
            out[cell.outcome.value] += 1
        return out

    @property
    def contract_broken(self) -> bool:
        return any(c.outcome.breaks_contract for c in self.cells) or any(d.change == "lost" for d in self.drift)


SCHEMA_VERSION = 1

# A response body or stream message is kept, once its cell no longer needs it whole (judged, and
# diagnosed when it is explained), as at most this many characters of its JSON text: what the report
# files and the HTML show. Why in memory too: a run of 12,300 cells held 140 MB of model lists and
# transcripts that no reader ever saw past this excerpt.
BODY_BOUND = 2000
_CUT_NOTE = "… [cut: {} characters in all]"


def excerpt(value: Any) -> Any:
    """A body as kept: unchanged when its JSON text fits BODY_BOUND characters, else that text scrubbed,
    then cut so that it and a note of its full length fit BODY_BOUND (scrub first: a cut key is no
    longer recognisable). Idempotent: an excerpt is its own excerpt, so the run in memory, the
    checkpoint, the JSON file and the HTML all show the very same text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) <= BODY_BOUND:
        return value
    note = _CUT_NOTE.format(len(text))
    return bounded(text, BODY_BOUND - len(note)) + note


def compact_observation(observation: Observation) -> Observation:
    """The observation as kept once nothing needs its whole body: body and stream messages as excerpts."""
    body = excerpt(observation.body)
    frames = tuple(f if (data := excerpt(f.data)) is f.data else replace(f, data=data) for f in observation.frames)
    if body is observation.body and all(a is b for a, b in zip(frames, observation.frames, strict=True)):
        return observation
    return replace(observation, body=body, frames=frames)
