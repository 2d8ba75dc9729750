"""The cassette layer's seams: one matching rule, a persister per context, the account mark, and
the narrow settings modes.py builds from the loaded configuration."""

from __future__ import annotations

import contextvars
from pathlib import Path

import pytest
from vcr import VCR
from vcr.request import Request as VcrRequest

from dg_entitlements.cassette import matching
from dg_entitlements.cassette.aliases import AliasMap, replay_credential
from dg_entitlements.cassette.http import ACCOUNT_OBSERVER, HTTP_FILE, SplitPersister, make_vcr
from dg_entitlements.cassette.matching import PROJECT_WILDCARD, covers, request_key, stream_key
from dg_entitlements.config import SuiteOptions, load
from dg_entitlements.modes import ModeEnv, cassette_settings, keys_for
from dg_entitlements.probe.request import ProbeRequest
from dg_entitlements.probe.runner import ProbeJob, ProbeObserver
from dg_entitlements.probe.target import Target
from dg_entitlements.secrets import ApiKey

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = "dgfake-unit-k1"  # clearly not a Deepgram key


# -- one rule ---------------------------------------------------------------------------------------

def test_a_recording_covers_the_same_method_path_and_query() -> None:
    recorded = request_key("get", "http://h:1/v1/projects/p-1/keys?a=1&b=2")
    assert recorded == ("GET", "/v1/projects/p-1/keys", "a=1&b=2")
    assert covers(recorded, request_key("GET", "http://other:2/v1/projects/p-1/keys?a=1&b=2"))  # host aside
    assert not covers(recorded, request_key("POST", "http://h:1/v1/projects/p-1/keys?a=1&b=2"))
    assert not covers(recorded, request_key("GET", "http://h:1/v1/projects/p-1/keys?b=2&a=1"))  # as sent
    assert not covers(recorded, request_key("GET", "http://h:1/v1/projects/p-1/keys"))


def test_the_project_wildcard_is_one_path_segment() -> None:
    wanted = request_key("GET", f"http://replay.invalid/v1/projects/{PROJECT_WILDCARD}/keys")
    assert covers(request_key("GET", "http://h/v1/projects/any-id/keys"), wanted)
    assert not covers(request_key("GET", "http://h/v1/projects/a/b/keys"), wanted)
    assert not covers(request_key("GET", "http://h/v1/projects/a/models"), wanted)


def test_stream_keys_follow_the_same_rule() -> None:
    url = "ws://h:1/v2/listen?model=flux-general-en&encoding=linear16"
    assert stream_key(url) == request_key("GET", url)[1:] == ("/v2/listen", "model=flux-general-en&encoding=linear16")
    assert covers(stream_key(url), stream_key(url.replace("h:1", "replay.invalid")))
    assert not covers(stream_key(url), request_key("GET", url))  # a stream never answers an HTTP request


def _vcr_request(uri: str, alias: str) -> VcrRequest:
    return VcrRequest("GET", uri, None, {"Authorization": f"alias:{alias}"})


def test_vcrpy_decides_by_the_same_rule() -> None:
    vcr = VCR()
    matching.configure(vcr)
    assert vcr.match_on == matching.MATCH_ON
    one = _vcr_request("http://a:1/v1/models?x=1", "acct-a")
    vcr.matchers["request"](one, _vcr_request("http://b:2/v1/models?x=1", "acct-a"))  # no error: a match
    with pytest.raises(AssertionError):
        vcr.matchers["request"](one, _vcr_request("http://a:1/v1/models?x=2", "acct-a"))
    with pytest.raises(AssertionError):
        vcr.matchers["account"](one, _vcr_request("http://a:1/v1/models?x=1", "acct-b"))


# -- the persister is an instance ----------------------------------------------------------------------

def _interaction(alias: str, path: str) -> tuple[VcrRequest, dict[str, object]]:
    request = _vcr_request(f"http://h:1{path}", alias)
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": '{"ok":true}'}}
    return request, response


def _save(persister: SplitPersister, *pairs: tuple[VcrRequest, dict[str, object]]) -> None:
    persister.save_cassette("unused", {"requests": [r for r, _ in pairs], "responses": [r for _, r in pairs]},
                            "yaml")


def test_two_persisters_share_nothing(tmp_path: Path) -> None:
    first = SplitPersister(tmp_path / "one", ("acct-a",))
    second = SplitPersister(tmp_path / "two", ("acct-a",))
    _save(first, _interaction("acct-a", "/v1/models"))
    assert (tmp_path / "one" / "acct-a" / HTTP_FILE).is_file()
    assert not (tmp_path / "two").exists()
    assert first.refreshed == {"acct-a": True} and second.refreshed == {}
    _save(second, _interaction("acct-a", "/v1/projects"))
    requests, _ = first.load_cassette("unused", "yaml")
    assert [r.path for r in requests] == ["/v1/models"]


def test_a_partial_save_is_not_a_refresh(tmp_path: Path) -> None:
    _save(SplitPersister(tmp_path, ("acct-a",)), _interaction("acct-a", "/v1/models"),
          _interaction("acct-a", "/v1/projects"))
    again = SplitPersister(tmp_path, ("acct-a",))
    _save(again, _interaction("acct-a", "/v1/models"))
    assert again.refreshed == {"acct-a": False}
    requests, _ = again.load_cassette("unused", "yaml")
    assert sorted(r.path for r in requests) == ["/v1/models", "/v1/projects"]  # the older answer is kept


# -- the account mark ------------------------------------------------------------------------------------

def _prepared(vcr: VCR, uri: str, authorization: str | None = None) -> VcrRequest:
    headers = {"Authorization": authorization} if authorization else {}
    prepared: VcrRequest = vcr.before_record_request(VcrRequest("GET", uri, None, headers))
    return prepared


def test_a_keyless_request_is_filed_under_the_account_its_probe_speaks_for(tmp_path: Path) -> None:
    vcr = make_vcr(SplitPersister(tmp_path, ("acct-a",)), AliasMap({FAKE_KEY: "acct-a"}), record=True)
    job = ProbeJob("id", ProbeRequest("models-v1::list", "http", "GET", "http://h/v1/models"), None, "acct-b")

    def in_probe_task() -> VcrRequest:
        assert ACCOUNT_OBSERVER.started is not None
        ACCOUNT_OBSERVER.started(job)
        return _prepared(vcr, "http://h/v1/models")

    assert contextvars.copy_context().run(in_probe_task).headers["Authorization"] == "alias:acct-b"
    assert _prepared(vcr, "http://h/v1/models").headers["Authorization"] == "alias:_public"  # no probe: no mark
    keyed = _prepared(vcr, "http://h/v1/projects", f"Token {FAKE_KEY}")
    assert keyed.headers["Authorization"] == "alias:acct-a" and FAKE_KEY not in str(keyed.headers)


# -- narrow settings, built once from the configuration ----------------------------------------------------

def test_settings_map_the_runs_keys_to_their_aliases(tmp_path: Path) -> None:
    loaded = load(SuiteOptions(root=str(ROOT), mode="replay", cassettes=str(tmp_path), alias_project_ids=True))
    aliases = sorted(a.alias for a in loaded.accounts.accounts)
    keys = keys_for(loaded, aliases)
    settings = cassette_settings(loaded, keys)
    assert settings.directory == tmp_path and settings.aliases == tuple(aliases) and settings.mode == "replay"
    assert settings.alias_project_ids and settings.max_age_days == loaded.options.max_cassette_age_days
    for alias, key in keys.items():
        assert key is not None
        assert settings.alias_map.alias_for_authorization(f"Token {key.reveal()}") == alias


def test_a_replayed_account_without_its_key_is_known_by_its_stand_in(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DG_UNIT_UNSET_KEY", raising=False)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[accounts.staging]\nkey_env = "DG_UNIT_UNSET_KEY"\n')
    loaded = load(SuiteOptions(root=str(ROOT), mode="replay", accounts=str(accounts)))
    keys = keys_for(loaded, ["staging"])
    key = keys["staging"]
    assert key is not None and key.reveal() == replay_credential("staging")
    assert cassette_settings(loaded, keys).alias_map.alias_for_credential(key.reveal()) == "staging"


def test_the_plan_carries_the_modes_observers_and_keys() -> None:
    from dg_entitlements.engine import build_plan

    loaded = load(SuiteOptions(root=str(ROOT), mode="fake"))
    pairs = [(loaded.accounts.accounts[0].alias, loaded.catalogue.combos[0].id)]
    observer = ProbeObserver()
    keys: dict[str, ApiKey | None] = {pairs[0][0]: ApiKey(FAKE_KEY, "test")}
    target = Target("http://127.0.0.1:9", "ws://127.0.0.1:9", "ws://127.0.0.1:9")
    plan = build_plan(loaded, pairs, ModeEnv({pairs[0][0]: target}, observers=(observer,), keys=keys))
    assert plan.observers == (observer,) and plan.keys is keys
