"""`python -m dg_entitlements`: the same as the `dg-entitlements` command."""

from .cli import entry_point

entry_point()
