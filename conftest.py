"""Root conftest: the suite's plugin comes by entry point (dg_entitlements.pytest_plugin).

Kept so pytest's rootdir is the repository root: the default fixture paths (fixtures/...) and the
report folder (reports/) are resolved from there whatever directory pytest is started in.
"""
