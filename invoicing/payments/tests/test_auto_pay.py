"""Auto-pay: saved cards are charged off session on the issue or due date, failures are retried on the
tenant's schedule, and an issued invoice first takes the account's credit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from invoicing.models import InvoiceStatus
from invoicing.payments.models import AutoPayAttempt, AutoPayPolicy, PaymentStatus
from invoicing.payments.services import payment_record_offline
from invoicing.payments.services.auto_pay import auto_pay_run_due
from invoicing.payments.services.execute import payments_reconcile_unknown
from invoicing.services import OneOffItem, invoice_one_off_create

from .factories import account_with_invoices, fresh
from .stripe_helpers import save_card

pytestmark = pytest.mark.django_db


def test_invoice_due_is_charged_once_on_its_due_date(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "12.00")
    save_card(account)

    assert auto_pay_run_due(today=invoice.due_date - timedelta(days=1)) == {}
    first = auto_pay_run_due(today=invoice.due_date)
    again = auto_pay_run_due(today=invoice.due_date)

    assert (first, again) == ({"succeeded": 1}, {})
    assert fresh(invoice).status == InvoiceStatus.PAID
    (attempt,) = AutoPayAttempt.objects.filter(invoice=invoice)
    assert attempt.payment.auto_pay and attempt.payment.idempotency_key == f"autopay-{invoice.uuid}-1"
    (call,) = fake_stripe.calls("payment_intents.create")
    assert call["params"]["off_session"] == "true"


def test_failed_auto_pay_is_retried_on_the_tenants_schedule(operator, fake_stripe):
    AutoPayPolicy.objects.create(tenant=operator, retry_days=[2, 5])
    account, (invoice,) = account_with_invoices(operator, "12.00")
    card = save_card(account, "pm_card_chargeDeclined")
    due = invoice.due_date

    auto_pay_run_due(today=due)

    first = AutoPayAttempt.objects.get(invoice=invoice, number=1)
    assert (first.status, first.payment.failure_code) == ("failed", "generic_decline")
    second = AutoPayAttempt.objects.get(invoice=invoice, number=2)
    today = date.today()
    assert (second.status, second.scheduled_for) == ("scheduled", today + timedelta(days=2))

    # the card keeps failing on the second try; the third try is the last of the schedule
    auto_pay_run_due(today=second.scheduled_for)
    third = AutoPayAttempt.objects.get(invoice=invoice, number=3)
    assert third.scheduled_for == today + timedelta(days=5)
    fake_stripe.objects[card.stripe_id]["_decline"] = None  # the customer topped up the card account
    assert auto_pay_run_due(today=third.scheduled_for) == {"succeeded": 1}
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert not AutoPayAttempt.objects.filter(number=4).exists()


def test_last_failed_attempt_schedules_nothing_more(operator, fake_stripe):
    AutoPayPolicy.objects.create(tenant=operator, retry_days=[])
    account, (invoice,) = account_with_invoices(operator, "12.00")
    save_card(account, "pm_card_chargeDeclinedInsufficientFunds")

    auto_pay_run_due(today=invoice.due_date)

    assert list(AutoPayAttempt.objects.values_list("number", "status")) == [(1, "failed")]
    assert fresh(invoice).status == InvoiceStatus.ISSUED


def test_unknown_auto_pay_that_reconciles_as_failed_schedules_the_retry(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "12.00")
    save_card(account, "pm_card_chargeDeclined")
    fake_stripe.misbehave("payment_intents.create", "hang")

    auto_pay_run_due(today=invoice.due_date)
    assert AutoPayAttempt.objects.get(number=1).status == "unknown"

    payments_reconcile_unknown()

    assert AutoPayAttempt.objects.get(number=1).status == "failed"
    assert AutoPayAttempt.objects.get(number=2).status == "scheduled"


def test_issued_invoice_takes_credit_then_auto_pay_charges_the_rest(
    operator, fake_stripe, django_capture_on_commit_callbacks
):
    AutoPayPolicy.objects.create(tenant=operator, charge_on="issue")
    account, _ = account_with_invoices(operator, "10.00")
    save_card(account)
    payment_record_offline(account=account, amount=D("14.00"), gateway="bank_transfer")  # 4.00 too much

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_one_off_create(
            account=account,
            items=[OneOffItem(description="Next month", unit_price=D("30.00"))],
            charge_date=date.today(),
        )

    charged = AutoPayAttempt.objects.get(invoice=invoice).payment
    assert (charged.status, charged.settled_amount) == (PaymentStatus.SUCCEEDED, D("26.00"))
    assert (fresh(invoice).status, invoice.amount_paid) == (InvoiceStatus.PAID, D("30.00"))


def test_no_auto_pay_without_a_saved_card(operator, fake_stripe):
    _account, (invoice,) = account_with_invoices(operator, "12.00")

    assert auto_pay_run_due(today=invoice.due_date) == {}
    assert not AutoPayAttempt.objects.exists()
