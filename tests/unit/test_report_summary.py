"""The first screen: per account what it has, lacks and why; trap rows apart; one block per account x cause."""

from __future__ import annotations

import dataclasses
import re

from dg_entitlements.report.html import render_matrix, render_page
from dg_entitlements.report.sample import SAMPLE_COLUMNS, WIDE_COLUMNS, failing_run, rid, sample_run
from dg_entitlements.report.summary import LEAK_HEADING, account_summaries, cause_groups, trap_rows


def test_each_model_lands_in_one_bucket_per_account() -> None:
    s = {a.alias: a for a in account_summaries(failing_run())}
    nf = s["payg-no-flux"]
    assert [i.name for i in nf.lacks] == ["whisper-medium", "whisper-large", "flux-general-en"]
    assert nf.lacks[0].where == ("POST /v1/listen", "wss /v1/listen")
    assert not nf.other and not nf.unmeasured
    nc = s["no-credits"]
    assert not nc.lacks  # out of credits is not "not entitled"
    assert [reason for reason, _ in nc.other] == ["no credits"]
    assert "nova-3" in [i.name for i in nc.other[0][1]] and "POST /v1/read" in [i.name for i in nc.other[0][1]]
    assert [i.name for i in s["payg-full"].unmeasured] == ["GET /v1/projects/{id}/models"]


def test_the_line_a_reader_reads() -> None:
    s = {a.alias: a.sentence() for a in account_summaries(failing_run())}
    assert s["payg-no-flux"] == (
        "payg-no-flux has 8 models and 6 other endpoints, including flux-general-multi which it was expected "
        "to lack (entitlement leak); lacks whisper-medium, whisper-large, flux-general-en (not entitled)."
    )
    assert s["no-credits"].startswith(
        "no-credits has 5 other endpoints; lacks nothing it was tested for; could not use"
    )
    assert s["no-credits"].endswith("aura-asteria-en, POST /v1/read (no credits).")
    assert "not measured: GET /v1/projects/{id}/models" in s["payg-full"]


def test_trap_rows_are_apart_with_their_why_and_never_an_accounts_lack() -> None:
    run = failing_run()
    traps = trap_rows(run)
    assert [t.name for t in traps] == ["nova-3-genral", "flux-general-en", "flux-general-en+channels"]
    genral = traps[0]
    assert genral.kept and genral.got == "403 not entitled" and "misspelled" in genral.why
    assert len(genral.cells) == 3  # one per account, the same answer
    for s in account_summaries(run):
        names = [i.name for i in (*s.lacks, *(i for _, items in s.other for i in items))]
        assert "nova-3-genral" not in names and "flux-general-en+channels" not in names


def test_one_block_and_one_ticket_per_account_and_cause_most_serious_first() -> None:
    groups = cause_groups(failing_run())
    assert [(g.account, g.cause) for g in groups] == [
        ("no-credits", "no_credits"),
        ("payg-no-flux", "unexpected_allow"),
        ("payg-full", "timeout"),
    ]
    credits = groups[0]
    assert len(credits.cells) == 21 and credits.ticket is not None
    assert credits.ticket.count("Hello Deepgram support") == 1
    ids = [c.observation.request_id for c in credits.cells if c.observation]
    assert all(i and i in credits.ticket for i in ids)  # every request id, once
    assert groups[1].heading == LEAK_HEADING


def test_the_page_answers_who_lacks_what_before_the_matrix() -> None:
    html = render_page(failing_run(), WIDE_COLUMNS)
    summary = html[html.index('id="dge-summary"') : html.index('id="dge-diagnosis"')]
    lines = re.findall(r'<li class="dge-acct-line (\w+)" data-account="([^"]+)"', summary)
    assert lines == [("kept", "payg-full"), ("broken", "payg-no-flux"), ("broken", "no-credits")]
    assert "Lacks (not entitled):" in summary and "Failed, no credits:" in summary
    assert html.index('id="dge-summary"') < html.index('id="dge-traps"') < html.index('class="dge-matrix"')
    traps = html[html.index('id="dge-traps"') : html.index('class="dge-matrix"')]
    assert "the same for every account" in traps and "misspelled model" in traps
    assert html.count('class="dge-cause"') == 3
    assert "Entitlement leak" in html
    assert '<meta name="color-scheme" content="light dark">' in html


def test_sample_page_shows_the_catalogues_why_in_the_evidence() -> None:
    html = render_matrix(sample_run(), SAMPLE_COLUMNS)
    assert "Why this row" in html and "Flux rejects the `channels` parameter" in html
    assert rid(5) in html


def test_a_403_for_a_model_that_does_not_exist_is_not_a_lack() -> None:
    # Deepgram answers a misspelled model with the same 403 as a model the account lacks; when the
    # diagnosis decided "no such model" from the model lists, the account does not lack it.
    from dg_entitlements.model import Diagnosis, Outcome, Verdict
    from dg_entitlements.report.sample import cell

    nsm = Diagnosis("no_such_model", "No model `nova-9` exists", "Fix the model name.", 50, False)
    run = dataclasses.replace(
        sample_run(),
        combos={},
        cells=(
            cell("a", "listen-v1-rest", "nova-9", Outcome.UNEXPECTED_DENY, Verdict.NOT_ENTITLED, 403, diagnosis=nsm),
            cell("a", "listen-v1-rest", "flux-general-en", Outcome.AS_EXPECTED, Verdict.NOT_ENTITLED, 403),
        ),
    )
    (s,) = [x for x in account_summaries(run) if x.alias == "a"]
    assert [i.name for i in s.lacks] == ["flux-general-en"]
    assert [(r, [i.name for i in items]) for r, items in s.other] == [("no such model", ["nova-9"])]
