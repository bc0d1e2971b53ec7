"""Discounts for N periods, quantity tiers, one-off plan charges, tax per rate, and the rounding rule:
each line rounded once, tax per rate on the sum of its rounded lines, total = lines + tax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.services import OneOffItem, invoice_generate, one_off_charge_create
from invoicing.services.billing_data import ComputedLine, TaxRateData
from invoicing.services.pricing import Money, apply_taxes
from invoicing.tests.factories import (
    add_charge,
    add_tier,
    amounts,
    bill,
    make_plan,
    make_postpaid,
    monthly_plan,
    subscribe,
    tax_rate,
)
from rating.services.subscription_changes import subscription_change_plan, subscription_end

pytestmark = pytest.mark.django_db


def test_percent_discount_for_two_periods(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    add_charge(plan, kind="discount", name="Welcome", discount_percent=D("20"), discount_periods=2)
    subscribe(account, plan, date(2024, 3, 18))

    april = bill(account, date(2024, 4, 1))
    may = bill(account, date(2024, 5, 1))

    # March stub 14/31 = 4.52, discount 20% = 0.904 -> 0.90; April 10.00, discount 2.00: period 2 of 2.
    assert amounts(april) == [
        ("recurring", D("4.52")),
        ("recurring", D("10.00")),
        ("discount", D("-0.90")),
        ("discount", D("-2.00")),
    ]
    assert april.total == D("11.62")
    # May is the third period: no discount.
    assert amounts(may) == [("recurring", D("10.00"))]


def test_amount_discount_is_prorated_like_the_charge_it_discounts(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    add_charge(plan, kind="discount", amount="3.00", name="Promo", discount_periods=1)
    subscribe(account, plan, date(2024, 3, 18))

    invoice = bill(account, date(2024, 4, 1))

    # 3.00 x 14/31 = 1.3548 -> 1.35 on the stub (period 1 of 1); none on April.
    assert amounts(invoice) == [("recurring", D("4.52")), ("recurring", D("10.00")), ("discount", D("-1.35"))]


def test_discount_follows_the_credit_when_the_subscription_ends(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    add_charge(plan, kind="discount", name="Forever 20", discount_percent=D("20"))
    sub = subscribe(account, plan, date(2024, 3, 1))
    assert amounts(bill(account, date(2024, 3, 1))) == [("recurring", D("10.00")), ("discount", D("-2.00"))]

    subscription_end(subscription=sub, end_date=date(2024, 3, 14))
    invoice = bill(account, date(2024, 4, 1))

    # Worth now 4.52, so the discount is worth 0.90: credit -5.48 and give back 2.00 - 0.90 = 1.10.
    assert amounts(invoice) == [("proration_credit", D("-5.48")), ("discount", D("1.10"))]
    assert invoice.total == D("-4.38")


def test_discount_periods_keep_counting_across_a_quantity_change(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    add_charge(plan, kind="discount", name="Two months", discount_percent=D("50"), discount_periods=2)
    sub = subscribe(account, plan, date(2024, 3, 1))
    bill(account, date(2024, 3, 1))

    subscription_change_plan(subscription=sub, quantity=2, effective_date=date(2024, 4, 1))
    april = bill(account, date(2024, 4, 1))
    may = bill(account, date(2024, 5, 1))

    assert amounts(april) == [("recurring", D("20.00")), ("discount", D("-10.00"))]  # period 2 of 2
    assert amounts(may) == [("recurring", D("20.00"))]


def test_tiered_and_volume_quantity_charges(operator):
    tiered_account, volume_account = make_postpaid(operator), make_postpaid(operator)
    tiered, volume = make_plan(operator), make_plan(operator)
    for plan, pricing in ((tiered, "tiered"), (volume, "volume")):
        charge = add_charge(plan, kind="quantity", period="month", quantity_pricing=pricing, name="Licences")
        add_tier(charge, "0", "10", "2.00")
        add_tier(charge, "10", None, "1.50")
    subscribe(tiered_account, tiered, date(2024, 3, 1), quantity=15)
    subscribe(volume_account, volume, date(2024, 3, 1), quantity=15)

    graduated = bill(tiered_account, date(2024, 3, 1))
    all_at_once = bill(volume_account, date(2024, 3, 1))

    # Tiered: 10 x 2.00 + 5 x 1.50 = 27.50. Volume: all 15 at the tier reached, 1.50 = 22.50.
    assert amounts(graduated) == [("quantity", D("27.50"))]
    assert amounts(all_at_once) == [("quantity", D("22.50"))]
    line = graduated.lines.get()
    assert [tier["units"] for tier in line.explanation["tiers"]] == ["10.000", "5.000"]
    assert line.unit_price == D("1.833333")  # 27.50 / 15, shown as the average


def test_plan_one_off_charges_are_billed_once_and_not_again_on_a_plan_change(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    add_charge(plan, kind="one_off", amount="25.00", name="Activation")
    sub = subscribe(account, plan, date(2024, 3, 1), quantity=2)

    first = bill(account, date(2024, 3, 1))
    subscription_change_plan(subscription=sub, quantity=3, effective_date=date(2024, 4, 1))
    second = bill(account, date(2024, 4, 1))

    assert amounts(first) == [("recurring", D("20.00")), ("one_off", D("50.00"))]  # 2 SIMs activated
    assert amounts(second) == [("recurring", D("30.00"))]


def test_two_tax_rates_on_one_invoice_are_shown_per_rate(operator):
    tax_rate(operator, "21")
    tax_rate(operator, "10", category="device")
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    one_off_charge_create(
        account=account,
        item=OneOffItem(description="Handset", unit_price=D("99.99"), tax_category="device"),
        charge_date=date(2024, 2, 20),
    )

    invoice = bill(account, date(2024, 3, 1))

    # 21% of 10.00 = 2.10; 10% of 99.99 = 9.999 -> 10.00; total = 109.99 + 12.10 = 122.09.
    summary = [(row.name, row.base, row.tax_amount) for row in invoice.tax_summary.all()]
    assert summary == [("VAT 21%", D("10.00"), D("2.10")), ("VAT 10%", D("99.99"), D("10.00"))]
    assert [(line.tax_rate, line.tax_amount) for line in invoice.lines.order_by("position")] == [
        (D("21"), D("2.10")),
        (D("10"), D("10.00")),
    ]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("109.99"), D("12.10"), D("122.09"))


def test_tax_is_rounded_per_rate_and_allocated_so_lines_add_up(operator):
    tax_rate(operator, "15")
    account = make_postpaid(operator)
    for _ in range(3):
        one_off_charge_create(
            account=account, item=OneOffItem(description="SMS pack", unit_price=D("0.10")), charge_date=date(2024, 3, 1)
        )

    invoice = bill(account, date(2024, 3, 1))

    # Per line 15% x 0.10 = 0.015 -> 0.02 each would make 0.06; per rate 15% x 0.30 = 0.045 -> 0.05.
    # The rate's 0.05 is allocated: one cent less on the first line.
    assert invoice.tax_total == D("0.05")
    assert [line.tax_amount for line in invoice.lines.order_by("position")] == [D("0.01"), D("0.02"), D("0.02")]
    assert sum(line.amount for line in invoice.lines.all()) == invoice.subtotal
    assert sum(line.tax_amount for line in invoice.lines.all()) == invoice.tax_total
    assert invoice.total == invoice.subtotal + invoice.tax_total == D("0.35")


def test_the_tenants_rounding_rule_applies_to_every_line(operator, reseller_a):
    reseller_a.rounding = "ROUND_HALF_EVEN"
    reseller_a.save()
    half_up, half_even = make_postpaid(operator), make_postpaid(reseller_a)
    for account in (half_up, half_even):
        one_off_charge_create(
            account=account, item=OneOffItem(description="Fee", unit_price=D("0.125")), charge_date=date(2024, 3, 1)
        )

    assert invoice_generate(account=half_up, bill_date=date(2024, 3, 1)).total == D("0.13")
    assert invoice_generate(account=half_even, bill_date=date(2024, 3, 1)).total == D("0.12")


def test_a_reseller_without_rates_uses_its_operators_and_a_rate_change_applies_by_date(operator, reseller_a):
    old = tax_rate(operator, "20", since=date(2020, 1, 1))
    old.valid_to = date(2024, 3, 31)
    old.save()
    tax_rate(operator, "21", since=date(2024, 4, 1))
    account = make_postpaid(reseller_a)
    subscribe(account, monthly_plan(reseller_a, "10.00"), date(2024, 3, 1))

    march, april = bill(account, date(2024, 3, 1)), bill(account, date(2024, 4, 1))

    assert (march.tax_total, april.tax_total) == (D("2.00"), D("2.10"))


def test_jpy_lines_round_to_whole_yen(operator):
    account = make_postpaid(operator, currency="JPY")
    subscribe(account, monthly_plan(operator, "1000", currency="JPY"), date(2024, 3, 18))

    invoice = bill(account, date(2024, 4, 1))

    assert amounts(invoice) == [("recurring", D("452")), ("recurring", D("1000"))]  # 1000 x 14/31 = 451.6


amount = st.decimals(min_value=D("-500"), max_value=D("5000"), places=2)


@settings(max_examples=200)
@given(rows=st.lists(st.tuples(amount, st.sampled_from(["", "device", "tv"])), min_size=1, max_size=25))
def test_sum_of_lines_and_of_their_tax_is_the_total_for_any_lines(rows):
    rates = (
        TaxRateData(1, "", "VAT 21%", D("21"), date(2000, 1, 1), None, 0),
        TaxRateData(2, "device", "VAT 10%", D("10"), date(2000, 1, 1), None, 0),
        TaxRateData(3, "tv", "VAT 4.5%", D("4.5"), date(2000, 1, 1), None, 0),
    )
    lines = [
        ComputedLine(kind="one_off", revenue="one_off", description="x", amount=a, tax_category=c) for a, c in rows
    ]

    taxes = apply_taxes(lines, date(2024, 1, 1), rates, Money(2, "ROUND_HALF_UP"))

    assert sum(line.tax_amount for line in lines) == sum(tax.tax_amount for tax in taxes)
    for tax in taxes:
        members = [line for line in lines if line.tax_rate_id == tax.tax_rate_id]
        assert tax.base == sum(line.amount for line in members)
        assert tax.tax_amount == (tax.base * tax.rate / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        assert sum(line.tax_amount for line in members) == tax.tax_amount
