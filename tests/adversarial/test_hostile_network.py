"""The adversarial kit: the CLI, as a user runs it, against servers that are not Deepgram.

Issue 11 ("trustworthy in a hostile world"). Every misbehaving server of `servers.py` is driven by
`dg-entitlements check --dg-mode live` (the key in an environment variable) and by `dg-entitlements
explain` (the key in an Authorization header), all runs at once as subprocesses, and three things are
asserted on what they left behind:

1. every run ends within its documented bound (probe/timeouts.py constants, not a tight timing);
2. no cell is a denial or an allow when Deepgram did not answer: every verdict is inconclusive-class;
3. a canary key (40 hex) and a canary JWT, built at run time, appear in no file written and in no
   byte printed, in any encoding (plain, upper case, URL-encoded, base64 standard and URL-safe with
   and without padding at the three byte offsets, hex).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from dg_entitlements.model import Outcome
from dg_entitlements.probe.timeouts import MAX_PROBE_S
from dg_entitlements.report.json import read_json

from .servers import Server, kit_servers

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "dg-entitlements"
KEY_ENV = "DG_ADVERSARIAL_KEY"

# A check runs at most two rounds of probes one after the other (discovery, then the cells), each
# bounded by MAX_PROBE_S; a process also needs time to start and to write its reports on a busy
# 2-core machine. An explain is one round. These are outer bounds, derived from the constants.
STARTUP_ALLOWANCE_S = 40.0
CHECK_BOUND_S = 2 * MAX_PROBE_S + STARTUP_ALLOWANCE_S
EXPLAIN_BOUND_S = 2 * MAX_PROBE_S + STARTUP_ALLOWANCE_S  # the request itself, then its controls
HANG_GUARD_S = 600.0  # only so a regression fails instead of hanging the suite

CHECK_SCENARIOS = ("byte_headers", "slow_body", "endless_body", "never_answer", "ws_silence", "echo_text",
                   "echo_binary", "proxy_407", "waf_403", "portal_200", "redirect")
RECORDED = ("echo_text", "echo_binary")  # also written as cassettes: the binary body must be scrubbed
NOT_DEEPGRAM_VERDICT = tuple(s for s in CHECK_SCENARIOS if s not in ("echo_text", "echo_binary"))
MIDDLEBOX = ("proxy_407", "waf_403", "portal_200")  # judged by verdicts.py (another helper's work)
EXPLAIN_SCENARIOS = ("ws_silence", "echo_text", "echo_binary", "redirect", "byte_headers", "waf_403")


def canary_key() -> str:
    """40 lower-case hex characters, unique per run: shaped exactly like a real Deepgram key."""
    return hashlib.sha1(b"adversarial-canary-" + os.urandom(8)).hexdigest()


def canary_jwt() -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    nonce = os.urandom(6).hex()
    return (part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": f"canary-{nonce}", "exp": 4102444800})
            + "." + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="))


def leak_forms(secret: str) -> dict[str, str]:
    """Every encoding the brief names. Base64 of a secret inside a longer text depends on its byte
    offset mod 3: the part that depends only on the secret is computed for each offset."""
    raw = secret.encode()
    forms = {"plain": secret, "upper": secret.upper(), "url": urllib.parse.quote(secret, safe=""),
             "url+": urllib.parse.quote_plus(f"Token {secret}").split("+", 1)[1],
             "hex": raw.hex(), "HEX": raw.hex().upper()}
    for offset in range(3):
        total = offset + len(raw)
        full = base64.b64encode(b"\0" * offset + raw).decode()
        core = full[(4 if offset else 0):4 * (total // 3)]
        forms[f"b64@{offset}"] = core
        forms[f"b64url@{offset}"] = core.replace("+", "-").replace("/", "_")
    forms["b64-padded"] = base64.b64encode(raw).decode()
    forms["b64url-unpadded"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return forms


@dataclass
class Run:
    name: str
    kind: str  # check | explain
    args: list[str]
    report_dir: Path | None
    seconds: float = 0.0
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def _catalogue(tmp: Path) -> Path:
    """The shipped surfaces and controls with three combinations: REST, streaming and Flux."""
    text = (ROOT / "src/dg_entitlements/data/catalogue.toml").read_text()
    head = text[:text.index("[[combos]]")]
    controls = text[text.index("[controls]"):]
    combos = """
[[combos]]
surface = "listen-v1-rest"
models = ["nova-3"]

[[combos]]
surface = "listen-v2-ws"
models = ["flux-general-en"]
params = { encoding = "linear16", sample_rate = "16000" }

[[combos]]
surface = "speak-v1-rest"
models = ["aura-2-thalia-en"]
json_body = { text = "Hi." }

"""
    path = tmp / "catalogue.toml"
    path.write_text(head + combos + controls)
    return path


def _runs(tmp: Path, servers: dict[str, Server], key: str, jwt: str) -> list[Run]:
    accounts = tmp / "accounts.toml"
    accounts.write_text(f'[accounts.adv]\nkey_env = "{KEY_ENV}"\n')
    catalogue = _catalogue(tmp)
    runs = []
    for name in CHECK_SCENARIOS:
        report_dir = tmp / f"check-{name}"
        args = ["check", "--dg-mode", "live", "--dg-base-url", f"http://127.0.0.1:{servers[name].port}",
                "--dg-accounts", str(accounts), "--dg-catalogue", str(catalogue), "--dg-report-dir", str(report_dir),
                "--dg-no-controls"]
        if name in RECORDED:
            args += ["--dg-record", "--dg-cassettes", str(tmp / f"cassettes-{name}")]
        runs.append(Run(name, "check", args, report_dir))
    for name in EXPLAIN_SCENARIOS:
        url = f"ws://127.0.0.1:{servers[name].port}/v2/listen?model=flux-general-en"
        shipped = ["--catalogue", str(ROOT / "src/dg_entitlements/data/catalogue.toml")]
        runs.append(Run(name, "explain", ["explain", url, "-H", f"Authorization: Token {key}", *shipped], None))
        runs.append(Run(f"{name}-jwt", "explain", ["explain", url, "-H", f"Authorization: Bearer {jwt}", *shipped],
                        None))
    # A key pasted into the URL, URL-encoded: explain must not print it back.
    port = servers["echo_text"].port
    runs.append(Run("key-in-url", "explain", [
        "explain", f"http://127.0.0.1:{port}/v1/listen?model=nova-3&authorization=Token%20{key}",
        "--catalogue", str(ROOT / "src/dg_entitlements/data/catalogue.toml")], None))
    return runs


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Run], dict[str, Server], Path, str, str]:
    tmp = tmp_path_factory.mktemp("adversarial")
    key, jwt = canary_key(), canary_jwt()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM")}
    env[KEY_ENV] = key
    with kit_servers() as servers:
        runs = _runs(tmp, servers, key, jwt)
        procs = []
        for run in runs:
            started = time.monotonic()
            proc = subprocess.Popen([str(CLI), *run.args], cwd=tmp, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            procs.append((run, proc, started))
        for run, proc, started in procs:
            try:
                run.stdout, run.stderr = proc.communicate(timeout=max(1.0, HANG_GUARD_S - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                proc.kill()
                run.stdout, run.stderr = proc.communicate()
            run.seconds = time.monotonic() - started
            run.returncode = proc.returncode
        snapshot = {name: Server(s.name, s.behaviour, s.port, list(s.hits), s.other_port)
                    for name, s in servers.items()}
    return runs, snapshot, tmp, key, jwt


def _by(runs: list[Run], kind: str) -> list[Run]:
    return [r for r in runs if r.kind == kind]


def test_every_run_ends_within_its_documented_bound(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    runs = kit[0]
    slow = [(r.kind, r.name, round(r.seconds, 1)) for r in runs
            if r.seconds > (CHECK_BOUND_S if r.kind == "check" else EXPLAIN_BOUND_S)]
    assert not slow, f"runs past their bound (check {CHECK_BOUND_S} s, explain {EXPLAIN_BOUND_S} s): {slow}"


def test_no_run_crashes(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    """Exit codes the CLI documents (0 kept, 1 broken, 2 bad input, 3 nothing measured), never a traceback."""
    bad = [(r.kind, r.name, r.returncode, r.stderr[-600:]) for r in kit[0]
           if r.returncode not in (0, 1, 2, 3) or "Traceback (most recent call last)" in r.stderr]
    assert not bad, bad


def test_every_probe_stays_inside_max_probe_s(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    """Recorded facts, not wall time: the tries and retry waits of each probe fit in MAX_PROBE_S."""
    over = []
    for run in _by(kit[0], "check"):
        assert run.report_dir is not None
        result = read_json(run.report_dir / "entitlements.json")
        for cell in result.cells:
            obs = cell.observation
            if obs is None:
                continue
            spent_ms = sum(a.latency_ms + a.waited_ms for a in obs.attempts)
            if spent_ms > MAX_PROBE_S * 1000:
                over.append((run.name, cell.test_id, spent_ms))
    assert not over, over


def _verdict_problems(runs: list[Run], scenarios: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    problems = []
    for run in _by(runs, "check"):
        if run.name not in scenarios:
            continue
        assert run.report_dir is not None
        result = read_json(run.report_dir / "entitlements.json")
        assert result.cells, run.name
        for cell in result.cells:
            verdict = cell.judgement.verdict if cell.judgement else None
            ok = (cell.outcome in (Outcome.INCONCLUSIVE, Outcome.SKIPPED)
                  and (verdict is None or verdict.is_inconclusive))
            if not ok:
                problems.append((run.name, cell.test_id, str(cell.outcome), str(verdict)))
    return problems


def test_no_verdict_when_deepgram_did_not_answer(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    transport = tuple(s for s in NOT_DEEPGRAM_VERDICT if s not in MIDDLEBOX)
    problems = _verdict_problems(kit[0], transport)
    assert not problems, problems


def test_middlebox_pages_are_not_verdicts(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    """A proxy's 407, a WAF's 403 page, a captive portal's 200 page say nothing about the account."""
    problems = _verdict_problems(kit[0], MIDDLEBOX)
    assert not problems, problems


def test_redirects_are_recorded_not_followed(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    runs, servers = kit[0], kit[1]
    assert servers["redirect"].hits, "the redirecting server was never asked: the kit is broken"
    assert servers["redirect_target"].hits == [], "a redirect was followed to another origin"
    run = next(r for r in _by(runs, "check") if r.name == "redirect")
    assert run.report_dir is not None
    result = read_json(run.report_dir / "entitlements.json")
    for cell in result.cells:
        obs = cell.observation
        if obs is not None and obs.status is not None:
            assert obs.status == 302 and "127.0.0.1" in obs.headers.get("location", ""), (cell.test_id, obs.status)


def test_canaries_appear_nowhere(kit: tuple[list[Run], dict[str, Server], Path, str, str]) -> None:
    runs, servers, tmp, key, jwt = kit
    assert any(servers[s].hits for s in ("echo_text", "echo_binary")), "the echo servers were never asked"
    forms = {f"key:{name}": value for name, value in leak_forms(key).items()}
    forms |= {f"jwt:{name}": value for name, value in leak_forms(jwt).items()}
    places: dict[str, bytes] = {}
    for path in tmp.rglob("*"):
        if path.is_file() and path.name not in ("accounts.toml", "catalogue.toml"):
            data = path.read_bytes()
            places[str(path.relative_to(tmp))] = data
            # base64 blocks are wrapped (YAML `!!binary`): joined, a wrapped copy is found too
            places[f"{path.relative_to(tmp)} (whitespace removed)"] = re.sub(rb"\s+", b"", data)
    for run in runs:
        places[f"{run.kind}:{run.name}:stdout"] = run.stdout.encode("utf-8", "surrogateescape")
        places[f"{run.kind}:{run.name}:stderr"] = run.stderr.encode("utf-8", "surrogateescape")
    assert any(name.endswith(".yaml") for name in places), "no cassette was written: the kit is broken"
    leaks = [(place, form) for place, data in places.items() for form, value in forms.items()
             if value.encode() in data]
    assert not leaks, leaks[:20]


if __name__ == "__main__":  # pragma: no cover - a convenience for running the kit by hand
    sys.exit(pytest.main([__file__, "-q", "-p", "no:randomly"]))
