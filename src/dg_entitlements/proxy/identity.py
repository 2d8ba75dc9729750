"""Who a request speaks for, without keeping the credential: its form, its fingerprint, and routing.

The credential is registered with the scrubber here, the moment the request arrives and before anything
can print or store it; from then on the proxy only knows its fingerprint (to group a report by key) and
its form (header / subprotocol / URL, Token / Bearer), which is all the diagnosis needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from .. import facts
from ..catalogue import Catalogue
from ..diagnosis import AuthForm
from ..model import Transport
from ..offline import auth_form
from ..secrets import fingerprint
from ..userrequest import surface_for
from .settings import Upstream

NO_KEY = "no-key"


def credential_of(headers: Iterable[tuple[str, str]], query: str) -> str | None:
    """The credential the request carries (header, subprotocol, then URL), or None."""
    pairs = [(k.lower(), v) for k, v in headers]
    for name, value in pairs:
        if name == "authorization":
            words = value.split(None, 1)
            return words[1].strip() if len(words) == 2 else value.strip()
    for name, value in pairs:
        if name == "sec-websocket-protocol":
            items = [p.strip() for p in value.split(",") if p.strip()]
            rest = [p for p in items if p.lower() not in facts.SUBPROTOCOL_SCHEMES]
            if rest:
                return rest[0]
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in facts.URL_KEY_PARAMETERS:
            return value
    return None


def identify(url: str, headers: list[tuple[str, str]], query: str) -> tuple[AuthForm, str]:
    """The form and the account label. `offline.auth_form` registers every credential it finds (header,
    subprotocol items, URL parameter) with the scrubber, so nothing printed later can carry it."""
    credential = credential_of(headers, query)
    form = auth_form(url, [f"{k}: {v}" for k, v in headers if k.lower() in ("authorization", "sec-websocket-protocol")])
    return form, (fingerprint(credential) if credential else NO_KEY)


def route(catalogue: Catalogue, transport: Transport, method: str, path: str, api: Upstream,
          agent: Upstream) -> Upstream:
    """The agent host serves the surfaces the catalogue puts there (`host = "agent"`); the API host the rest."""
    surface = surface_for(catalogue, transport, method, path)
    if surface.host == "agent" or (transport == "ws" and path.startswith("/v1/agent/")):
        return agent
    return api
