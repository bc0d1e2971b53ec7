"""Helpers for the Stripe tests: the customer's browser (Stripe.js) and Stripe's webhook deliveries."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from accounts.models import BillingAccount
from invoicing.payments.gateways.stripe import stripe_client
from invoicing.payments.models import SavedPaymentMethod
from invoicing.payments.services.stripe_flows import stripe_payment_method_save, stripe_setup_intent_create

from .fake_stripe import WEBHOOK_SECRET, signature

WEBHOOK_URL = "/api/v1/payments/stripe/webhook/"


def browser_confirms_setup(account: BillingAccount, card: str = "pm_card_visa") -> dict[str, Any]:
    """What Stripe.js does in the portal: confirm the SetupIntent with the card the customer typed."""
    setup = stripe_setup_intent_create(account=account)
    confirmed = stripe_client().v1.setup_intents.confirm(setup["id"], params={"payment_method": card})
    return json.loads(str(confirmed))


def save_card(account: BillingAccount, card: str = "pm_card_visa") -> SavedPaymentMethod:
    confirmed = browser_confirms_setup(account, card)
    return stripe_payment_method_save(account=account, stripe_pm_id=confirmed["payment_method"])


def deliver(client: Client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, sig: str | None = None) -> Any:
    """POST the event to our endpoint the way Stripe does: raw JSON body, Stripe-Signature header."""
    payload = json.dumps(event)
    return client.post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sig if sig is not None else signature(payload, secret),
    )
