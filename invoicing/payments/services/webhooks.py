"""Stripe webhooks: verified, stored once per event id, handled once.

The signature is checked with the endpoint secret (`STRIPE_WEBHOOK_SECRET`) by the `stripe` library
before anything is written: a forged or stale request changes nothing. Every event is stored
(`WebhookEvent`, unique event id); a replay only counts the delivery. Handlers call the same
idempotent services as the rest of the app, so even two deliveries racing each other pay once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.money import from_minor_units
from invoicing.payments.exceptions import GatewayNotConfigured, WebhookRejected
from invoicing.payments.gateways import GatewayResult, Outcome
from invoicing.payments.gateways.stripe import refund_result
from invoicing.payments.models import Gateway, Payment, Refund, RefundKind, StripeCustomer, WebhookEvent

from .execute import payment_apply_result, refund_apply_result
from .refunds import payment_charge_back
from .stripe_flows import stripe_payment_method_save

logger = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], "Payment | None"]


def stripe_webhook_receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify, store and handle one Stripe event. Returns (event, handled now); a replay of an event
    already handled returns (event, False) and changes nothing but the delivery count."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise GatewayNotConfigured("Stripe webhooks are off: set STRIPE_WEBHOOK_SECRET.")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookRejected(f"Stripe signature check failed: {exc}") from exc
    data = json.loads(payload)
    if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id"):
        raise WebhookRejected("The payload is not a Stripe event.")
    event = _store(data)
    if event.processed_at is not None:
        return event, False
    try:
        payment = HANDLERS.get(event.type, _ignore)(data["data"]["object"])
        error = ""
    except Exception as exc:  # the event stays unprocessed; Stripe retries it
        logger.exception("Stripe event %s (%s) failed", event.event_id, event.type)
        payment, error = None, f"{type(exc).__name__}: {exc}"
    updates: dict[str, Any] = {"error": error[:2000]}
    if payment is not None:
        updates.update(payment=payment, tenant_id=payment.tenant_id)
    if not error:
        updates["processed_at"] = timezone.now()
    WebhookEvent.objects.filter(pk=event.pk).update(**updates)
    event.refresh_from_db()
    if error:
        raise RuntimeError(error)
    return event, True


def _store(data: dict[str, Any]) -> WebhookEvent:
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(
                gateway=Gateway.STRIPE, event_id=data["id"], type=str(data.get("type", ""))[:80], payload=data
            )
    except IntegrityError:
        WebhookEvent.objects.filter(event_id=data["id"]).update(deliveries=F("deliveries") + 1)
        return WebhookEvent.objects.get(event_id=data["id"])


def _payment_for(obj: dict[str, Any], *, by_intent: str = "", by_session: str = "") -> Payment | None:
    """Our payment named in the object's metadata, else found by its PaymentIntent / session id."""
    query = Payment.objects.select_related("account__customer", "currency", "unit", "invoice", "tenant")
    reference = (obj.get("metadata") or {}).get("payment_uuid") or obj.get("client_reference_id")
    if reference:
        found = query.filter(uuid=reference).first()
        if found is not None:
            return found
    if by_intent:
        return query.filter(gateway=Gateway.STRIPE, gateway_payment_id=by_intent).first()
    if by_session:
        return query.filter(gateway=Gateway.STRIPE, gateway_session_id=by_session).first()
    return None


def _intent_event(outcome: Outcome) -> Handler:
    def handle(intent: dict[str, Any]) -> Payment | None:
        payment = _payment_for(intent, by_intent=intent["id"])
        if payment is None:
            return None
        error = intent.get("last_payment_error") or {}
        result = GatewayResult(
            outcome,
            gateway_id=intent["id"],
            failure_code=error.get("decline_code") or error.get("code") or "",
            failure_reason=error.get("message", ""),
            detail={"event": "payment_intent", "status": intent.get("status")},
        )
        return payment_apply_result(payment=payment, result=result)

    return handle


def _session_event(outcome: Outcome | None) -> Handler:
    def handle(session: dict[str, Any]) -> Payment | None:
        payment = _payment_for(session, by_session=session["id"])
        if payment is None:
            return None
        paid = session.get("payment_status") in ("paid", "no_payment_required")
        result_outcome = outcome or (Outcome.SUCCEEDED if paid else Outcome.STARTED)
        result = GatewayResult(
            result_outcome,
            gateway_id=session.get("payment_intent") or "",
            session_id=session["id"],
            failure_code="expired" if result_outcome == Outcome.FAILED else "",
            failure_reason="The Checkout page was not paid." if result_outcome == Outcome.FAILED else "",
            detail={"event": "checkout.session", "status": session.get("status")},
        )
        return payment_apply_result(payment=payment, result=result)

    return handle


def _setup_succeeded(intent: dict[str, Any]) -> Payment | None:
    customer = StripeCustomer.objects.filter(stripe_id=intent.get("customer") or "").select_related("account").first()
    if customer is not None and intent.get("payment_method"):
        stripe_payment_method_save(account=customer.account, stripe_pm_id=intent["payment_method"])
    return None


def _refund_event(refund_obj: dict[str, Any]) -> Payment | None:
    reference = (refund_obj.get("metadata") or {}).get("refund_uuid")
    query = Refund.objects.select_related("payment__currency", "payment__tenant")
    refund = query.filter(uuid=reference).first() if reference else None
    refund = refund or query.filter(kind=RefundKind.REFUND, gateway_refund_id=refund_obj["id"]).first()
    if refund is None:
        return None
    refund_apply_result(refund=refund, result=refund_result(refund_obj))
    return refund.payment


def _dispute_created(dispute: dict[str, Any]) -> Payment | None:
    payment = _payment_for(dispute, by_intent=dispute.get("payment_intent") or "")
    if payment is None:
        return None
    decimals = payment.currency.decimals
    fees = sum(int(t.get("fee", 0)) for t in dispute.get("balance_transactions") or [])
    payment_charge_back(
        payment=payment,
        amount=min(from_minor_units(int(dispute["amount"]), decimals), payment.refundable),
        fee=from_minor_units(fees, decimals) if fees else Decimal("0"),
        reason=f"Dispute: {dispute.get('reason', 'unknown')}",
        gateway_dispute_id=dispute["id"],
    )
    return payment


def _ignore(obj: dict[str, Any]) -> None:
    return None


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _intent_event(Outcome.SUCCEEDED),
    "payment_intent.processing": _intent_event(Outcome.STARTED),
    "payment_intent.payment_failed": _intent_event(Outcome.FAILED),
    "payment_intent.canceled": _intent_event(Outcome.FAILED),
    "checkout.session.completed": _session_event(None),
    "checkout.session.async_payment_succeeded": _session_event(Outcome.SUCCEEDED),
    "checkout.session.async_payment_failed": _session_event(Outcome.FAILED),
    "checkout.session.expired": _session_event(Outcome.FAILED),
    "setup_intent.succeeded": _setup_succeeded,
    "refund.created": _refund_event,
    "refund.updated": _refund_event,
    "refund.failed": _refund_event,
    "charge.dispute.created": _dispute_created,
}
