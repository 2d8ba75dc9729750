"""A user's own request (URL, method, headers) mapped onto the catalogue: the combination it exercises.

`explain`, `explain --offline` and the proxy all start from a request someone else made, not from
a catalogue row; this is the one place that decides which surface serves it and what its model and
parameters are, so the three judge it the same way.
"""

from __future__ import annotations

import fnmatch
from urllib.parse import parse_qsl, urlsplit

from .catalogue import Catalogue
from .model import Combo, Family, Surface, Transport


def transport_of(url: str) -> Transport:
    return "ws" if urlsplit(url).scheme in ("ws", "wss") else "http"


def surface_for(catalogue: Catalogue, transport: Transport, method: str, path: str) -> Surface:
    """The catalogue surface serving this path (project ids as wildcards), else an ad hoc one.

    An ad hoc surface borrows the family of a catalogue surface on the same path with the other
    transport (e.g. POST /v2/listen is Flux too), so a wrong-method answer is still read in context.
    """
    same_path = None
    for surface in catalogue.surfaces.values():
        pattern = surface.path.replace("{project_id}", "*")
        if not fnmatch.fnmatchcase(path, pattern):
            continue
        if surface.transport == transport and (transport == "ws" or surface.method == method):
            return surface
        same_path = same_path or surface
    family = same_path.family if same_path else Family.MANAGE
    host = same_path.host if same_path else "api"
    return Surface(name=f"adhoc:{method} {path}", transport=transport, method=method, path=path, host=host,
                   success_status=101 if transport == "ws" else 200, title=f"{method} {path}", family=family)


def method_for(catalogue: Catalogue, path: str, has_body: bool = False) -> str:
    """The method a REST path is served with when the user did not say (POST /v1/listen, GET /v1/projects):
    the catalogue's; where the path takes several, POST with a body and GET without; a path the catalogue
    does not know: POST with a body, else GET. The one owner of this guess (explain, offline, the proxy)."""
    methods = {s.method for s in catalogue.surfaces.values() if s.transport == "http"
               and fnmatch.fnmatchcase(path, s.path.replace("{project_id}", "*"))}
    if len(methods) == 1:
        return methods.pop()
    wanted = "POST" if has_body else "GET"
    return wanted if wanted in methods or not methods else sorted(methods)[0]


def combo_for(catalogue: Catalogue, url: str, method: str | None = None) -> Combo:
    """The combination a request exercises: its surface, its model and its other query parameters,
    kept exactly as given (a malformed query is reproduced, never corrected)."""
    parts = urlsplit(url)
    transport = transport_of(url)
    verb = "GET" if transport == "ws" else (method or method_for(catalogue, parts.path)).upper()
    surface = surface_for(catalogue, transport, verb, parts.path)
    query = parse_qsl(parts.query, keep_blank_values=True)
    model = next((v for k, v in query if k == "model"), None)
    params = tuple((k, v) for k, v in query if k != "model")
    return Combo(id=f"{surface.name}::{model or 'request'}", surface=surface, model=model, params=params,
                 why="the request given to explain")
