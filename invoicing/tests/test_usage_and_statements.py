"""Usage on invoices: the unbilled rated usage before the bill date, summarised per subscription,
service and tariff, each line traceable to its records; prepaid accounts get a statement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from accounts.models import LedgerEntry
from accounts.models.customers import PaymentMode
from invoicing.models import InvoiceKind
from invoicing.selectors import usage_records_for_line
from invoicing.services import invoice_cancel, invoice_generate
from invoicing.tests.factories import (
    add_charge,
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
from rating.models import RatedUsage

pytestmark = pytest.mark.django_db


def test_usage_is_summarised_per_service_and_tariff_with_its_records_behind_each_line(operator):
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00", timing="arrears"), date(2024, 3, 1))
    national, sms = make_tariff(operator, name="National"), make_tariff(operator, service="sms", name="SMS")
    calls = [
        rate_usage(account, cost, at(date(2024, 3, d)), subscription=sub, tariff=national)
        for d, cost in ((2, "0.123456"), (9, "0.200000"), (31, "0.300000"))
    ]
    for day in (5, 6):
        rate_usage(account, "0.050000", at(date(2024, 3, day)), subscription=sub, tariff=sms, service="sms", usage=1)
    later = rate_usage(account, "9.000000", datetime(2024, 4, 1, 0, 0, tzinfo=UTC), subscription=sub, tariff=national)

    invoice = bill(account, date(2024, 4, 1))

    # Voice: 0.123456 + 0.2 + 0.3 = 0.623456 -> 0.62; SMS: 2 x 0.05 = 0.10. The call at midnight of the
    # bill date belongs to the next invoice.
    assert amounts(invoice) == [("recurring", D("10.00")), ("usage", D("0.10")), ("usage", D("0.62"))]
    voice = invoice.lines.get(service="voice")
    assert (voice.quantity, voice.tariff, voice.period_start, voice.period_end) == (
        D("3"),
        national,
        date(2024, 3, 2),
        date(2024, 3, 31),
    )
    assert voice.explanation["exact_cost"] == "0.623456"
    assert list(usage_records_for_line(line=voice)) == calls
    assert set(RatedUsage.objects.filter(invoice_id=invoice.pk).values_list("service", flat=True)) == {"voice", "sms"}
    later.refresh_from_db()
    assert later.invoice_id is None


def test_usage_tax_follows_the_usage_charge_category(operator):
    tax_rate(operator, "21")
    tax_rate(operator, "5", category="roaming")
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "0", timing="arrears")
    add_charge(plan, kind="usage", service="data", tariff=make_tariff(operator, service="data"), tax_category="roaming")
    sub = subscribe(account, plan, date(2024, 3, 1))
    rate_usage(account, "2.000000", at(date(2024, 3, 3)), subscription=sub, service="data")

    invoice = bill(account, date(2024, 4, 1))

    assert [(line.tax_category, line.tax_amount) for line in invoice.lines.all()] == [("roaming", D("0.10"))]


def test_cancelling_a_draft_frees_its_usage_for_the_next_invoice(operator):
    account = make_postpaid(operator)
    rate_usage(account, "1.000000", at(date(2024, 3, 3)))
    draft = invoice_generate(account=account, bill_date=date(2024, 4, 1))

    invoice_cancel(invoice=draft, reason="wrong tariff")

    assert RatedUsage.objects.get().invoice_id is None
    again = invoice_generate(account=account, bill_date=date(2024, 4, 1))
    assert amounts(again) == [("usage", D("1.00"))]


def test_usage_discount_for_the_first_period(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "0", timing="arrears")
    add_charge(
        plan,
        kind="discount",
        name="Half usage",
        discount_percent=D("50"),
        discount_applies_to="usage",
        discount_periods=1,
    )
    sub = subscribe(account, plan, date(2024, 3, 1))
    rate_usage(account, "3.330000", at(date(2024, 3, 3)), subscription=sub)
    rate_usage(account, "3.330000", at(date(2024, 4, 3)), subscription=sub)

    march, april = bill(account, date(2024, 4, 1)), bill(account, date(2024, 5, 1))

    assert amounts(march) == [("usage", D("3.33")), ("discount", D("-1.67"))]  # 1.665 -> 1.67 half-up
    assert amounts(april) == [("usage", D("3.33"))]


def test_prepaid_account_gets_a_statement_of_usage_already_debited_and_posts_nothing(operator):
    tax_rate(operator, "21")
    account = make_postpaid(operator, mode=PaymentMode.PREPAID)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    rate_usage(account, "1.500000", at(date(2024, 3, 3)), prepaid=True)
    entries = LedgerEntry.objects.count()

    statement = bill(account, date(2024, 4, 1))

    assert statement.kind == InvoiceKind.STATEMENT
    assert amounts(statement) == [("usage", D("1.50"))]
    assert statement.lines.get().explanation["already_debited"] == "1.500000"
    assert (statement.tax_total, statement.total, statement.open_amount) == (D("0"), D("1.50"), D("0"))
    assert statement.display_number == "ST-000001"
    assert statement.due_date is None
    assert LedgerEntry.objects.count() == entries


def test_hybrid_account_is_not_charged_again_for_prepaid_usage(operator):
    account = make_postpaid(operator, mode=PaymentMode.HYBRID)
    rate_usage(account, "1.500000", at(date(2024, 3, 3)), prepaid=True)
    rate_usage(account, "0.750000", at(date(2024, 3, 4)), prepaid=False)

    invoice = bill(account, date(2024, 4, 1))

    assert invoice.kind == InvoiceKind.INVOICE
    assert amounts(invoice) == [("usage", D("0.75")), ("usage", D("0"))]
    debited = invoice.lines.get(amount=0)
    assert "already debited" in debited.description
    assert debited.explanation["already_debited"] == "1.500000"
    assert RatedUsage.objects.filter(invoice_id=invoice.pk).count() == 2
