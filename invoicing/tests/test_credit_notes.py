"""Credit notes: full or partial, with a reason, in their own gapless series, mirrored in the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from accounts.models import LedgerAccount
from invoicing.exceptions import CreditNoteRefused
from invoicing.models import InvoiceStatus
from invoicing.services import OneOffItem, credit_note_create, invoice_generate, one_off_charge_create
from invoicing.tests.factories import bill, make_postpaid, monthly_plan, pay, subscribe, tax_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(operator):
    tax_rate(operator, "21")
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    one_off_charge_create(
        account=account, item=OneOffItem(description="Router", unit_price=D("50.00")), charge_date=date(2024, 3, 1)
    )
    return bill(account, date(2024, 3, 1))  # 60.00 + 12.60 tax = 72.60


def receivable(invoice):
    return LedgerAccount.objects.get(billing_account=invoice.account, kind="receivable").balance


def test_full_credit_note_reverses_every_line_and_settles_the_invoice(issued):
    note = credit_note_create(invoice=issued, reason="service never delivered")

    issued.refresh_from_db()
    assert (note.display_number, note.subtotal, note.tax_total, note.total) == (
        "CN-000001",
        D("60.00"),
        D("12.60"),
        D("72.60"),
    )
    assert (issued.status, issued.amount_credited, issued.open_amount) == (InvoiceStatus.CREDITED, D("72.60"), D("0"))
    assert receivable(issued) == D("0")
    assert LedgerAccount.objects.get(kind="revenue_oneoff", billing_account=None).balance == D("0")
    with pytest.raises(CreditNoteRefused, match="nothing left to credit"):
        credit_note_create(invoice=issued, reason="again")


def test_partial_credit_note_credits_part_of_a_line_with_its_tax(issued):
    router = issued.lines.get(kind="one_off")

    note = credit_note_create(invoice=issued, reason="router discount agreed", lines=[(router.pk, D("20.00"))])

    issued.refresh_from_db()
    # 20.00 + 21% = 4.20: the customer now owes 72.60 - 24.20 = 48.40.
    assert (note.subtotal, note.tax_total, note.total) == (D("20.00"), D("4.20"), D("24.20"))
    assert (issued.status, issued.open_amount) == (InvoiceStatus.ISSUED, D("48.40"))
    assert receivable(issued) == D("-48.40")
    with pytest.raises(CreditNoteRefused, match=r"only 30\.00000000 left to credit, not 30\.01"):
        credit_note_create(invoice=issued, reason="too much", lines=[(router.pk, D("30.01"))])


def test_credit_note_after_payment_leaves_the_customer_in_credit(issued):
    pay(issued, "72.60")

    note = credit_note_create(
        invoice=issued, reason="monthly fee refunded", lines=[(issued.lines.get(kind="recurring").pk, D("10.00"))]
    )

    issued.refresh_from_db()
    # 10.00 + 2.10 tax credited after a full payment: the operator owes the customer 12.10.
    assert note.total == D("12.10")
    assert (issued.status, issued.amount_paid, issued.open_amount) == (InvoiceStatus.PAID, D("72.60"), D("-12.10"))
    assert receivable(issued) == D("12.10")


def test_credit_notes_are_refused_on_drafts_and_without_a_reason(operator, issued):
    draft_account = make_postpaid(operator)
    one_off_charge_create(
        account=draft_account, item=OneOffItem(description="Fee", unit_price=D("5")), charge_date=date(2024, 3, 1)
    )
    draft = invoice_generate(account=draft_account, bill_date=date(2024, 3, 1))

    with pytest.raises(CreditNoteRefused, match="cancel a draft instead"):
        credit_note_create(invoice=draft, reason="x")
    with pytest.raises(CreditNoteRefused, match="needs a reason"):
        credit_note_create(invoice=issued, reason="  ")


def test_credit_note_numbers_follow_their_own_series(issued):
    first = credit_note_create(invoice=issued, reason="a", lines=[(issued.lines.get(kind="one_off").pk, D("1.00"))])
    second = credit_note_create(invoice=issued, reason="b", lines=[(issued.lines.get(kind="one_off").pk, D("1.00"))])

    assert [first.number, second.number] == [1, 2]
    assert issued.display_number == "INV-000001"
