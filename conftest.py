"""Project-wide pytest fixtures: a tenant tree (operator with two resellers) and their staff."""

from __future__ import annotations

import pytest

from accounts.tests import factories


@pytest.fixture
def operator(db):
    return factories.make_tenant(name="Operator")


@pytest.fixture
def reseller_a(operator):
    return factories.make_tenant(name="Reseller A", parent=operator)


@pytest.fixture
def reseller_b(operator):
    return factories.make_tenant(name="Reseller B", parent=operator)


@pytest.fixture
def operator_staff(operator):
    return factories.make_staff(tenant=operator, username="op-staff")


@pytest.fixture
def reseller_a_staff(reseller_a):
    return factories.make_staff(tenant=reseller_a, username="ra-staff")
