"""The Stripe webhook endpoint: signed events are stored once and pay once; forged ones change nothing."""

from __future__ import annotations

import json
import time
from decimal import Decimal as D

import pytest

from accounts.models import LedgerTransaction
from invoicing.models import InvoiceStatus
from invoicing.payments.models import PaymentAllocation, PaymentStatus, WebhookEvent
from invoicing.payments.services.stripe_flows import stripe_payment_start

from .factories import account_with_invoices, fresh
from .fake_stripe import signature
from .stripe_helpers import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_checkout(operator, fake_stripe):
    """An invoice of 25.00, a Checkout Session for it that the customer paid, and Stripe's event."""
    account, (invoice,) = account_with_invoices(operator, "25.00")
    payment = stripe_payment_start(method="checkout", account=account, amount=D("25.00"), invoice=invoice)
    event = fake_stripe.event("checkout.session.completed", fake_stripe.checkout_complete(payment.gateway_session_id))
    return invoice, payment, event


def test_webhook_replayed_three_times_pays_once(paid_checkout, client):
    invoice, payment, event = paid_checkout

    answers = [deliver(client, event) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert (stored.deliveries, stored.payment_id, stored.processed_at is not None) == (3, payment.pk, True)
    assert PaymentAllocation.objects.filter(payment=payment).count() == 1
    assert LedgerTransaction.objects.filter(reference=f"payment:{payment.uuid}").count() == 1
    assert (fresh(invoice).status, invoice.amount_paid) == (InvoiceStatus.PAID, D("25.00"))


def test_two_events_for_one_payment_pay_once(paid_checkout, client, fake_stripe):
    invoice, payment, event = paid_checkout
    session = event["data"]["object"]
    intent = fake_stripe.objects[session["payment_intent"]]

    deliver(client, event)
    deliver(client, fake_stripe.event("payment_intent.succeeded", intent))

    assert fresh(invoice).amount_paid == D("25.00")
    assert LedgerTransaction.objects.filter(reference=f"payment:{payment.uuid}").count() == 1


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda payload: signature(payload, "whsec_someone_else"), id="wrong secret"),
        pytest.param(lambda payload: signature(payload, timestamp=int(time.time()) - 3600), id="stale timestamp"),
        pytest.param(lambda payload: signature(payload.replace("25", "99")), id="body changed after signing"),
        pytest.param(lambda payload: "", id="no signature"),
    ],
)
def test_forged_signature_is_rejected_and_changes_nothing(paid_checkout, client, forge):
    invoice, payment, event = paid_checkout

    response = deliver(client, event, sig=forge(json.dumps(event)))

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_rejected"
    assert not WebhookEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED
    assert (fresh(invoice).status, invoice.amount_paid) == (InvoiceStatus.ISSUED, D("0"))


def test_event_of_a_type_we_do_not_handle_is_stored_and_acknowledged(client, fake_stripe):
    event = fake_stripe.event("customer.updated", {"id": "cus_1", "object": "customer"})

    response = deliver(client, event)

    assert response.status_code == 200
    assert WebhookEvent.objects.get(event_id=event["id"]).processed_at is not None


def test_webhooks_are_off_without_an_endpoint_secret(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = client.post("/api/v1/payments/stripe/webhook/", data="{}", content_type="application/json")

    assert response.status_code == 503
