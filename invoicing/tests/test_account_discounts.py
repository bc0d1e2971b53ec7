"""Account discounts (promotions, loyalty, goodwill): a percent or an amount off the next N invoices,
counted by the invoices that carry their lines, split by revenue kind and tax category."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import make_account, make_staff
from invoicing.exceptions import AccountDiscountRefused
from invoicing.models import InvoiceLine
from invoicing.services import account_discount_create, invoice_cancel, invoice_generate, invoice_preview
from invoicing.tests.factories import (
    amounts,
    at,
    bill,
    make_postpaid,
    make_tariff,
    monthly_plan,
    rate_usage,
    subscribe,
    tax_rate,
)

pytestmark = pytest.mark.django_db


def test_percent_discount_for_three_invoices_is_on_three_and_not_the_fourth(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    account_discount_create(account=account, name="Spring", percent=D("20"), periods=3, starts_on=date(2024, 1, 1))

    invoices = [bill(account, date(2024, month, 1)) for month in (1, 2, 3, 4)]

    assert [amounts(invoice) for invoice in invoices] == [
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00"))],
    ]
    third = invoices[2].lines.get(kind="discount")
    assert third.description == "Spring (20%, invoice 3 of 3)"
    assert (third.explanation["period_number"], third.explanation["discounted_amount"]) == (3, "10.00")


def test_amount_discount_is_split_by_revenue_and_tax_category(operator):
    tax_rate(operator, "21")
    tax_rate(operator, "10", category="device")
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), date(2024, 2, 1))
    subscribe(account, monthly_plan(operator, "5.00", category="device"), date(2024, 2, 1))
    rate_usage(account, "4.000000", at(date(2024, 1, 31)), subscription=sub, tariff=make_tariff(operator))
    account_discount_create(account=account, name="Sorry", amount=D("6.00"), periods=1, starts_on=date(2024, 2, 1))

    february = bill(account, date(2024, 2, 1))

    # Base 19.00: recurring/device 5.00, recurring/telecom 10.00, usage/telecom 4.00; 6.00 shared by
    # largest remainder: 6 x 5/19 = 1.578 -> 1.58, 6 x 10/19 = 3.157 -> 3.16, 6 x 4/19 = 1.263 -> 1.26.
    discounts = list(february.lines.filter(kind="discount").order_by("position"))
    assert [(line.revenue, line.tax_category, line.amount) for line in discounts] == [
        ("recurring", "device", D("-1.58")),
        ("recurring", "telecom", D("-3.16")),
        ("usage", "telecom", D("-1.26")),
    ]
    # Tax follows the split: 21% of (14.00 - 3.16 - 1.26) = 2.0118 -> 2.01; 10% of 3.42 = 0.342 -> 0.34.
    assert (february.subtotal, february.tax_total, february.total) == (D("13.00"), D("2.35"), D("15.35"))


def test_discounts_stack_in_grant_order_and_never_take_the_invoice_below_zero(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    account_discount_create(account=account, name="Half", percent=D("50"), periods=1, starts_on=date(2024, 1, 1))
    account_discount_create(account=account, name="Big", amount=D("100.00"), periods=1, starts_on=date(2024, 1, 1))

    january = bill(account, date(2024, 1, 1))

    assert amounts(january) == [("recurring", D("10.00")), ("discount", D("-5.00")), ("discount", D("-5.00"))]
    assert january.total == D("0.00")


def test_cancelling_a_discounted_draft_gives_the_period_back(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    discount = account_discount_create(account=account, name="Once", percent=D("50"), periods=1)
    discount.starts_on = date(2024, 1, 1)
    discount.save()
    draft = invoice_generate(account=account, bill_date=date(2024, 1, 1))
    invoice_cancel(invoice=draft, reason="wrong date")

    again = bill(account, date(2024, 1, 1))
    later = bill(account, date(2024, 2, 1))

    assert amounts(again) == [("recurring", D("10.00")), ("discount", D("-5.00"))]
    assert amounts(later) == [("recurring", D("10.00"))]


def test_product_discount_only_touches_that_products_lines_and_waits_for_its_start(operator):
    account = make_postpaid(operator)
    fibre = monthly_plan(operator, "30.00", name="Fibre")
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    subscribe(account, fibre, date(2024, 1, 1))
    account_discount_create(
        account=account, name="Fibre promo", percent=D("10"), product=fibre.product, starts_on=date(2024, 2, 1)
    )

    january = bill(account, date(2024, 1, 1))
    february = bill(account, date(2024, 2, 1))

    assert amounts(january) == [("recurring", D("10.00")), ("recurring", D("30.00"))]
    assert amounts(february) == [("recurring", D("10.00")), ("recurring", D("30.00")), ("discount", D("-3.00"))]


def test_preview_shows_the_discount_and_uses_no_period(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    account_discount_create(account=account, name="Try", percent=D("10"), periods=1, starts_on=date(2024, 1, 1))

    preview = invoice_preview(account=account, as_of=date(2024, 1, 1))
    first = bill(account, date(2024, 1, 1))

    assert [(line.kind, line.amount) for line in preview.lines] == [("recurring", D("10.00")), ("discount", D("-1.00"))]
    assert amounts(first) == [("recurring", D("10.00")), ("discount", D("-1.00"))]
    assert InvoiceLine.objects.filter(account_discount__isnull=False).count() == 1


def test_a_prepaid_account_or_a_discount_without_a_value_is_refused(operator):
    with pytest.raises(AccountDiscountRefused, match="prepaid"):
        account_discount_create(account=make_account(tenant=operator), name="No", percent=D("5"))
    with pytest.raises(AccountDiscountRefused, match="either a percent or an amount"):
        account_discount_create(account=make_postpaid(operator), name="No")


def test_api_grants_a_discount_once_per_idempotency_key_and_hides_other_tenants(reseller_a, reseller_b):
    account = make_postpaid(reseller_a)
    client = APIClient()
    client.force_authenticate(make_staff(tenant=reseller_a))
    body = {"account": str(account.uuid), "name": "Goodwill", "amount": "5.00", "periods": 2}

    first = client.post("/api/v1/account-discounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    replay = client.post("/api/v1/account-discounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    other = APIClient()
    other.force_authenticate(make_staff(tenant=reseller_b))

    assert first.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert (first.json()["amount"], first.json()["periods_used"]) == ("5.00", 0)
    assert account.discounts.count() == 1
    assert other.get(f"/api/v1/account-discounts/{first.json()['uuid']}/").status_code == 404
    refused = other.post("/api/v1/account-discounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="g-2")
    assert refused.status_code == 400
