"""What the proxy prints: one line per exchange, and the suite's diagnosis for anything that went wrong.

Every string passes `secrets.scrub` (the credentials the app sent are registered with the scrubber the
moment the request arrives), so nothing printed can carry a key, even one the app put in a URL.
"""

from __future__ import annotations

from datetime import datetime

from ..model import Cell, Verdict
from ..secrets import scrub
from .exchange import Exchange
from .judging import Judged

VERDICT_WORDS = {v: v.value.replace("_", " ") for v in Verdict}


def _clock(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%H:%M:%S")
    except ValueError:
        return at[:8]


def answer_text(exchange: Exchange) -> str:
    """`200`, `101 close 1000`, `403`, `no answer (refused)`."""
    if exchange.status is None:
        return f"no answer ({exchange.error or 'unknown'})"
    if exchange.status != 101:
        return str(exchange.status)
    code = exchange.close_code if exchange.close_code is not None else "none"
    by = f" by {exchange.closed_by}" if exchange.closed_by else ""
    return f"101 close {code}{by}"


def summary_line(judged: Judged) -> str:
    ex, cell = judged.exchange, judged.cell
    verb = "WS" if ex.transport == "ws" else ex.method
    model = f"model={cell.model}" if cell.model else "-"
    verdict = VERDICT_WORDS[cell.judgement.verdict] if cell.judgement else "?"
    extra = f"  {ex.client_messages} in/{ex.frames_seen} out" if ex.transport == "ws" and ex.status == 101 else ""
    return scrub(f"{_clock(ex.at)}  {verb:<6} {ex.path}  {model}  {answer_text(ex)}  "
                 f"{ex.latency_ms:.0f}/{ex.duration_ms:.0f} ms{extra}  {verdict}")


def needs_explaining(cell: Cell) -> bool:
    """Refusals, abnormal closes, silent streams: anything but a clean allow."""
    return cell.judgement is not None and cell.judgement.verdict is not Verdict.ENTITLED


def diagnosis_lines(judged: Judged) -> list[str]:
    cell, ex = judged.cell, judged.exchange
    judgement = cell.judgement
    if judgement is None:
        return []
    out: list[str] = []
    diag = cell.diagnosis
    if diag is not None:
        scope = "" if diag.is_entitlement else " (not an entitlement problem)"
        out.append(f"  cause:      {diag.cause}: {diag.title}{scope}")
    out.append(f"  why:        {judgement.reason}")
    if judgement.err_code or judgement.err_msg:
        said = " ".join(p for p in (judgement.err_code, f'"{judgement.err_msg}"' if judgement.err_msg else "") if p)
        out.append(f"  Deepgram:   {said}")
    if ex.headers.get("dg-error") and ex.headers.get("dg-error") != judgement.err_msg:
        out.append(f"  dg-error:   {ex.headers['dg-error']}")
    if ex.close_code is not None and ex.status == 101:
        out.append(f"  close:      {ex.close_code} {ex.close_reason or ''}".rstrip())
    rid = cell.observation.request_id if cell.observation else None
    out.append(f"  request id: {rid or '(none returned)'}")
    out.append(f"  request:    {ex.method} {ex.url} (auth: {ex.auth.where}"
               f"{' ' + ex.auth.scheme if ex.auth.scheme else ''})")
    if diag is not None:
        out.append(f"  fix:        {diag.remedy}")
        if diag.candidates:
            out.append(f"  could be:   {', '.join(diag.candidates)}")
    return [scrub(line) for line in out]


def exchange_text(judged: Judged) -> str:
    lines = [summary_line(judged)]
    if needs_explaining(judged.cell):
        lines += diagnosis_lines(judged)
    return "\n".join(lines)
