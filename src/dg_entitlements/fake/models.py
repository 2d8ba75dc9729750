"""The fake's model registry: which models exist, how Deepgram names them, and who may use them.

Existence and entitlement are separate questions here because Deepgram answers them differently
per family: an STT model that does not exist and one the project lacks both give 403, while a TTS
voice that does not exist gives 400. The public list never shows Flux STT, so a client cannot use
it to decide Flux entitlement (docs/deepgram-facts.md); project listings do show it.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .config import FakeAccount

_NS = uuid.UUID("6f0d7a4e-1c55-4d2b-9d7e-fa4e0000d9a1")

EN_WIDE = ("en", "en-US", "en-GB", "en-AU", "en-IN", "en-NZ")
NOVA3_LANGS = (*EN_WIDE, "multi", "es", "es-419", "fr", "de", "hi", "ru", "pt", "pt-BR", "ja", "it", "nl")
NOVA2_LANGS = (*EN_WIDE, "multi", "es", "fr", "de", "hi", "ru", "pt", "ja", "it", "nl", "ko", "zh", "sv", "da")
LANGUAGE_NAMES = {
    "en": "English", "en-US": "English (US)", "en-GB": "English (UK)", "en-AU": "English (Australia)",
    "en-IN": "English (India)", "en-NZ": "English (New Zealand)", "en-IE": "English (Ireland)", "multi": "Multilingual",
    "es": "Spanish", "es-419": "Spanish (Latin America)", "fr": "French", "de": "German", "hi": "Hindi",
    "ru": "Russian", "pt": "Portuguese", "pt-BR": "Portuguese (Brazil)", "ja": "Japanese", "it": "Italian",
    "nl": "Dutch", "ko": "Korean", "zh": "Chinese", "sv": "Swedish", "da": "Danish",
}


@functools.cache
def model_uuid(name: str) -> str:
    """Stable per name, so recordings and assertions do not churn between runs. Cached: every model list
    the fake serves names each model's uuid, and a SHA-1 per model per list was a tenth of its work."""
    return str(uuid.uuid5(_NS, name))


@dataclass(frozen=True)
class SttModel:
    canonical_name: str  # nova-3-general
    arch: str  # nova-3, nova-2, nova, enhanced, base, whisper, flux
    domain: str  # general, medical, phonecall, ...
    languages: tuple[str, ...]
    version: str
    batch: bool = True
    streaming: bool = True
    public: bool = True  # listed in GET /v1/models (never Flux)

    @property
    def uuid(self) -> str:
        return model_uuid(self.canonical_name)

    @property
    def is_flux(self) -> bool:
        return self.arch == "flux"

    @property
    def info_name(self) -> str:
        """The `model_info.name` Deepgram puts in results: "2-phonecall-nova", "general-nova-3"."""
        if self.arch == "nova-2":
            return f"2-{self.domain}-nova"
        return f"{self.domain}-{self.arch}"

    def model_info(self) -> dict[str, str]:
        return {"name": self.info_name, "version": self.version, "arch": self.arch}

    def listing(self) -> dict[str, Any]:
        return {
            "name": self.domain, "canonical_name": self.canonical_name, "architecture": self.arch.replace("-", ""),
            "languages": list(self.languages), "version": self.version, "uuid": self.uuid, "batch": self.batch,
            "streaming": self.streaming, "formatted_output": self.arch in ("nova-3", "nova-2", "whisper"),
            "multilingual": "multi" in self.languages,
        }


@dataclass(frozen=True)
class TtsVoice:
    canonical_name: str  # aura-2-thalia-en
    arch: str  # aura, aura-2, flux-tts
    voice: str
    languages: tuple[str, ...]
    accent: str
    tags: tuple[str, ...]
    version: str = "2025-04-07.0"

    @property
    def uuid(self) -> str:
        return model_uuid(self.canonical_name)

    @property
    def is_flux(self) -> bool:
        return self.arch == "flux-tts"

    def listing(self) -> dict[str, Any]:
        return {
            "name": self.voice, "canonical_name": self.canonical_name, "architecture": self.arch,
            "languages": list(self.languages), "version": self.version, "uuid": self.uuid,
            "metadata": {
                "accent": self.accent, "age": "Adult", "color": "#A3B1F5",
                "image": f"https://static.deepgram.com/examples/avatars/{self.voice}.jpg",
                "sample": f"https://static.deepgram.com/examples/voices/{self.voice}.wav",
                "tags": list(self.tags), "use_cases": ["conversational"], "display_name": self.voice.title(),
            },
        }


def _stt() -> list[SttModel]:
    out: list[SttModel] = []
    for domain in ("general", "medical"):
        out.append(SttModel(f"nova-3-{domain}", "nova-3", domain, NOVA3_LANGS if domain == "general" else EN_WIDE,
                            "2025-01-09.0"))
    for domain in ("general", "meeting", "finance", "conversationalai", "voicemail", "video", "medical",
                   "drivethru", "automotive", "phonecall", "atc"):
        langs = NOVA2_LANGS if domain == "general" else ("en", "en-US")
        out.append(SttModel(f"nova-2-{domain}", "nova-2", domain, langs, "2024-02-07.20824"))
    for domain in ("general", "phonecall", "medical"):
        out.append(SttModel(f"nova-{domain}", "nova", domain, ("en", "en-US"), "2024-01-18.26916"))
    for domain in ("general", "meeting", "phonecall", "finance"):
        out.append(SttModel(f"enhanced-{domain}", "enhanced", domain, ("en", "en-US", "es"), "2022-05-18.0"))
    for domain in ("general", "meeting", "phonecall", "finance", "conversationalai", "voicemail", "video"):
        out.append(SttModel(f"base-{domain}", "base", domain, ("en", "en-US", "es"), "2021-03-17.0"))
    for size in ("tiny", "base", "small", "medium", "large"):
        out.append(SttModel(f"whisper-{size}", "whisper", size, ("en", "es", "fr", "de"), "2023-09-06.0",
                            streaming=False))
    out.append(SttModel("flux-general-en", "flux", "general", ("en",), "2025-09-29.0", batch=False, public=False))
    out.append(SttModel("flux-general-multi", "flux", "general", ("en", "es", "fr", "de", "hi", "ru", "pt", "ja",
                                                                   "it", "nl", "multi"),
                        "2026-05-12.0", batch=False, public=False))
    return out


# Aliases Deepgram accepts for `model=`: the bare family name means its general model, and the Base
# models answer to their domain alone ("phonecall").
STT_ALIASES = {"nova-3": "nova-3-general", "nova-2": "nova-2-general", "nova": "nova-general",
               "enhanced": "enhanced-general", "base": "base-general", "general": "base-general",
               **{d: f"base-{d}" for d in ("meeting", "phonecall", "finance", "conversationalai", "voicemail",
                                           "video")}}

AURA1 = ("angus", "arcas", "asteria", "athena", "helios", "hera", "luna", "orion", "orpheus", "perseus", "stella",
         "zeus")
AURA2 = {
    "en": ("amalthea", "andromeda", "apollo", "arcas", "aries", "asteria", "athena", "atlas", "aurora", "callista",
           "cora", "cordelia", "delia", "draco", "electra", "harmonia", "helena", "hera", "hermes", "hyperion",
           "iris", "janus", "juno", "jupiter", "luna", "mars", "minerva", "neptune", "odysseus", "ophelia",
           "orion", "orpheus", "pandora", "phoebe", "pluto", "saturn", "selene", "thalia", "theia", "vesta",
           "zeus"),
    "es": ("celeste", "estrella", "nestor", "sirio", "carina", "alvaro", "diana", "aquila", "selena", "javier"),
    "de": ("viktoria", "julius", "elara", "fabian", "aurelia", "lara", "kara"),
    "nl": ("rhea", "sander", "beatrix", "daphne", "cornelia", "hestia", "lars", "roman", "leda"),
    "fr": ("agathe", "hector"),
    "it": ("livia", "dionisio", "melia", "elio", "flavio", "maia", "cinzia", "cesare", "perseo", "demetra"),
    "ja": ("fujin", "izanami", "uzume", "ebisu", "ama"),
}
# Only flux-alexis-en and flux-kit-en are named in the reference; the rest stand in for the 36 voices.
FLUX_TTS = ("alexis", "kit", "nova", "milo", "ivy", "jonah", "sage", "remy")

_FEMININE = {"asteria", "athena", "hera", "luna", "stella", "thalia", "celeste", "alexis", "kit"}


def _tts() -> list[TtsVoice]:
    out = [TtsVoice(f"aura-{v}-en", "aura", v, ("en", "en-US"), "American",
                    ("feminine",) if v in _FEMININE else ("masculine",), "2024-11-19.0") for v in AURA1]
    for lang, voices in AURA2.items():
        out.extend(TtsVoice(f"aura-2-{v}-{lang}", "aura-2", v, (lang,), lang.upper(),
                            ("feminine",) if v in _FEMININE else ("masculine",)) for v in voices)
    out.extend(TtsVoice(f"flux-{v}-en", "flux-tts", v, ("en", "en-US"), "American", ("conversational",),
                        "2026-08-12.0") for v in FLUX_TTS)
    return out


TTS_WELL_FORMED = re.compile(r"(aura-(?:2-)?[a-z]+-[a-z]{2}|flux-[a-z]+-[a-z]{2})")


@dataclass(frozen=True)
class Registry:
    """Every model the fake knows, by the names a client may send."""

    stt: dict[str, SttModel] = field(default_factory=lambda: {m.canonical_name: m for m in _stt()})
    tts: dict[str, TtsVoice] = field(default_factory=lambda: {v.canonical_name: v for v in _tts()})

    def find_stt(self, name: str) -> SttModel | None:
        return self.stt.get(STT_ALIASES.get(name, name))

    def find_tts(self, name: str) -> TtsVoice | None:
        return self.tts.get(name)

    def find_any(self, name_or_uuid: str) -> SttModel | TtsVoice | None:
        items: list[SttModel | TtsVoice] = [*self.stt.values(), *self.tts.values()]
        for item in items:
            if name_or_uuid in (item.canonical_name, item.uuid):
                return item
        return self.find_stt(name_or_uuid)

    def public_listing(self) -> dict[str, Any]:
        """GET /v1/models: public STT (never Flux) and Aura voices, with the live-only extra fields."""
        stt = [m for m in self.stt.values() if m.public]
        return self._listing(stt, [v for v in self.tts.values() if not v.is_flux])

    def project_listing(self, account: FakeAccount) -> dict[str, Any]:
        """GET /v1/projects/{id}/models: what this project may use, including non-public models."""
        stt = [m for m in self.stt.values() if entitled(account, m.canonical_name)]
        tts = [v for v in self.tts.values() if entitled(account, v.canonical_name)]
        return self._listing(stt, tts)

    def flux_tts_listing(self) -> dict[str, Any]:
        """GET /v2/models: the public Flux voice catalogue."""
        return {"tts": [v.listing() for v in self.tts.values() if v.is_flux]}

    @staticmethod
    def _listing(stt: list[SttModel], tts: list[TtsVoice]) -> dict[str, Any]:
        langs = sorted({lang for m in stt for lang in m.languages} | {lang for v in tts for lang in v.languages})
        return {"stt": [m.listing() for m in stt], "tts": [v.listing() for v in tts],
                "languages": {lang: LANGUAGE_NAMES.get(lang, lang) for lang in langs}}


def entitled(account: FakeAccount, *names: str) -> bool:
    """Allowed when any given name (as sent, canonical) matches `models` and none matches `denied_models`."""
    allowed = any(fnmatch.fnmatchcase(n, g) for n in names for g in account.models)
    denied = any(fnmatch.fnmatchcase(n, g) for n in names for g in account.denied_models)
    return allowed and not denied
