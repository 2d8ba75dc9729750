"""Vocabulary parameters (`keyterm`, `keywords`): which model takes which, and their limits.

Deepgram refuses these at the handshake/request, so a client that sends the wrong one to the wrong
model learns it from a 400 rather than from a quietly worse transcript. Sources (docs/fidelity.md):

- `keyterm` on a model other than Nova-3/Flux: 400 INVALID_QUERY_PARAMETER, observed live on the
  /v1/listen WS handshake (docs/deepgram-facts.md).
- `keywords` on Nova-3: 400 INVALID_QUERY_PARAMETER "Keywords are not supported for Nova-3. Please use
  `keyterm` instead." (REST body in https://github.com/braden-w/whispering/issues/5 and
  https://github.com/EpicenterHQ/epicenter/pull/895; a WS 400 in
  https://github.com/deepgram/deepgram-js-sdk/issues/474). Knob `keywords_on_nova3`.
- 500 tokens across all keyterms: DOCS https://developers.deepgram.com/docs/keyterm ("Key Term
  Limits") and https://github.com/deepgram/deepgram-python-sdk/issues/503 (400, same words). The
  tokenizer is not public: the fake counts whitespace-separated words, a lower bound. Knob
  `keyterm_max_tokens`.
- "up to 100" keyterms: DOCS keyterm page; no refusal observed, so `keyterm_max_count` is off (0).
- Flux keyterm text over 100 characters: a 400 in one report
  (https://github.com/deepgram/deepgram-python-sdk/issues/616); off (0) unless `flux_keyterm_max_chars`.
- Comma-joined lists (`keyterm=a,b` instead of `keyterm=a&keyterm=b`): accepted and treated as ONE
  literal term (https://github.com/LeonardoTrapani/hyprvoice/pull/42, one report), so the fake keeps
  the value whole (it counts as one term with all its words); `comma_joined_lists = "reject"` makes it
  a 400 for clients that want to catch the mistake.
"""

from __future__ import annotations

from .call import Call
from .errors import invalid_query

KEYTERM_ONLY_NOVA3 = "`keyterm` is only supported for Nova-3 and Flux. Please use `keywords` instead."
KEYWORDS_NOT_NOVA3 = "Keywords are not supported for Nova-3. Please use `keyterm` instead."
LIST_PARAMS = ("keyterm", "keywords")


def keyterm_tokens(terms: list[str]) -> int:
    """Words across all terms: Deepgram counts tokens, and every word is at least one."""
    return sum(len(term.split()) for term in terms)


def check_comma_joined(call: Call) -> None:
    if call.state.config.fidelity.comma_joined_lists != "reject":
        return
    for name in LIST_PARAMS:
        for value in call.q_all(name):
            if "," in value:
                raise invalid_query(f"`{name}` takes one term per parameter: repeat `{name}=` for each term "
                                    "instead of joining them with commas.")


def check_keyterm_limits(call: Call, *, flux: bool) -> None:
    fid = call.state.config.fidelity
    terms = call.q_all("keyterm")
    if not terms:
        return
    if fid.keyterm_max_count and len(terms) > fid.keyterm_max_count:
        raise invalid_query(f"Keyterm limit exceeded. The maximum number of keyterms is {fid.keyterm_max_count}.")
    if fid.keyterm_max_tokens and keyterm_tokens(terms) > fid.keyterm_max_tokens:
        raise invalid_query("Keyterm limit exceeded. The maximum number of tokens across all keyterms is "
                            f"{fid.keyterm_max_tokens}.")
    if flux and fid.flux_keyterm_max_chars and sum(len(t) for t in terms) > fid.flux_keyterm_max_chars:
        raise invalid_query(f"Keyterm limit exceeded. The maximum length of keyterms is {fid.flux_keyterm_max_chars} "
                            "characters.")


def check_v1(call: Call, arch: str | None) -> None:
    """/v1/listen (REST and WS): which vocabulary parameter the model takes, then the limits.

    `arch` is the model's architecture, or None when the model does not exist (its 403 comes later)."""
    check_comma_joined(call)
    if call.q_all("keyterm") and arch != "nova-3":
        raise invalid_query(KEYTERM_ONLY_NOVA3)
    if (call.q_all("keywords") and arch == "nova-3"
            and call.state.config.fidelity.keywords_on_nova3 == "reject"):
        raise invalid_query(KEYWORDS_NOT_NOVA3)
    check_keyterm_limits(call, flux=False)


def check_flux(call: Call) -> None:
    """/v2/listen: Flux takes only `keyterm` (unknown parameters are refused before auth)."""
    check_comma_joined(call)
    check_keyterm_limits(call, flux=True)
