"""Calling gateways: record the attempt, call outside any transaction, record the outcome.

The three steps are separate transactions on purpose: a gateway call never holds a row lock or an open
transaction (a slow gateway would block every payment of the account, and a rollback cannot undo a
charge). What the gateway answered is recorded by the same services webhooks and reconciliation use,
all idempotent, so whichever arrives first wins and the others change nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from invoicing.payments.exceptions import GatewayNotConfigured
from invoicing.payments.gateways import GatewayResult, Outcome, gateway_for
from invoicing.payments.gateways.stripe import stripe_enabled
from invoicing.payments.models import OFFLINE_GATEWAYS, Gateway, Payment, PaymentStatus, Refund, RefundStatus

from .payments import payment_fail, payment_mark_started, payment_mark_unknown, payment_succeed
from .refunds import refund_create, refund_fail, refund_mark, refund_succeed

logger = logging.getLogger(__name__)
S = PaymentStatus


def payment_apply_result(*, payment: Payment, result: GatewayResult, actor: Any = None) -> Payment:
    """Record a gateway's answer on the payment (each branch idempotent), then let auto-pay react."""
    from .auto_pay import auto_pay_after_outcome  # auto-pay builds on this module

    detail = {"gateway": payment.gateway, **result.detail}
    if result.outcome == Outcome.SUCCEEDED:
        payment = payment_succeed(payment=payment, gateway_payment_id=result.gateway_id, actor=actor, detail=detail)
    elif result.outcome == Outcome.STARTED:
        payment = payment_mark_started(
            payment=payment,
            actor=actor,
            gateway_payment_id=result.gateway_id,
            gateway_session_id=result.session_id,
            checkout_url=result.redirect_url,
        )
    elif result.outcome == Outcome.FAILED:
        if result.gateway_id and not payment.gateway_payment_id:
            Payment.objects.filter(pk=payment.pk).update(gateway_payment_id=result.gateway_id)
        payment = payment_fail(
            payment=payment, code=result.failure_code, reason=result.failure_reason, actor=actor, detail=detail
        )
    else:
        payment = payment_mark_unknown(payment=payment, reason=result.failure_reason or "no usable answer", actor=actor)
    auto_pay_after_outcome(payment=payment)
    return payment


def payment_execute(*, payment: Payment, actor: Any = None) -> Payment:
    """Send a pending payment to its gateway and record the answer (see the module docstring)."""
    payment = payment_mark_started(payment=payment, actor=actor)
    if payment.status != S.STARTED:
        return payment
    fresh = Payment.objects.select_related("account__customer", "currency", "unit", "invoice", "tenant").get(
        pk=payment.pk
    )
    result = gateway_for(fresh.gateway).charge(fresh)
    return payment_apply_result(payment=fresh, result=result, actor=actor)


def refund_request(*, payment: Payment, amount: Decimal, reason: str, actor: Any = None) -> Refund:
    """Refund (part of) a payment: offline at once; through Stripe reserved, sent, then recorded."""
    if payment.gateway not in OFFLINE_GATEWAYS and not stripe_enabled():
        raise GatewayNotConfigured("Stripe is off: a card payment cannot be refunded until STRIPE_SECRET_KEY is set.")
    refund = refund_create(payment=payment, amount=amount, reason=reason, actor=actor)
    if payment.gateway in OFFLINE_GATEWAYS:
        return refund
    return refund_send(refund=refund, actor=actor)


def refund_send(*, refund: Refund, actor: Any = None) -> Refund:
    refund = refund_mark(refund=refund, status=RefundStatus.STARTED)
    fresh = Refund.objects.select_related("payment__currency").get(pk=refund.pk)
    return refund_apply_result(refund=fresh, result=gateway_for(fresh.payment.gateway).refund(fresh), actor=actor)


def refund_apply_result(*, refund: Refund, result: GatewayResult, actor: Any = None) -> Refund:
    if result.outcome == Outcome.SUCCEEDED:
        return refund_succeed(refund=refund, gateway_refund_id=result.gateway_id, actor=actor)
    if result.outcome == Outcome.FAILED:
        return refund_fail(refund=refund, reason=result.failure_reason or result.failure_code, actor=actor)
    status = RefundStatus.STARTED if result.outcome == Outcome.STARTED else RefundStatus.UNKNOWN
    return refund_mark(refund=refund, status=status, gateway_refund_id=result.gateway_id, reason=result.failure_reason)


def payments_reconcile_unknown(*, stale_after: timedelta = timedelta(hours=1), limit: int = 500) -> dict[str, int]:
    """Ask the gateway again about payments left unknown (and started ones no webhook settled within
    `stale_after`), and about refunds in the same state. Idempotent; returns counts per new status."""
    counts: dict[str, int] = {}
    if not stripe_enabled():
        return counts
    cutoff = timezone.now() - stale_after
    waiting = Q(status=S.UNKNOWN) | Q(status=S.STARTED, updated_at__lt=cutoff)
    payments = Payment.objects.filter(waiting, gateway=Gateway.STRIPE).select_related(
        "account__customer", "currency", "unit", "invoice", "tenant"
    )
    for payment in payments.order_by("pk")[:limit]:
        result = gateway_for(payment.gateway).status(payment)
        updated = payment_apply_result(payment=payment, result=result)
        counts[updated.status] = counts.get(updated.status, 0) + 1
        logger.info("reconciled payment %s: %s -> %s", payment.uuid, payment.status, updated.status)
    refunds = Refund.objects.filter(
        Q(status=RefundStatus.UNKNOWN) | Q(status=RefundStatus.STARTED, created_at__lt=cutoff),
        payment__gateway=Gateway.STRIPE,
    ).select_related("payment__currency")
    for refund in refunds.order_by("pk")[:limit]:
        gateway = gateway_for(Gateway.STRIPE)
        updated_refund = refund_apply_result(refund=refund, result=gateway.refund_status(refund))  # type: ignore[attr-defined]
        key = f"refund_{updated_refund.status}"
        counts[key] = counts.get(key, 0) + 1
    return counts
