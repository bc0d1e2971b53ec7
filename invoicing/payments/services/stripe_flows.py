"""Stripe use cases: the account's Stripe customer, saving cards (SetupIntent), paying with a saved
card (PaymentIntent) and paying on Stripe's hosted page (Checkout Session), for invoices and top-ups.

Each creates its record first, calls Stripe outside any transaction, then records what came back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import BillingAccount
from accounts.services import audit_record
from invoicing.models import Invoice
from invoicing.payments.exceptions import GatewayNotConfigured, PaymentRefused
from invoicing.payments.gateways.stripe import StripeGateway, stripe_enabled
from invoicing.payments.models import (
    Gateway,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    SavedPaymentMethod,
    StripeCustomer,
)

from .execute import payment_execute
from .payments import payment_create


def stripe_customer_ensure(*, account: BillingAccount) -> StripeCustomer:
    """The account's Stripe customer, created at Stripe once (idempotency key per account)."""
    existing = StripeCustomer.objects.filter(account=account).first()
    if existing is not None:
        return existing
    stripe_id = StripeGateway().customer_create(account)
    try:
        with transaction.atomic():
            return StripeCustomer.objects.create(account=account, stripe_id=stripe_id)
    except IntegrityError:
        # A concurrent request created it; Stripe returned the same customer for the same key.
        return StripeCustomer.objects.get(account=account)


def stripe_setup_intent_create(*, account: BillingAccount) -> dict[str, str]:
    """A SetupIntent the portal confirms with Stripe.js to save a card for later (off-session) charges."""
    customer = stripe_customer_ensure(account=account)
    return StripeGateway().setup_intent_create(customer.stripe_id, account)


def stripe_payment_method_save(
    *, account: BillingAccount, stripe_pm_id: str, make_default: bool = True, attach: bool = False, actor: Any = None
) -> SavedPaymentMethod:
    """Keep a card saved at Stripe (after a SetupIntent succeeded, or attach it now); the default one
    is charged by auto-pay. Idempotent per Stripe payment method id."""
    customer = stripe_customer_ensure(account=account)
    gateway = StripeGateway()
    details = gateway.payment_method_attach(stripe_pm_id, customer.stripe_id) if attach else None
    details = details or gateway.payment_method_get(stripe_pm_id)
    card = details.get("card") or {}
    with transaction.atomic():
        method, _created = SavedPaymentMethod.objects.select_for_update().get_or_create(
            stripe_id=stripe_pm_id, defaults={"account": account}
        )
        if method.account_id != account.pk:
            raise PaymentRefused("This payment method belongs to another account.")
        method.brand = card.get("brand", "")[:20]
        method.last4 = card.get("last4", "")[:4]
        method.exp_month, method.exp_year = card.get("exp_month"), card.get("exp_year")
        if make_default:
            SavedPaymentMethod.objects.filter(account=account, is_default=True).exclude(pk=method.pk).update(
                is_default=False
            )
            method.is_default = True
        method.save()
        audit_record(
            action="payment_method.save", obj=method, actor=actor, tenant=account.tenant, after={"card": str(method)}
        )
        return method


def stripe_payment_start(
    *,
    account: BillingAccount,
    amount: Decimal,
    method: str = PaymentMethod.CARD,
    invoice: Invoice | None = None,
    purpose: str = PaymentPurpose.INVOICE,
    auto_pay: bool = False,
    idempotency_key: str = "",
    actor: Any = None,
) -> Payment:
    """Pay through Stripe: `card` charges the account's default saved card (a PaymentIntent confirmed at
    once); `checkout` opens a Checkout Session for the portal, and the payment waits (started,
    `checkout_url` set) until the webhook says the customer paid."""
    if not stripe_enabled():
        raise GatewayNotConfigured("Stripe is off: set STRIPE_SECRET_KEY to take card payments.")
    if method == PaymentMethod.CARD:
        if not SavedPaymentMethod.objects.filter(account=account, is_default=True).exists():
            raise PaymentRefused(f"Account {account.number} has no saved card to charge.", code="no_payment_method")
    elif method == PaymentMethod.CHECKOUT:
        stripe_customer_ensure(account=account)
    else:
        raise PaymentRefused(f"Stripe takes card or checkout payments, not {method}.")
    payment = payment_create(
        account=account,
        amount=amount,
        gateway=Gateway.STRIPE,
        method=method,
        invoice=invoice,
        purpose=purpose,
        auto_pay=auto_pay,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    return payment_execute(payment=payment, actor=actor)
