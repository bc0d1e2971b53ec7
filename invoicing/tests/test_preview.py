"""The preview computes what the invoice would be today with the same engine, and creates nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, LedgerEntry
from invoicing.models import BilledCharge, Invoice, InvoiceLine, NumberSeries, OneOffCharge
from invoicing.services import OneOffItem, invoice_generate, invoice_preview, one_off_charge_create
from invoicing.tests.factories import at, make_postpaid, monthly_plan, rate_usage, subscribe, tax_rate
from rating.models import RatedUsage

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "invoices": Invoice.objects.count(),
        "lines": InvoiceLine.objects.count(),
        "billed": BilledCharge.objects.count(),
        "pending one-offs": OneOffCharge.objects.filter(invoice__isnull=True).count(),
        "claimed usage": RatedUsage.objects.filter(invoice_id__isnull=False).count(),
        "ledger entries": LedgerEntry.objects.count(),
        "audit": AuditEvent.objects.count(),
        "series": NumberSeries.objects.count(),
    }


@pytest.fixture
def account(operator):
    tax_rate(operator, "21")
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 18))
    rate_usage(account, "1.234567", at(date(2024, 3, 20)))
    one_off_charge_create(
        account=account, item=OneOffItem(description="SIM", unit_price=D("5.00")), charge_date=date(2024, 3, 18)
    )
    return account


def test_preview_writes_nothing_and_locks_nothing(account):
    before = counts()

    with CaptureQueriesContext(connection) as queries:
        preview = invoice_preview(account=account, as_of=date(2024, 4, 1))

    assert counts() == before
    written = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert written == []
    assert not any("FOR UPDATE" in q["sql"] for q in queries)
    # 4.52 (14/31) + 10.00 + usage 1.23 + SIM 5.00 = 20.75; 21% = 4.3575 -> 4.36.
    assert (preview.subtotal, preview.tax_total, preview.total) == (D("20.75"), D("4.36"), D("25.11"))


def test_preview_equals_the_invoice_the_engine_then_creates(account):
    preview = invoice_preview(account=account, as_of=date(2024, 4, 1))
    # The preview counts the usage of its own day so far; the invoice stops at midnight, so both see it.
    invoice = invoice_generate(account=account, bill_date=date(2024, 4, 1))

    assert [(line.kind, line.amount, line.tax_amount) for line in preview.lines] == [
        (line.kind, line.amount, line.tax_amount) for line in invoice.lines.order_by("position")
    ]
    assert (preview.total, preview.period_start, preview.period_end) == (
        invoice.total,
        invoice.period_start,
        invoice.period_end,
    )


def test_preview_defaults_to_today_in_the_tenants_zone(account):
    with time_machine.travel("2024-04-01 10:00:00+00:00", tick=False):
        preview = invoice_preview(account=account)

    assert preview.bill_date == date(2024, 4, 1)
    assert preview.as_dict()["total"] == "25.11"
