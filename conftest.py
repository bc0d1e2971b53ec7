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
    # The app reads Django settings with the CELERY_ namespace, and a namespaced key wins over the
    # plain one, so the override must use the namespaced names.
    previous = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = eager
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    assert app.conf.task_always_eager is eager
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests log users in a lot; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
