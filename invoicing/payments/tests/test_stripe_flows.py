"""Stripe end to end against the local fake: saved cards, PaymentIntents (success, decline, hang ->
unknown -> reconciled), Checkout completed by webhook, refunds. Nothing leaves 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accounts.models import LedgerAccount
from accounts.tests.factories import make_account
from invoicing.models import InvoiceStatus
from invoicing.payments.exceptions import GatewayNotConfigured
from invoicing.payments.models import Payment, PaymentPurpose, PaymentStatus, RefundStatus, SavedPaymentMethod
from invoicing.payments.services.execute import payments_reconcile_unknown, refund_request
from invoicing.payments.services.stripe_flows import stripe_payment_start

from .factories import account_with_invoices, credit_of, fresh
from .stripe_helpers import browser_confirms_setup, deliver, save_card

pytestmark = pytest.mark.django_db


def test_card_saved_through_setup_intent_and_webhook_then_charged_for_an_invoice(operator, fake_stripe, client):
    account, (invoice,) = account_with_invoices(operator, "42.50")

    # the customer saves a card in the portal; Stripe tells us by webhook
    confirmed = browser_confirms_setup(account)
    assert deliver(client, fake_stripe.event("setup_intent.succeeded", confirmed)).status_code == 200
    card = SavedPaymentMethod.objects.get(account=account)
    assert (card.is_default, card.brand, card.last4) == (True, "visa", "4242")

    payment = stripe_payment_start(account=account, amount=D("42.50"), invoice=invoice)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_payment_id.startswith("pi_")
    assert fresh(invoice).status == InvoiceStatus.PAID
    (create,) = fake_stripe.calls("payment_intents.create")
    assert create["idempotency_key"] == f"pay-{payment.uuid}"
    assert (create["params"]["amount"], create["params"]["currency"]) == ("4250", "eur")
    stripe_cash = LedgerAccount.objects.get(tenant=operator, kind="cash", code="stripe")
    assert stripe_cash.balance == D("-42.50")


def test_declined_card_fails_the_payment_with_stripes_reason(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "30.00")
    save_card(account, "pm_card_chargeDeclinedInsufficientFunds")

    payment = stripe_payment_start(account=account, amount=D("30.00"), invoice=invoice)

    assert payment.status == PaymentStatus.FAILED
    assert (payment.failure_code, payment.failure_reason) == ("insufficient_funds", "Your card has insufficient funds.")
    assert payment.gateway_payment_id.startswith("pi_")
    assert fresh(invoice).status == InvoiceStatus.ISSUED
    assert payment.ledger_transaction is None


def test_stripe_that_hangs_leaves_the_payment_unknown_until_reconciliation_asks_again(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "18.00")
    save_card(account)
    fake_stripe.misbehave("payment_intents.create", "hang")

    payment = stripe_payment_start(account=account, amount=D("18.00"), invoice=invoice)

    # then neither paid nor failed: nothing posted, the invoice still open
    assert payment.status == PaymentStatus.UNKNOWN
    assert payment.ledger_transaction is None
    assert fresh(invoice).status == InvoiceStatus.ISSUED

    # when the reconciliation job runs, Stripe answers the same key with what it did: one charge
    assert payments_reconcile_unknown() == {"succeeded": 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert fresh(invoice).status == InvoiceStatus.PAID
    charges = [o for o in fake_stripe.objects.values() if o["object"] == "payment_intent"]
    assert len(charges) == 1 and charges[0]["id"] == payment.gateway_payment_id


def test_stripe_answering_garbage_leaves_the_payment_unknown(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "18.00")
    save_card(account)
    fake_stripe.misbehave("payment_intents.create", "garbage")

    payment = stripe_payment_start(account=account, amount=D("18.00"), invoice=invoice)

    assert payment.status == PaymentStatus.UNKNOWN
    assert payments_reconcile_unknown() == {"succeeded": 1}


def test_checkout_session_is_created_and_completed_by_webhook(operator, fake_stripe, client):
    account, (invoice,) = account_with_invoices(operator, "25.00")

    payment = stripe_payment_start(method="checkout", account=account, amount=D("25.00"), invoice=invoice)
    assert payment.status == PaymentStatus.STARTED
    assert payment.checkout_url.startswith(fake_stripe.base_url) and payment.gateway_session_id.startswith("cs_")

    session = fake_stripe.checkout_complete(payment.gateway_session_id)
    response = deliver(client, fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_payment_id == session["payment_intent"]
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_expired_checkout_fails_the_payment(operator, fake_stripe, client):
    account, (invoice,) = account_with_invoices(operator, "25.00")
    payment = stripe_payment_start(method="checkout", account=account, amount=D("25.00"), invoice=invoice)

    deliver(
        client, fake_stripe.event("checkout.session.expired", fake_stripe.checkout_expire(payment.gateway_session_id))
    )

    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "expired")


def test_top_up_through_checkout_credits_the_money_pocket(operator, fake_stripe, client):
    account = make_account(tenant=operator)

    payment = stripe_payment_start(method="checkout", account=account, amount=D("15.00"), purpose=PaymentPurpose.TOP_UP)
    deliver(
        client,
        fake_stripe.event("checkout.session.completed", fake_stripe.checkout_complete(payment.gateway_session_id)),
    )

    assert credit_of(account) == D("15.00")


def test_refund_through_stripe_reopens_the_invoice_and_leaves_nothing_in_transit(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "40.00")
    save_card(account)
    payment = stripe_payment_start(account=account, amount=D("40.00"), invoice=invoice)

    refund = refund_request(payment=payment, amount=D("10.00"), reason="goodwill")

    assert refund.status == RefundStatus.SUCCEEDED and refund.gateway_refund_id.startswith("re_")
    (call,) = fake_stripe.calls("refunds.create")
    assert (call["idempotency_key"], call["params"]["amount"]) == (f"refund-{refund.uuid}", "1000")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert (fresh(invoice).status, invoice.open_amount) == (InvoiceStatus.PARTIALLY_PAID, D("10.00"))
    in_transit = LedgerAccount.objects.get(tenant=operator, kind="adjustments", code="refunds_in_transit")
    stripe_cash = LedgerAccount.objects.get(tenant=operator, kind="cash", code="stripe")
    assert (in_transit.balance, stripe_cash.balance) == (D("0"), D("-30.00"))


def test_refund_that_stripe_does_not_answer_is_reconciled(operator, fake_stripe):
    account, (invoice,) = account_with_invoices(operator, "40.00")
    save_card(account)
    payment = stripe_payment_start(account=account, amount=D("40.00"), invoice=invoice)
    fake_stripe.misbehave("refunds.create", "hang")

    refund = refund_request(payment=payment, amount=D("40.00"), reason="cancelled order")

    assert refund.status == RefundStatus.UNKNOWN
    assert payments_reconcile_unknown() == {"refund_succeeded": 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert len(fake_stripe.calls("refunds.create")) == 2  # the replay, same key
    assert len([o for o in fake_stripe.objects.values() if o["object"] == "refund"]) == 1


def test_dispute_webhook_charges_the_payment_back(operator, fake_stripe, client):
    account, (invoice,) = account_with_invoices(operator, "40.00")
    save_card(account)
    payment = stripe_payment_start(account=account, amount=D("40.00"), invoice=invoice)
    dispute = {
        "id": "dp_123",
        "object": "dispute",
        "amount": 4000,
        "currency": "eur",
        "payment_intent": payment.gateway_payment_id,
        "reason": "fraudulent",
        "balance_transactions": [{"fee": 1500}],
    }

    deliver(client, fake_stripe.event("charge.dispute.created", dispute))

    payment.refresh_from_db()
    assert (payment.status, payment.amount_charged_back) == (PaymentStatus.CHARGED_BACK, D("40.00"))
    assert fresh(invoice).status == InvoiceStatus.ISSUED
    fees = LedgerAccount.objects.get(tenant=operator, kind="adjustments", code="chargeback_fees")
    assert fees.balance == D("-15.00")


def test_stripe_off_refuses_card_payments_and_creates_nothing(operator, settings):
    settings.STRIPE_SECRET_KEY = ""
    account, (invoice,) = account_with_invoices(operator, "10.00")

    with pytest.raises(GatewayNotConfigured):
        stripe_payment_start(method="checkout", account=account, amount=D("10.00"), invoice=invoice)

    assert not Payment.objects.exists()
    assert payments_reconcile_unknown() == {}
