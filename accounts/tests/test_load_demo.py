"""`manage.py load_demo`: a real, balanced data set, created once however often the command runs."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import global_settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from rest_framework.authtoken.models import Token

from accounts.demo import CUSTOMER_LOGIN, OPERATOR_LOGIN, RESELLER_LOGIN
from accounts.models import (
    AuditEvent,
    BillingAccount,
    BillingCycle,
    Customer,
    ExchangeRate,
    LedgerEntry,
    LedgerTransaction,
    Tenant,
    User,
    Wallet,
)
from accounts.models.ledger import TransactionKind
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.services import TENANT_ADMIN_GROUP
from accounts.tests.factories import unit
from rating.models import Product, ServiceIdentifier, Subscription

SEEDED_UNITS = [row[0] for row in importlib.import_module("accounts.migrations.0003_seed_units").UNITS]
COUNTED = [
    Tenant, BillingCycle, ExchangeRate, Customer, BillingAccount, Wallet, LedgerTransaction, LedgerEntry,
    AuditEvent, User, Token, Product, Subscription, ServiceIdentifier,
]  # fmt: skip


@pytest.fixture(scope="module")
def demo_output(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    """Load the demo once for this module inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        for code in SEEDED_UNITS:  # a transactional test elsewhere may have flushed the seeded units
            unit(code)
        out = StringIO()
        call_command("load_demo", "--no-progress", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_second_run_creates_nothing_new(demo_output, db):
    before = counts()

    out = StringIO()
    call_command("load_demo", "--no-progress", stdout=out)

    assert counts() == before
    assert "nothing new" in out.getvalue()


def test_demo_ledger_is_balanced_and_pockets_equal_their_entries(demo_output, db):
    assert LedgerEntry.objects.count() > 500
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_demo_has_an_operator_with_two_resellers_and_fifty_customers_of_every_kind(demo_output, db):
    operator = Tenant.objects.get(code="acme")
    assert operator.name == "Acme Telecom"
    assert sorted(operator.children.values_list("name", flat=True)) == ["Bluewave Mobile", "Sol Comunicaciones"]
    customers = Customer.objects.filter(tenant__path__startswith=operator.path)
    assert customers.count() == 50
    assert set(customers.values_list("kind", flat=True)) == {"person", "company"}
    assert set(customers.values_list("language", flat=True)) == {"en", "es"}
    assert not customers.filter(address_line1="").exists()
    assert set(BillingCycle.objects.filter(tenant=operator).values_list("bill_day", flat=True)) == {1, 15}


def test_demo_accounts_mix_payment_modes_currencies_and_credit_limits(demo_output, db):
    accounts = BillingAccount.objects.filter(tenant__path__startswith=Tenant.objects.get(code="acme").path)
    assert set(accounts.values_list("payment_mode", flat=True)) == {"prepaid", "postpaid", "hybrid"}
    assert set(accounts.values_list("currency__code", flat=True)) == {"EUR", "USD"}
    assert not accounts.filter(payment_mode="prepaid", credit_limit__gt=0).exists()
    assert not accounts.filter(payment_mode="postpaid", credit_limit=0).exists()
    assert not accounts.filter(billing_cycle__isnull=True).exists()


def test_demo_pockets_span_money_items_points_and_crypto_with_validity_on_bundles(demo_output, db):
    pockets = Wallet.objects.filter(tenant__code__in=["acme", "bluewave", "sol"])
    units = set(pockets.values_list("unit__code", flat=True))
    assert {"EUR", "USD", "MIN", "SMS", "MB", "PTS", "BTC"} <= units
    assert not pockets.filter(unit__code="MB", valid_to__isnull=True).exists()
    assert 2 <= pockets.filter(unit__code="BTC").count() <= 5
    # No prepaid money pocket below zero; no postpaid one below minus its credit limit.
    for pocket in pockets.filter(code="main").select_related("billing_account"):
        assert pocket.balance >= pocket.billing_account.floor


def test_demo_history_has_top_ups_debits_and_a_points_to_money_exchange(demo_output, db):
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True))
    assert {TransactionKind.TOP_UP, TransactionKind.DEBIT, TransactionKind.USAGE, TransactionKind.PAYMENT} <= kinds
    exchange = LedgerTransaction.objects.filter(kind=TransactionKind.TRANSFER).first()
    assert exchange is not None
    legs = {
        (e.unit.code, e.ledger_account.kind): e.amount
        for e in exchange.entries.select_related("unit", "ledger_account")
    }
    assert legs[("PTS", "pocket")] == Decimal("-500")
    assert legs[("EUR", "pocket")] == Decimal("5.00") or legs[("USD", "pocket")] == Decimal("5.50")


def test_every_demo_account_has_a_subscription_reachable_by_msisdn(demo_output, db):
    accounts = BillingAccount.objects.filter(tenant__code__in=["acme", "bluewave", "sol"])
    assert Subscription.objects.filter(account__in=accounts).count() == accounts.count()
    msisdns = ServiceIdentifier.objects.filter(subscription__account__in=accounts, kind="msisdn")
    assert msisdns.count() == accounts.count()
    assert all(value.isdigit() and 11 <= len(value) <= 12 for value in msisdns.values_list("value", flat=True))


def test_printed_logins_and_token_work(demo_output, db):
    for username, password in (OPERATOR_LOGIN, RESELLER_LOGIN, CUSTOMER_LOGIN):
        assert f"{username} / {password}" in demo_output
        # The module's demo was loaded with Django's default hashers, whatever a test fixture sets later.
        with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
            assert authenticate(username=username, password=password) is not None

    operator_staff = User.objects.get(username=OPERATOR_LOGIN[0])
    assert operator_staff.is_staff and operator_staff.tenant.code == "acme"
    assert operator_staff.groups.filter(name=TENANT_ADMIN_GROUP).exists()
    assert User.objects.get(username=RESELLER_LOGIN[0]).tenant.code == "bluewave"
    portal_user = User.objects.get(username=CUSTOMER_LOGIN[0])
    assert portal_user.customer.number == "AC0001" and not portal_user.is_staff
    token = Token.objects.get(user=operator_staff)
    assert token.key in demo_output
    for path in ("/admin/", "/selfcare/", "/api/schema/", "/api/docs/"):
        assert f"http://localhost:8000{path}" in demo_output
