"""Invoice transitions: each locked, audited, refused with a clear error from a wrong state; issuing
numbers the invoice and posts it; cancelling a draft frees what it billed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from accounts.models import AuditEvent, LedgerAccount
from invoicing.exceptions import InvoiceStateError
from invoicing.models import BilledCharge, InvoiceStatus, OneOffCharge
from invoicing.services import (
    OneOffItem,
    invoice_approve,
    invoice_cancel,
    invoice_generate,
    invoice_issue,
    invoice_mark_overdue,
    invoice_write_off,
    one_off_charge_create,
)
from invoicing.signals import invoice_issued
from invoicing.tests.factories import amounts, bill, make_postpaid, monthly_plan, pay, subscribe, tax_rate
from rating.services.subscription_changes import subscription_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(operator):
    tax_rate(operator, "21")
    account = make_postpaid(operator, terms=30)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    one_off_charge_create(
        account=account, item=OneOffItem(description="Router", unit_price=D("50.00")), charge_date=date(2024, 2, 25)
    )
    return invoice_generate(account=account, bill_date=date(2024, 3, 1))


def balance(invoice, kind):
    ledger = LedgerAccount.objects.get(tenant=invoice.tenant, kind=kind, billing_account=None, code="")
    return ledger.balance


def test_issue_numbers_dates_and_posts_receivable_revenue_and_tax(draft, django_capture_on_commit_callbacks):
    received = []
    invoice_issued.connect(lambda sender, invoice, **kw: received.append(invoice.pk), weak=False)
    invoice_approve(invoice=draft)

    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=draft, issue_date=date(2024, 3, 1))

    assert (issued.status, issued.display_number) == (InvoiceStatus.ISSUED, "INV-000001")
    assert (issued.issue_date, issued.due_date) == (date(2024, 3, 1), date(2024, 3, 31))
    # 10.00 recurring + 50.00 one-off, 21% = 12.60: the receivable is debited 72.60.
    assert issued.total == D("72.60")
    receivable = LedgerAccount.objects.get(billing_account=issued.account, kind="receivable")
    assert receivable.balance == D("-72.60")
    assert balance(issued, "revenue_recurring") == D("10.00")
    assert balance(issued, "revenue_oneoff") == D("50.00")
    assert balance(issued, "tax_payable") == D("12.60")
    assert received == [issued.pk]
    assert [(e.from_status, e.to_status) for e in issued.events.all()] == [
        ("", "draft"),
        ("draft", "approved"),
        ("approved", "issued"),
    ]
    assert AuditEvent.objects.filter(action="invoice.issue", object_id=str(issued.pk)).exists()


def test_issuing_a_draft_that_was_not_approved_is_refused_and_changes_nothing(draft):
    with pytest.raises(InvoiceStateError, match=r"Cannot issue invoice DRAFT-\d+: it is draft; only approved"):
        invoice_issue(invoice=draft)

    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.DRAFT, None)


def test_an_issued_invoice_cannot_be_cancelled_or_approved_again(draft):
    invoice_approve(invoice=draft)
    invoice_issue(invoice=draft)

    with pytest.raises(InvoiceStateError, match="it is issued"):
        invoice_cancel(invoice=draft)
    with pytest.raises(InvoiceStateError, match="only draft invoices"):
        invoice_approve(invoice=draft)


def test_cancelling_a_draft_frees_its_periods_and_one_offs_for_the_next_invoice(draft):
    first_lines = amounts(draft)

    cancelled = invoice_cancel(invoice=draft, reason="address was wrong")

    assert cancelled.status == InvoiceStatus.CANCELLED
    assert not BilledCharge.objects.filter(invoice=draft).exists()
    assert OneOffCharge.objects.get().invoice is None
    again = invoice_generate(account=draft.account, bill_date=date(2024, 3, 1))
    assert amounts(again) == first_lines == [("recurring", D("10.00")), ("one_off", D("50.00"))]


def test_payments_move_an_invoice_to_partially_paid_then_paid(draft):
    invoice_approve(invoice=draft)
    invoice_issue(invoice=draft)

    partly = pay(draft, "30.00")
    assert (partly.status, partly.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("42.60"))
    settled = pay(draft, "42.60")
    assert (settled.status, settled.open_amount) == (InvoiceStatus.PAID, D("0"))


def test_overdue_only_after_the_due_date_then_written_off(draft):
    invoice_approve(invoice=draft)
    invoice_issue(invoice=draft, issue_date=date(2024, 3, 1))

    with pytest.raises(InvoiceStateError, match="is not overdue on 2024-03-31"):
        invoice_mark_overdue(invoice=draft, as_of=date(2024, 3, 31))
    overdue = invoice_mark_overdue(invoice=draft, as_of=date(2024, 4, 1))
    written = invoice_write_off(invoice=overdue, reason="customer insolvent")

    assert overdue.status == InvoiceStatus.OVERDUE
    assert (written.status, written.amount_written_off, written.open_amount) == (
        InvoiceStatus.WRITTEN_OFF,
        D("72.60"),
        D("0"),
    )
    receivable = LedgerAccount.objects.get(billing_account=draft.account, kind="receivable")
    assert receivable.balance == D("0")
    assert LedgerAccount.objects.get(kind="adjustments", code="write_off").balance == D("-72.60")


def test_a_negative_invoice_credits_the_receivable(operator):
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    bill(account, date(2024, 3, 1))
    subscription_end(subscription=sub, end_date=date(2024, 3, 14))

    credit = bill(account, date(2024, 4, 1))

    assert credit.total == D("-5.48")
    receivable = LedgerAccount.objects.get(billing_account=account, kind="receivable")
    assert receivable.balance == D("-4.52")  # owes 10.00 - 5.48
