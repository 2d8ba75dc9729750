"""The same answer, shown the way different clients show it, gets the same diagnosis.

Real reports rarely carry Deepgram's answer as the server sent it: Node's `ws` prints "Unexpected server
response: 401 - {body}", the Python SDKs print the body as a dict inside an `ApiError`, a log line cuts a long
body short. For every refusal in the reference captures (verbatim status and JSON body), each presentation below
must lead to the cause the original answer leads to. A property of the reading, not of any one report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from captures import CAPTURES, Capture

from dg_entitlements.offline import SeenAnswer, diagnose_answer


def _body(capture: Capture) -> dict[str, Any] | None:
    try:
        body = json.loads(capture.body or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


REFUSALS = [c for c in CAPTURES if c.status is not None and c.status >= 400 and _body(c) is not None
            and not c.frames and c.close_code is None]


def node_ws(capture: Capture) -> SeenAnswer:
    return SeenAnswer(client_error=f"Unexpected server response: {capture.status} - {capture.body}")


def python_sdk(capture: Capture) -> SeenAnswer:
    return SeenAnswer(client_error=f"deepgram.core.api_error.ApiError: status_code: {capture.status}, "
                                   f"body: {_body(capture)!r}")


def cut_log_line(capture: Capture) -> SeenAnswer:
    body = capture.body or ""
    return SeenAnswer(status=capture.status, headers=dict(capture.headers), body=body[: max(60, len(body) * 3 // 4)])


PRESENTATIONS: dict[str, Callable[[Capture], SeenAnswer]] = {
    "node-ws": node_ws, "python-sdk-dict": python_sdk, "cut-log-line": cut_log_line,
}


def _cause(capture: Capture, answer: SeenAnswer) -> str:
    url = capture.observation().request.url  # type: ignore[union-attr]
    method = capture.combo().surface.method
    return diagnose_answer(url, answer, method=method, headers=["Authorization: Token dgfake-presentation"])[1].cause


@pytest.mark.parametrize("presentation", sorted(PRESENTATIONS))
@pytest.mark.parametrize("capture", REFUSALS, ids=lambda c: c.name)
def test_a_client_showing_the_answer_its_own_way_gets_the_same_cause(capture: Capture, presentation: str) -> None:
    original = _cause(capture, SeenAnswer(status=capture.status, headers=dict(capture.headers), body=capture.body))
    assert _cause(capture, PRESENTATIONS[presentation](capture)) == original, capture.section


def test_there_are_enough_refusals_to_mean_something() -> None:
    assert len(REFUSALS) >= 15
