"""Fixtures for the back-office tests: a small world of two resellers with customers, money and staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.forms import MultiWidget
from django.test import Client
from django.utils import timezone

from accounts.models import BillingAccount, BillingCycle, Customer, ExchangeRate, Tenant, User, Wallet
from accounts.models.customers import PaymentMode
from accounts.tests import factories

PASSWORD = "pw-Secret-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real logins hash passwords; the production hasher's cost is pointless in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Branch:
    """One reseller's corner of the world."""

    tenant: Tenant
    customer: Customer
    account: BillingAccount
    wallet: Wallet
    cycle: BillingCycle


def _branch(tenant: Tenant, label: str) -> Branch:
    customer = factories.make_customer(tenant=tenant, name=f"{label} Customer", email=f"{label.lower()}@example.com")
    account = factories.make_account(customer=customer, mode=PaymentMode.PREPAID, balance=Decimal("50.00"))
    cycle = BillingCycle.objects.create(tenant=tenant, code=f"monthly-{label.lower()}", name=f"{label} monthly")
    ExchangeRate.objects.create(
        tenant=tenant,
        from_unit=factories.unit("EUR"),
        to_unit=factories.unit("USD"),
        rate=Decimal("1.1"),
        valid_from=timezone.now() - timedelta(days=1),
    )
    return Branch(tenant, customer, account, factories.main_wallet(account), cycle)


@pytest.fixture
def branch_a(reseller_a) -> Branch:
    return _branch(reseller_a, "Alpha")


@pytest.fixture
def branch_b(reseller_b) -> Branch:
    return _branch(reseller_b, "Bravo")


@pytest.fixture
def reseller_b_staff(reseller_b) -> User:
    return factories.make_staff(tenant=reseller_b, username="rb-staff")


@pytest.fixture
def platform_admin(db) -> User:
    return factories.make_staff(tenant=None, username="platform", superuser=True)


def login(user: User) -> Client:
    """A test client signed in through the real login (password check, session)."""
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _put(data: dict[str, Any], bound: Any) -> None:
    value = bound.value()
    widget = bound.field.widget
    if isinstance(widget, MultiWidget):  # the admin's split date/time inputs post name_0, name_1
        for index, part in enumerate(widget.decompress(value)):
            if part is not None:
                data[f"{bound.html_name}_{index}"] = part
    elif value is True:
        data[bound.html_name] = "on"
    elif value is not None and value is not False:
        data[bound.html_name] = value


def change_form_data(response: Any) -> dict[str, Any]:
    """The POST body an operator would send by pressing Save on an unchanged admin form."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        _put(data, form[name])
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = management[name].value()
        for inline_form in inline.formset.initial_forms:
            for name in inline_form.fields:
                _put(data, inline_form[name])
    return data
