"""An exchange the app made, judged exactly as the suite judges its own probes (pure).

The same path as `explain --offline`: the request is mapped onto the catalogue (`combo_for`), the answer
becomes an Observation, then `judge`, `outcome_for` and `diagnose` run unchanged. The app expected its
request to work, so the expectation is the surface's success and every refusal is an unexpected deny,
which is what gives it a diagnosis (and a support ticket when Deepgram is the one to ask).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..catalogue import Catalogue
from ..diagnosis import DiagnosisContext, diagnose
from ..model import AccountInfo, Cell, Combo, Expectation, Verdict
from ..outcomes import outcome_for
from ..userrequest import combo_for
from ..verdicts import judge
from .exchange import Exchange

SOURCE = "proxy: the app's own request"


@dataclass(frozen=True)
class Judged:
    """An exchange with its combination and the suite's cell for it."""

    exchange: Exchange
    combo: Combo
    cell: Cell


def combo_of(catalogue: Catalogue, exchange: Exchange) -> Combo:
    return combo_for(catalogue, exchange.url, exchange.method)


def account_info(exchange: Exchange, base_url: str) -> AccountInfo:
    return AccountInfo(alias=exchange.account, fingerprint=exchange.account if exchange.account != "no-key" else None,
                       project_id=None, base_url=base_url, key_source="the app's request (proxy)")


def judge_exchange(catalogue: Catalogue, exchange: Exchange, base_url: str, seq: int) -> Judged:
    """The cell for one exchange; `seq` keeps two requests to the same combination apart in the report."""
    combo = combo_of(catalogue, exchange)
    observation = exchange.observation(answered_by=None)
    judgement = judge(observation, combo)
    expectation = Expectation(Verdict.ENTITLED, combo.surface.success_status, source=SOURCE)
    outcome = outcome_for(expectation, judgement, observation.status)
    cell_id = f"{combo.id}#{seq}"
    cell = Cell(account=exchange.account, combo_id=cell_id, surface=combo.surface.name, variant=combo.variant,
                model=combo.model, expectation=expectation, outcome=outcome, judgement=judgement,
                observation=observation, combo=replace(combo, id=cell_id))
    ctx = DiagnosisContext(account=account_info(exchange, base_url), public_models=None, project_models=None,
                           auth=exchange.auth)
    cell = replace(cell, diagnosis=diagnose(cell, combo, ctx))
    return Judged(exchange=exchange, combo=combo, cell=cell)
