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


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker_test(request):
    """Tasks run in-process in tests, except those marked `worker`, which use a real worker and Redis."""
    from billing_site.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests log users in a lot; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
