"""Money flow of offline payments: allocation oldest first or to the named invoice, partial payments,
overpayments kept as credit and used on the next invoice, refunds, chargebacks, operator edits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from accounts.models import ExchangeRate, LedgerAccount, LedgerEntry
from accounts.tests.factories import make_account, unit
from invoicing.models import InvoiceStatus
from invoicing.payments.exceptions import AllocationRefused, PaymentRefused, RefundRefused
from invoicing.payments.models import PaymentPurpose, PaymentStatus, RefundStatus
from invoicing.payments.selectors import accounts_with_failed_payments
from invoicing.payments.services import (
    account_credit_apply,
    payment_allocations_set,
    payment_charge_back,
    payment_record_offline,
    payment_return,
    refund_create,
)
from invoicing.services import OneOffItem, invoice_one_off_create

from .factories import account_with_invoices, credit_of, fresh, receivable_of

pytestmark = pytest.mark.django_db


def test_payment_pays_the_oldest_open_invoices_first(operator):
    account, (first, second, third) = account_with_invoices(operator, "30.00", "50.00", "20.00")

    payment = payment_record_offline(account=account, amount=D("60.00"), gateway="bank_transfer")

    assert payment.status == PaymentStatus.SUCCEEDED
    assert (fresh(first).status, first.amount_paid) == (InvoiceStatus.PAID, D("30.00"))
    assert (fresh(second).status, second.amount_paid, second.open_amount) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("30.00"),
        D("20.00"),
    )
    assert (fresh(third).status, third.amount_paid) == (InvoiceStatus.ISSUED, D("0"))
    assert receivable_of(account) == D("-40.00")
    assert payment.amount_allocated == D("60.00") and payment.unallocated == D("0")


def test_payment_naming_an_invoice_pays_it_first(operator):
    account, (first, second) = account_with_invoices(operator, "30.00", "50.00")

    payment_record_offline(account=account, amount=D("50.00"), gateway="cash", invoice=second)

    assert fresh(second).status == InvoiceStatus.PAID
    assert fresh(first).status == InvoiceStatus.ISSUED


def test_partial_then_overpayment_then_refund_leave_exact_balances(operator):
    # given two invoices: 100.00 and 40.00
    account, (big, small) = account_with_invoices(operator, "100.00", "40.00")

    # when the customer pays 30.00, then 150.00 (20.00 too much), then 15.00 of it is refunded
    partial = payment_record_offline(account=account, amount=D("30.00"), gateway="bank_transfer", reference="p1")
    assert (fresh(big).status, big.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("70.00"))
    over = payment_record_offline(account=account, amount=D("130.00"), gateway="bank_transfer", reference="p2")
    refund = refund_create(payment=over, amount=D("15.00"), reason="customer asked")

    # then both invoices are paid, 5.00 credit is left, and every balance is its entries' sum
    assert (fresh(big).status, big.open_amount) == (InvoiceStatus.PAID, D("0.00"))
    assert (fresh(small).status, small.open_amount) == (InvoiceStatus.PAID, D("0.00"))
    assert refund.status == RefundStatus.SUCCEEDED
    over.refresh_from_db()
    assert (over.amount_allocated, over.amount_refunded, over.unallocated) == (D("110.00"), D("15.00"), D("5.00"))
    assert over.status == PaymentStatus.PARTIALLY_REFUNDED
    assert partial.amount_allocated == D("30.00")
    assert credit_of(account) == D("5.00")
    assert receivable_of(account) == D("0.00")
    cash = LedgerAccount.objects.get(tenant=operator, kind="cash", code="bank_transfer")
    assert cash.balance == D("-145.00")
    for ledger_account in (cash, *LedgerAccount.objects.filter(billing_account=account)):
        entries = LedgerEntry.objects.filter(ledger_account=ledger_account)
        assert ledger_account.balance == sum((e.amount for e in entries), D("0"))


def test_refund_beyond_the_credit_reopens_the_paid_invoice(operator):
    account, (invoice,) = account_with_invoices(operator, "80.00")
    payment = payment_record_offline(account=account, amount=D("100.00"), gateway="bank_transfer")

    refund_create(payment=payment, amount=D("50.00"), reason="service not delivered")

    # 20.00 of credit went first, then 30.00 was taken back from the invoice
    assert (fresh(invoice).status, invoice.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("30.00"))
    assert credit_of(account) == D("0.00")
    assert receivable_of(account) == D("-30.00")


def test_refund_of_more_than_refundable_is_refused_and_changes_nothing(operator):
    account, _ = account_with_invoices(operator, "10.00")
    payment = payment_record_offline(account=account, amount=D("10.00"), gateway="cash")
    refund_create(payment=payment, amount=D("4.00"), reason="partial")

    with pytest.raises(RefundRefused, match=r"6\.00 EUR refundable"):
        refund_create(payment=payment, amount=D("6.01"), reason="too much")

    payment.refresh_from_db()
    assert payment.amount_refunded == D("4.00")


def test_overpayment_credit_is_used_on_the_next_invoice(operator):
    account, _ = account_with_invoices(operator, "40.00")
    payment = payment_record_offline(account=account, amount=D("65.00"), gateway="bank_transfer")
    assert credit_of(account) == D("25.00")

    nxt = invoice_one_off_create(
        account=account, items=[OneOffItem(description="Next", unit_price=D("30.00"))], charge_date=date.today()
    )
    applied = account_credit_apply(account=account)

    assert applied == D("25.00")
    assert (fresh(nxt).status, nxt.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("5.00"))
    assert credit_of(account) == D("0.00")
    payment.refresh_from_db()
    assert (payment.amount_allocated, payment.unallocated) == (D("65.00"), D("0.00"))
    assert account_credit_apply(account=account) == D("0")  # run twice: nothing more


def test_top_up_credits_the_money_pocket_and_pays_no_invoice(operator):
    account = make_account(tenant=operator)

    payment = payment_record_offline(account=account, amount=D("20.00"), gateway="cash", purpose=PaymentPurpose.TOP_UP)

    assert credit_of(account) == D("20.00")
    assert payment.amount_allocated == D("0") and payment.ledger_transaction.kind == "top_up"
    assert account_credit_apply(account=account) == D("0")


def test_same_idempotency_key_records_the_payment_once(operator):
    account, (invoice,) = account_with_invoices(operator, "10.00")

    first = payment_record_offline(account=account, amount=D("10.00"), gateway="cash", idempotency_key="desk-1")
    again = payment_record_offline(account=account, amount=D("10.00"), gateway="cash", idempotency_key="desk-1")

    assert again.pk == first.pk
    assert fresh(invoice).amount_paid == D("10.00")


def test_operator_moves_an_allocation_to_another_invoice(operator):
    account, (first, second) = account_with_invoices(operator, "30.00", "30.00")
    payment = payment_record_offline(account=account, amount=D("30.00"), gateway="cheque")
    assert fresh(first).status == InvoiceStatus.PAID

    payment_allocations_set(payment=payment, allocations=[(second, D("25.00"))], note="customer meant the second")

    assert (fresh(first).status, first.open_amount) == (InvoiceStatus.ISSUED, D("30.00"))
    assert (fresh(second).status, second.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("5.00"))
    assert credit_of(account) == D("5.00")
    assert receivable_of(account) == D("-35.00")


def test_allocation_above_the_open_amount_is_refused(operator):
    account, (first, second) = account_with_invoices(operator, "30.00", "10.00")
    payment = payment_record_offline(account=account, amount=D("40.00"), gateway="cheque")

    with pytest.raises(AllocationRefused, match="open"):
        payment_allocations_set(payment=payment, allocations=[(first, D("30.00")), (second, D("10.01"))])


def test_chargeback_takes_the_money_back_and_posts_the_fee(operator):
    account, (invoice,) = account_with_invoices(operator, "50.00")
    payment = payment_record_offline(account=account, amount=D("50.00"), gateway="bank_transfer")

    refund = payment_charge_back(
        payment=payment, amount=D("50.00"), fee=D("15.00"), reason="fraudulent", gateway_dispute_id="dp_1"
    )
    again = payment_charge_back(
        payment=payment, amount=D("50.00"), fee=D("15.00"), reason="fraudulent", gateway_dispute_id="dp_1"
    )

    assert again.pk == refund.pk
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CHARGED_BACK
    assert (fresh(invoice).status, invoice.open_amount) == (InvoiceStatus.ISSUED, D("50.00"))
    fees = LedgerAccount.objects.get(tenant=operator, kind="adjustments", code="chargeback_fees")
    cash = LedgerAccount.objects.get(tenant=operator, kind="cash", code="bank_transfer")
    assert (fees.balance, cash.balance) == (D("-15.00"), D("15.00"))


def test_payment_in_bitcoin_records_the_rate_its_source_and_time(operator):
    account, (invoice,) = account_with_invoices(operator, "100.00")
    quoted = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    ExchangeRate.objects.create(
        tenant=operator, from_unit=unit("BTC"), to_unit=unit("EUR"), rate=D("60000.123456"), valid_from=quoted,
        source="Kraken mid",
    )  # fmt: skip

    payment = payment_record_offline(account=account, amount=D("0.00200000"), unit=unit("BTC"), gateway="bank_transfer")

    # 0.002 BTC x 60000.123456 = 120.000246912 EUR, rounded down to the cent
    assert (payment.amount, payment.unit.code, payment.settled_amount) == (D("0.002"), "BTC", D("120.00"))
    assert (payment.exchange_rate, payment.exchange_rate_source, payment.exchange_rate_at) == (
        D("60000.123456"),
        "Kraken mid",
        quoted,
    )
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert credit_of(account) == D("20.00")
    btc_cash = LedgerAccount.objects.get(tenant=operator, kind="cash", code="bank_transfer", unit__code="BTC")
    assert btc_cash.balance == D("-0.002")


def test_gateway_rate_is_used_as_given_and_needs_its_source(operator):
    account, _ = account_with_invoices(operator, "10.00")
    with pytest.raises(PaymentRefused, match="source"):
        payment_record_offline(
            account=account, amount=D("0.001"), unit=unit("BTC"), gateway="cash", exchange_rate=D("50000")
        )

    payment = payment_record_offline(
        account=account,
        amount=D("0.001"),
        unit=unit("BTC"),
        gateway="cash",
        exchange_rate=D("50000"),
        exchange_rate_source="BTCPay quote q-77",
    )

    assert (payment.settled_amount, payment.exchange_rate_source) == (D("50.00"), "BTCPay quote q-77")


def test_bounced_cheque_reopens_its_invoices_and_fails_the_payment(operator):
    account, (first, second) = account_with_invoices(operator, "30.00", "30.00")
    cheque = payment_record_offline(account=account, amount=D("50.00"), gateway="cheque", reference="CHQ-1")

    returned = payment_return(payment=cheque, reason="insufficient funds", code="MS03")
    again = payment_return(payment=cheque, reason="insufficient funds", code="MS03")

    assert again.pk == returned.pk
    cheque.refresh_from_db()
    assert (cheque.status, cheque.failure_code, cheque.amount_allocated) == (PaymentStatus.FAILED, "MS03", D("0"))
    assert (fresh(first).status, fresh(second).status) == (InvoiceStatus.ISSUED, InvoiceStatus.ISSUED)
    assert receivable_of(account) == D("-60.00")
    assert list(accounts_with_failed_payments()) == [account]
    # recording the same cheque again (same key) does not bring the money back by itself
    assert (
        payment_record_offline(
            account=account, amount=D("50.00"), gateway="cheque", idempotency_key=cheque.idempotency_key
        ).status
        == PaymentStatus.FAILED
    )
