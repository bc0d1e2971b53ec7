"""One-off invoicing: an operator's invoice for one account outside any run, and pending manual charges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from accounts.models.customers import PaymentMode
from invoicing.exceptions import OneOffRefused
from invoicing.models import InvoiceStatus, OneOffCharge
from invoicing.services import OneOffItem, invoice_one_off_create, one_off_charge_create
from invoicing.tests.factories import (
    add_charge,
    amounts,
    bill,
    make_plan,
    make_postpaid,
    monthly_plan,
    subscribe,
    tax_rate,
)

pytestmark = pytest.mark.django_db


def test_operator_creates_and_issues_an_invoice_of_manual_charges_only(operator, operator_staff):
    tax_rate(operator, "21")
    account = make_postpaid(operator, terms=10)
    plan = monthly_plan(operator, "10.00")
    subscribe(account, plan, date(2024, 3, 1))
    device = add_charge(make_plan(operator, category="device"), kind="one_off", amount="120.00", name="Handset")

    invoice = invoice_one_off_create(
        account=account,
        items=[
            OneOffItem(description="Technician visit", unit_price=D("45.00"), quantity=D("1.5")),
            OneOffItem(charge=device),
        ],
        actor=operator_staff,
        charge_date=date(2024, 3, 12),
    )

    # 1.5 x 45.00 = 67.50; handset 120.00 at the default 21% (no device rate): 187.50 + 39.38 (39.375).
    assert (invoice.status, invoice.display_number) == (InvoiceStatus.ISSUED, "INV-000001")
    assert amounts(invoice) == [("one_off", D("67.50")), ("one_off", D("120.00"))]
    assert (invoice.total, invoice.issue_date, invoice.due_date) == (D("226.88"), date(2024, 3, 12), date(2024, 3, 22))
    assert (invoice.period_start, invoice.period_end) == (date(2024, 3, 12), date(2024, 3, 12))
    assert invoice.created_by == operator_staff
    # The subscription is left to the cycle's invoice.
    assert amounts(bill(account, date(2024, 4, 1))) == [("recurring", D("10.00")), ("recurring", D("10.00"))]


def test_a_pending_manual_charge_waits_for_the_first_invoice_on_or_after_its_date(operator):
    account = make_postpaid(operator)
    one_off_charge_create(
        account=account, item=OneOffItem(description="Late fee", unit_price=D("5.00")), charge_date=date(2024, 4, 15)
    )

    assert bill(account, date(2024, 4, 1)) is None
    may = bill(account, date(2024, 5, 1))

    assert amounts(may) == [("one_off", D("5.00"))]
    assert OneOffCharge.objects.get().invoice == may


def test_prepaid_accounts_are_refused_one_off_invoices(operator):
    account = make_postpaid(operator, mode=PaymentMode.PREPAID)

    with pytest.raises(OneOffRefused, match="from its balance"):
        invoice_one_off_create(account=account, items=[OneOffItem(description="x", unit_price=D("1"))])
