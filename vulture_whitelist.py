"""Names vulture reports as unused that a protocol requires (run with `make lint`).

Each is a parameter whose name is fixed by the caller's signature, not dead code:
- vcrpy persisters: `load_cassette(cassette_path, serializer)` / `save_cassette(...)`;
- `__exit__(exc_type, exc, tb)` of the fake's and the proxy's context managers;
- `signal.signal` handlers take `(signum, frame)`;
- pytest-html's `pytest_html_results_summary(prefix, summary, postfix, session)` hook.
"""

cassette_path  # noqa: B018
serializer  # noqa: B018
exc_type  # noqa: B018
tb  # noqa: B018
signum  # noqa: B018
postfix  # noqa: B018
