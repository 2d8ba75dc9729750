"""Score the offline diagnosis against real-world Deepgram failure reports (tests/realworld/cases.json).

Why: our verdict/diagnosis code is tuned on Deepgram's own captures; users arrive with something messier
(a browser's 1006, an SDK's "non-101 status", a proxy's HTML page). Each case here is a public report whose
cause was confirmed by a maintainer, a merged fix or the reporter's own fix, so the score measures how often
`explain --offline` would have named the real cause from only what the user saw.

Usage: python tests/realworld/score.py [--cases tests/realworld/holdout.json] [--json reports/realworld.json]
(exit 2 if the diagnosis is missing; --cases defaults to cases.json, holdout.json is the held-out set)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CASES_PATH = Path(__file__).with_name("cases.json")

REQUEST_CAUSES = frozenset({
    "malformed_request", "key_in_url", "wrong_auth_scheme", "wrong_endpoint", "no_such_model",
    "unsupported_language", "feature_not_allowed", "undecodable_audio", "idle_timeout", "tts_rate_limit",
})
CREDENTIAL_CAUSES = frozenset({"invalid_key", "missing_key", "expired_token", "missing_scope"})
ENTITLEMENT_CAUSES = frozenset({"not_entitled", "not_entitled_or_no_such_model", "no_credits"})
OTHER_CAUSES = frozenset({
    "remote_media_error", "rate_limited", "server_error", "timeout", "network_error", "not_deepgram",
    "handshake_hidden", "status_only",
})
KNOWN_CAUSES = REQUEST_CAUSES | CREDENTIAL_CAUSES | ENTITLEMENT_CAUSES | OTHER_CAUSES
HIDDEN_CAUSES = frozenset({"status_only", "handshake_hidden"})


@dataclass(frozen=True)
class CaseResult:
    id: str
    expected: str
    acceptable: tuple[str, ...]
    got: str
    candidates: tuple[str, ...]
    right: bool
    blunder: bool


def load_cases(path: Path = CASES_PATH) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        cases = json.load(fh)
    if not isinstance(cases, list):
        raise ValueError(f"{path}: expected a JSON list of cases")
    return cases


def is_right(got: str, candidates: Sequence[str], confirmed: str, acceptable: Sequence[str]) -> bool:
    """Right = an accepted cause; a 'hidden' answer must also rank the confirmed cause in its top 3."""
    if got not in acceptable:
        return False
    if got in HIDDEN_CAUSES and got != confirmed:
        return confirmed in tuple(candidates)[:3]
    return True


def is_blunder(got: str, confirmed: str) -> bool:
    """A cross-class answer: entitlement for a request/credential problem, or the reverse."""
    request_side = REQUEST_CAUSES | CREDENTIAL_CAUSES
    return (got in ENTITLEMENT_CAUSES and confirmed in request_side) or (
        got in request_side and confirmed in ENTITLEMENT_CAUSES)


def score_case(case: dict[str, Any]) -> CaseResult:
    from dg_entitlements.offline import SeenAnswer, diagnose_answer

    seen = case["seen"]
    request = case["request"]
    answer = SeenAnswer(
        status=seen.get("status"), headers=dict(seen.get("headers", {})), body=seen.get("body"),
        close_code=seen.get("close_code"), close_reason=seen.get("close_reason"),
        client_error=seen.get("client_error"), frames=tuple(seen.get("frames", ())),
    )
    _judgement, diagnosis = diagnose_answer(request["url"], answer, method=request.get("method"),
                                            headers=list(request.get("headers", [])))
    got = diagnosis.cause
    candidates = tuple(diagnosis.candidates)
    confirmed = case["confirmed_cause"]
    acceptable = tuple(case["acceptable"])
    return CaseResult(id=case["id"], expected=confirmed, acceptable=acceptable, got=got, candidates=candidates,
                      right=is_right(got, candidates, confirmed, acceptable), blunder=is_blunder(got, confirmed))


def score(cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    results = [score_case(c) for c in cases]
    per_cause: dict[str, dict[str, int]] = {}
    for r in results:
        row = per_cause.setdefault(r.expected, {"total": 0, "right": 0, "blunders": 0})
        row["total"] += 1
        row["right"] += int(r.right)
        row["blunders"] += int(r.blunder)
    total = len(results)
    right = sum(r.right for r in results)
    return {
        "total": total, "right": right, "wrong": total - right,
        "blunders": sum(r.blunder for r in results),
        "per_cause": dict(sorted(per_cause.items())),
        "cases": [asdict(r) for r in results],
    }


def _print_table(summary: dict[str, Any]) -> None:
    total = summary["total"] or 1
    print(f"total {summary['total']}  right {summary['right']} ({summary['right'] / total:.0%})  "
          f"wrong {summary['wrong']}  cross-class blunders {summary['blunders']}")
    print(f"\n{'confirmed cause':<32}{'total':>6}{'right':>7}{'blunders':>10}")
    for cause, row in summary["per_cause"].items():
        print(f"{cause:<32}{row['total']:>6}{row['right']:>7}{row['blunders']:>10}")
    print(f"\n{'case':<46}{'expected':<24}{'got':<24}{'right':<9}top candidates")
    for c in summary["cases"]:
        mark = "yes" if c["right"] else ("BLUNDER" if c["blunder"] else "no")
        print(f"{c['id']:<46}{c['expected']:<24}{c['got']:<24}{mark:<9}{','.join(c['candidates'][:3])}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the score as JSON to this path")
    parser.add_argument("--cases", type=Path, default=CASES_PATH,
                        help="corpus to score (default cases.json; holdout.json is the held-out set)")
    args = parser.parse_args(argv)
    try:
        import dg_entitlements.offline  # noqa: F401
    except ImportError as exc:
        print(f"score.py: cannot import dg_entitlements.offline ({exc}); install the package "
              "(make install) or wait for offline.py to land", file=sys.stderr)
        return 2
    summary = score(load_cases(args.cases))
    _print_table(summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
