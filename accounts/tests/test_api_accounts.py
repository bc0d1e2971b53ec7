"""Billing accounts through the REST API: opened with a main pocket, terms and status changed by services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEvent, BillingAccount, BillingCycle
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.tests.api_client import ids, token_client
from accounts.tests.factories import main_wallet, make_account, make_customer, unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


def test_open_account_creates_its_main_pocket_and_shows_amounts_at_currency_precision(reseller_a, reseller_a_staff):
    customer = make_customer(tenant=reseller_a)

    response = token_client(reseller_a_staff).post(
        URL,
        {
            "customer": customer.pk,
            "number": "A-100",
            "currency": "EUR",
            "payment_mode": "postpaid",
            "credit_limit": "250.5",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["tenant"], body["credit_limit"], body["status"]) == (reseller_a.pk, "250.50", "active")
    account = BillingAccount.objects.get(pk=body["id"])
    assert account.credit_limit == Decimal("250.5")
    assert main_wallet(account).balance == Decimal("0")
    assert AuditEvent.objects.filter(action="account.open", object_id=str(account.pk)).exists()


def test_prepaid_account_with_a_credit_limit_is_a_400_on_that_field(reseller_a, reseller_a_staff):
    customer = make_customer(tenant=reseller_a)

    response = token_client(reseller_a_staff).post(
        URL,
        {"customer": customer.pk, "number": "A-1", "currency": "EUR", "payment_mode": "prepaid", "credit_limit": "10"},
        format="json",
    )

    assert response.status_code == 400
    assert "credit_limit" in response.json()
    assert not BillingAccount.objects.filter(number="A-1").exists()


def test_duplicate_account_number_in_one_tenant_is_a_400_on_number(reseller_a, reseller_a_staff):
    existing = make_account(tenant=reseller_a)

    response = token_client(reseller_a_staff).post(
        URL, {"customer": existing.customer_id, "number": existing.number, "currency": "EUR"}, format="json"
    )

    assert response.status_code == 400
    assert "number" in response.json()


def test_items_are_not_an_account_currency(reseller_a, reseller_a_staff):
    customer = make_customer(tenant=reseller_a)
    unit("MIN")

    response = token_client(reseller_a_staff).post(
        URL, {"customer": customer.pk, "number": "A-2", "currency": "MIN"}, format="json"
    )

    assert response.status_code == 400
    assert "currency" in response.json()


def test_billing_cycle_of_another_tenant_is_refused(operator_staff, operator, reseller_a):
    customer = make_customer(tenant=reseller_a)
    operators_cycle = BillingCycle.objects.create(tenant=operator, code="monthly", name="Monthly")

    response = token_client(operator_staff).post(
        URL,
        {"customer": customer.pk, "number": "A-3", "currency": "EUR", "billing_cycle": operators_cycle.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "billing_cycle" in response.json()


def test_patch_terms_changes_them_through_the_service_with_an_audit_event(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))

    response = token_client(reseller_a_staff).patch(
        f"{URL}{account.pk}/",
        {"credit_limit": "150.25", "payment_terms_days": 30, "skip_dunning": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["credit_limit"] == "150.25"
    account.refresh_from_db()
    assert (account.credit_limit, account.payment_terms_days, account.skip_dunning) == (Decimal("150.25"), 30, True)
    event = AuditEvent.objects.get(action="account.update", object_id=str(account.pk))
    assert event.after == {"credit_limit": "150.2500", "payment_terms_days": 30}
    assert event.before == {"credit_limit": "100.0000", "payment_terms_days": 14}
    skip = AuditEvent.objects.get(action="account.skip_dunning", object_id=str(account.pk))
    assert (skip.before, skip.after) == ({"skip_dunning": False}, {"skip_dunning": True})


def test_a_bad_credit_limit_is_a_400_naming_the_field(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))
    client = token_client(reseller_a_staff)

    for bad in ("-1", "abc", "1.23456"):
        response = client.patch(f"{URL}{account.pk}/", {"credit_limit": bad}, format="json")
        assert response.status_code == 400, bad
        assert "credit_limit" in response.json()
    account.refresh_from_db()
    assert account.credit_limit == Decimal("100")


def test_status_moves_suspended_then_closed_and_closed_is_final(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    client = token_client(reseller_a_staff)
    url = f"{URL}{account.pk}/"

    suspended = client.patch(url, {"status": "suspended", "reason": "fraud check"}, format="json")
    closed = client.patch(url, {"status": "closed"}, format="json")
    reopened = client.patch(url, {"status": "active"}, format="json")

    assert (suspended.status_code, closed.status_code) == (200, 200)
    assert reopened.status_code == 409
    assert reopened.json()["code"] == "invalid_state"
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED
    trail = AuditEvent.objects.filter(action="account.status", object_id=str(account.pk)).order_by("id")
    assert [e.after["status"] for e in trail] == ["suspended", "closed"]
    assert trail[0].after["reason"] == "fraud check"


def test_failed_status_change_rolls_back_terms_sent_in_the_same_patch(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    BillingAccount.objects.filter(pk=account.pk).update(status=AccountStatus.CLOSED)

    response = token_client(reseller_a_staff).patch(
        f"{URL}{account.pk}/", {"name": "Renamed", "status": "active"}, format="json"
    )

    assert response.status_code == 409
    account.refresh_from_db()
    assert account.name == ""


def test_accounts_cannot_be_replaced_or_deleted(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    client = token_client(reseller_a_staff)

    assert client.put(f"{URL}{account.pk}/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"{URL}{account.pk}/").status_code == 405
    assert BillingAccount.objects.filter(pk=account.pk).exists()


def test_filters_by_customer_mode_status_tenant_and_currency(operator_staff, operator, reseller_a):
    prepaid = make_account(tenant=reseller_a, mode=PaymentMode.PREPAID)
    postpaid = make_account(customer=prepaid.customer, mode=PaymentMode.POSTPAID)
    in_usd = make_account(tenant=operator, currency="USD")
    BillingAccount.objects.filter(pk=postpaid.pk).update(status=AccountStatus.SUSPENDED)
    client = token_client(operator_staff)

    assert ids(client.get(URL, {"customer": prepaid.customer_id})) == {prepaid.pk, postpaid.pk}
    assert ids(client.get(URL, {"payment_mode": "postpaid"})) == {postpaid.pk}
    assert ids(client.get(URL, {"status": "suspended"})) == {postpaid.pk}
    assert ids(client.get(URL, {"tenant": operator.pk})) == {in_usd.pk}
    assert ids(client.get(URL, {"currency": "usd"})) == {in_usd.pk}
