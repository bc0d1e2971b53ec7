"""Stripe through the official `stripe` library: customers, SetupIntents, PaymentIntents, Checkout
Sessions and refunds.

On only when `STRIPE_SECRET_KEY` is set. The client gets a short timeout (`STRIPE_TIMEOUT_SECONDS`) and
`STRIPE_API_BASE` when set (the tests' local fake). Every call that creates money movement carries our
deterministic idempotency key (`pay-<uuid>`, `refund-<uuid>`), so asking again after a timeout can
never charge twice: Stripe answers a replayed key with the first result. Errors are mapped to
outcomes: a card decline is a failure with Stripe's decline code; a timeout, a connection error, a
5xx or a body that is not JSON leave the payment unknown; a request Stripe refuses is a failure.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import stripe
from django.conf import settings

from accounts.models import BillingAccount
from accounts.money import to_minor_units
from invoicing.payments.exceptions import GatewayNotConfigured, PaymentRefused
from invoicing.payments.models import Payment, PaymentMethod, Refund, SavedPaymentMethod

from . import GatewayResult, Outcome

PI_OUTCOMES = {
    "succeeded": Outcome.SUCCEEDED,
    "processing": Outcome.STARTED,
    "requires_action": Outcome.STARTED,
    "requires_confirmation": Outcome.STARTED,
    "requires_capture": Outcome.STARTED,
    "requires_payment_method": Outcome.FAILED,
    "canceled": Outcome.FAILED,
}
REFUND_OUTCOMES = {
    "succeeded": Outcome.SUCCEEDED,
    "pending": Outcome.STARTED,
    "requires_action": Outcome.STARTED,
    "failed": Outcome.FAILED,
    "canceled": Outcome.FAILED,
}


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    if not stripe_enabled():
        raise GatewayNotConfigured("Stripe is off: set STRIPE_SECRET_KEY to take card payments.")
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,  # type: ignore[arg-type]
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _failure(exc: stripe.StripeError) -> GatewayResult:
    """The outcome of a refused call: a decline keeps Stripe's codes and the PaymentIntent id."""
    body = exc.json_body.get("error", {}) if isinstance(exc.json_body, dict) else {}
    if isinstance(exc, stripe.CardError):
        intent = body.get("payment_intent") or {}
        return GatewayResult(
            Outcome.FAILED,
            gateway_id=intent.get("id", "") if isinstance(intent, Mapping) else "",
            failure_code=body.get("decline_code") or body.get("code") or "card_declined",
            failure_reason=body.get("message") or str(exc),
            detail={"type": "card_error", "code": body.get("code", "")},
        )
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)):
        # No usable answer: Stripe may or may not have done it. Unknown until asked again.
        return GatewayResult(Outcome.UNKNOWN, failure_reason=f"{type(exc).__name__}: {str(exc)[:200]}")
    return GatewayResult(
        Outcome.FAILED,
        failure_code=body.get("code") or type(exc).__name__,
        failure_reason=body.get("message") or str(exc)[:255],
    )


def _call(make: Callable[[], Any], read: Callable[[Any], GatewayResult]) -> GatewayResult:
    try:
        return read(make())
    except stripe.StripeError as exc:
        return _failure(exc)


def _intent_result(intent: Any) -> GatewayResult:
    outcome = PI_OUTCOMES.get(intent.get("status", ""), Outcome.UNKNOWN)
    error = intent.get("last_payment_error") or {}
    return GatewayResult(
        outcome,
        gateway_id=intent["id"],
        failure_code=(error.get("decline_code") or error.get("code") or "") if outcome == Outcome.FAILED else "",
        failure_reason=error.get("message", "") if outcome == Outcome.FAILED else "",
        detail={"payment_intent_status": intent.get("status")},
    )


def _session_result(session: Any) -> GatewayResult:
    paid = session.get("status") == "complete" and session.get("payment_status") in ("paid", "no_payment_required")
    if paid:
        outcome = Outcome.SUCCEEDED
    elif session.get("status") == "expired":
        outcome = Outcome.FAILED
    else:
        outcome = Outcome.STARTED
    return GatewayResult(
        outcome,
        gateway_id=session.get("payment_intent") or "",
        session_id=session["id"],
        redirect_url=session.get("url") or "",
        failure_code="expired" if outcome == Outcome.FAILED else "",
        failure_reason="The Checkout page expired unpaid." if outcome == Outcome.FAILED else "",
    )


def refund_result(refund: Any) -> GatewayResult:
    outcome = REFUND_OUTCOMES.get(refund.get("status", ""), Outcome.UNKNOWN)
    return GatewayResult(outcome, gateway_id=refund["id"], failure_reason=refund.get("failure_reason") or "", detail={})


def _metadata(payment: Payment) -> dict[str, str]:
    return {"payment_uuid": str(payment.uuid), "account": payment.account.number, "tenant": str(payment.tenant_id)}


class StripeGateway:
    code = "stripe"

    def __init__(self) -> None:
        self.client = stripe_client()

    # -- customers and saved cards (no money moves) ---------------------------------------------

    def customer_create(self, account: BillingAccount) -> str:
        customer = self.client.v1.customers.create(
            params={
                "name": account.customer.name,
                "email": account.customer.email,
                "metadata": {"account": account.number, "account_uuid": str(account.uuid)},
            },
            options={"idempotency_key": f"cus-{account.uuid}"},
        )
        return str(customer.id)

    def setup_intent_create(self, customer_id: str, account: BillingAccount) -> dict[str, str]:
        intent = self.client.v1.setup_intents.create(
            params={
                "customer": customer_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": {"account_uuid": str(account.uuid)},
            },
            options={"idempotency_key": f"seti-{uuid.uuid4()}"},
        )
        return {"id": intent.id, "client_secret": intent.client_secret or ""}

    def payment_method_attach(self, pm_id: str, customer_id: str) -> Mapping[str, Any]:
        return self.client.v1.payment_methods.attach(pm_id, params={"customer": customer_id})

    def payment_method_get(self, pm_id: str) -> Mapping[str, Any]:
        return self.client.v1.payment_methods.retrieve(pm_id)

    # -- money ------------------------------------------------------------------------------------

    def charge(self, payment: Payment) -> GatewayResult:
        if payment.unit_id != payment.currency_id:
            raise PaymentRefused("Stripe charges the account's currency only.")
        customer = getattr(payment.account, "stripe_customer", None)
        amount = to_minor_units(payment.settled_amount, payment.currency.decimals)
        currency = payment.currency.code.lower()
        if payment.method == PaymentMethod.CHECKOUT:
            return _call(lambda: self._checkout_create(payment, customer, amount, currency), _session_result)
        card = SavedPaymentMethod.objects.filter(account_id=payment.account_id, is_default=True).first()
        if customer is None or card is None:
            return GatewayResult(Outcome.FAILED, failure_code="no_payment_method", failure_reason="No saved card.")
        params = {
            "amount": amount,
            "currency": currency,
            "customer": customer.stripe_id,
            "payment_method": card.stripe_id,
            "confirm": True,
            "off_session": payment.auto_pay,
            "description": f"Payment {payment.uuid} ({payment.account.number})",
            "metadata": _metadata(payment),
        }
        return _call(
            lambda: self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": payment.idempotency_key},
            ),
            _intent_result,
        )

    def _checkout_create(self, payment: Payment, customer: Any, amount: int, currency: str) -> Any:
        name = f"Invoice {payment.invoice.display_number}" if payment.invoice_id else "Top-up"
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": name}},
                }
            ],
            "client_reference_id": str(payment.uuid),
            "metadata": _metadata(payment),
            "payment_intent_data": {"metadata": _metadata(payment)},
            "success_url": f"{settings.SITE_URL}/selfcare/?payment={payment.uuid}&result=success",
            "cancel_url": f"{settings.SITE_URL}/selfcare/?payment={payment.uuid}&result=cancel",
        }
        if customer is not None:
            params["customer"] = customer.stripe_id
        return self.client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": payment.idempotency_key},
        )

    def refund(self, refund: Refund) -> GatewayResult:
        payment = refund.payment
        if not payment.gateway_payment_id:
            return GatewayResult(Outcome.FAILED, failure_reason="The payment has no PaymentIntent to refund.")
        params = {
            "payment_intent": payment.gateway_payment_id,
            "amount": to_minor_units(refund.amount, payment.currency.decimals),
            "reason": "requested_by_customer",
            "metadata": {"refund_uuid": str(refund.uuid), "payment_uuid": str(payment.uuid)},
        }
        return _call(
            lambda: self.client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": refund.idempotency_key},
            ),
            refund_result,
        )

    def refund_status(self, refund: Refund) -> GatewayResult:
        if not refund.gateway_refund_id:
            return self.refund(refund)  # same idempotency key: Stripe answers the first result
        return _call(lambda: self.client.v1.refunds.retrieve(refund.gateway_refund_id), refund_result)

    def status(self, payment: Payment) -> GatewayResult:
        """Ask Stripe again. Without an id (the create call never answered) the create is replayed with
        the same idempotency key: Stripe returns what it did the first time, or does it now, once."""
        if payment.gateway_payment_id:
            return _call(lambda: self.client.v1.payment_intents.retrieve(payment.gateway_payment_id), _intent_result)
        if payment.gateway_session_id:
            return _call(lambda: self.client.v1.checkout.sessions.retrieve(payment.gateway_session_id), _session_result)
        return self.charge(payment)
