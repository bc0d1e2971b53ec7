"""Every promotions scenario has the PTS unit and ends with a balanced ledger (invoicing/tests/conftest.py)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import unit
from invoicing.tests.conftest import assert_ledger_agrees


@pytest.fixture(autouse=True)
def _points_unit(db):
    """Loyalty points need the seeded PTS unit, which a transactional test's flush removes."""
    unit("PTS")


@pytest.fixture(autouse=True)
def _ledger_agrees_after_each_scenario(request):
    yield
    if request.node.get_closest_marker("django_db"):
        assert_ledger_agrees()
