"""The product: one test per (account, combination), parametrized by the dg_entitlements plugin.

Every cell was probed before the first test ran (one bounded, concurrent step); each test asserts
that what Deepgram said matches what the account's profile expects.
"""

from dg_entitlements.model import Cell
from dg_entitlements.pytest_plugin import check_cell


def test_entitlement(dg_cell: Cell) -> None:
    check_cell(dg_cell)
