"""Every promotions scenario ends with a balanced ledger (see invoicing/tests/conftest.py)."""

from __future__ import annotations

import pytest

from invoicing.tests.conftest import assert_ledger_agrees


@pytest.fixture(autouse=True)
def _ledger_agrees_after_each_scenario(request):
    yield
    if request.node.get_closest_marker("django_db"):
        assert_ledger_agrees()
