"""Refunds and chargebacks: money going back to the payer.

A refund first takes the payment's unallocated credit, then releases its allocations (the invoices are
open again: a refund returns money, it does not cancel a debt - that is a credit note). Offline refunds
(the operator paid the money back) post to cash at once. Stripe refunds are reserved first (the money
moves to "refunds in transit" in the transaction that creates the refund), sent outside any
transaction, then settled to cash on success or returned to customer credit on failure.
A chargeback is forced by the card network: it is posted at once, with the fee the gateway charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models.ledger import TransactionKind
from accounts.money import to_decimal
from accounts.services import Leg, audit_record
from invoicing.payments.exceptions import RefundRefused
from invoicing.payments.models import (
    OFFLINE_GATEWAYS,
    RECEIVED_STATUSES,
    AllocationSource,
    Payment,
    PaymentStatus,
    Refund,
    RefundKind,
    RefundStatus,
)

from . import posting
from .allocation import account_lock, allocation_rows, credit_available, event, release_plan, shown

ZERO = Decimal("0")
OPEN_REFUND = (RefundStatus.PENDING, RefundStatus.STARTED, RefundStatus.UNKNOWN)


def _payment_locked(payment: Payment) -> Payment:
    account_lock(payment.account)
    return (
        Payment.objects.select_for_update().select_related("tenant", "account", "currency", "unit").get(pk=payment.pk)
    )


def _take_back(payment: Payment, amount: Decimal, counter: Any, key: str, description: str, actor: Any) -> Any:
    """Take `amount` from the payment: its credit first (as far as the pocket holds it), then its
    allocations. Posts one transaction crediting `counter`."""
    from_credit = min(amount, payment.unallocated, credit_available(payment))
    released = amount - from_credit
    plan = release_plan(payment, released) if released > ZERO else []
    legs = posting.payout_legs(payment, released=released, from_credit=from_credit, counter=counter, key=key)
    txn = posting.post(payment, TransactionKind.REFUND, legs, description, actor)
    allocation_rows(payment, plan, AllocationSource.REFUND, txn, actor, release=True)
    return txn


def _status_after_refund(payment: Payment) -> str:
    if payment.amount_charged_back > ZERO:
        return PaymentStatus.CHARGED_BACK
    if payment.amount_refunded >= payment.settled_amount:
        return PaymentStatus.REFUNDED
    return PaymentStatus.PARTIALLY_REFUNDED if payment.amount_refunded > ZERO else PaymentStatus.SUCCEEDED


def refund_create(*, payment: Payment, amount: Decimal, reason: str, actor: Any = None) -> Refund:
    """Refund `amount` (account currency) of a received payment. Offline gateways: done at once.
    Stripe: reserved and pending; `stripe_refund_send` sends it. Refused above what is refundable
    (received minus refunds, in flight included, and chargebacks). Locks account, payment, invoices."""
    amount = to_decimal(amount)
    if not reason.strip():
        raise RefundRefused("A refund needs a reason.", code="reason_required")
    with transaction.atomic():
        locked = _payment_locked(payment)
        if locked.status not in RECEIVED_STATUSES:
            raise RefundRefused(f"Payment {locked.uuid} is {locked.get_status_display().lower()}: nothing to refund.")
        if amount <= ZERO or amount > locked.refundable:
            raise RefundRefused(
                f"Payment {locked.uuid} has {shown(locked.refundable, locked)} refundable, not {amount}."
            )
        if locked.unit_id != locked.currency_id and locked.gateway not in OFFLINE_GATEWAYS:
            raise RefundRefused("A payment made in another unit is refunded offline by an operator.")
        offline = locked.gateway in OFFLINE_GATEWAYS
        refund = Refund(payment=locked, amount=amount, reason=reason[:255], created_by=_user(actor))
        refund.idempotency_key = f"refund-{refund.uuid}"
        counter = posting.cash_account(locked) if offline else posting.refunds_in_transit(locked)
        refund.ledger_transaction = _take_back(
            locked, amount, counter, refund.idempotency_key, f"Refund of payment {locked.uuid}: {reason}", actor
        )
        locked.amount_refunded += amount
        if offline:
            refund.status = RefundStatus.SUCCEEDED
            refund.completed_at = timezone.now()
            before, locked.status = locked.status, _status_after_refund(locked)
        else:
            before = locked.status
        refund.save()
        locked.save()
        event(locked, "refund_requested", before, actor, refund=str(refund.uuid), amount=amount, reason=reason)
        audit_record(
            action="payment.refund", obj=locked, actor=actor, tenant=locked.tenant, after={"amount": str(amount)}
        )
        return refund


def _refund_settle(refund: Refund, *, paid_out: bool, gateway_refund_id: str, reason: str, actor: Any) -> Refund:
    """Move the reserved money out of refunds in transit: to cash when the gateway paid it out, back to
    customer credit when it could not (the released invoices stay open; the next credit run pays
    them). Idempotent: a refund already settled is returned unchanged."""
    with transaction.atomic():
        payment = _payment_locked(refund.payment)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status not in OPEN_REFUND:
            return locked
        target = posting.cash_account(payment) if paid_out else posting.credit_pocket(payment)
        outcome = "paid out" if paid_out else "failed: back to customer credit"
        locked.settle_transaction = posting.post(
            payment,
            TransactionKind.REFUND,
            [
                Leg(posting.refunds_in_transit(payment), -locked.amount),
                Leg(target, locked.amount, f"{locked.idempotency_key}:settled"),
            ],
            f"Refund {locked.uuid} {outcome}",
            actor,
        )
        locked.status = RefundStatus.SUCCEEDED if paid_out else RefundStatus.FAILED
        locked.gateway_refund_id = gateway_refund_id or locked.gateway_refund_id
        locked.failure_reason = reason[:255]
        locked.completed_at = timezone.now()
        locked.save()
        before = payment.status
        if paid_out:
            payment.status = _status_after_refund(payment)
        else:
            payment.amount_refunded -= locked.amount
        payment.save()
        kind = "refund_succeeded" if paid_out else "refund_failed"
        event(payment, kind, before, actor, refund=str(locked.uuid), amount=locked.amount, reason=reason)
        return locked


def refund_succeed(*, refund: Refund, gateway_refund_id: str = "", actor: Any = None) -> Refund:
    """The gateway paid the refund out: refunds in transit -> cash; the payment's status follows."""
    return _refund_settle(refund, paid_out=True, gateway_refund_id=gateway_refund_id, reason="", actor=actor)


def refund_fail(*, refund: Refund, reason: str, actor: Any = None) -> Refund:
    """The gateway could not pay the refund: the reserved money returns to customer credit."""
    return _refund_settle(refund, paid_out=False, gateway_refund_id="", reason=reason, actor=actor)


def refund_mark(*, refund: Refund, status: str, gateway_refund_id: str = "", reason: str = "") -> Refund:
    """Record that a refund was sent (started) or got no answer (unknown)."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status in OPEN_REFUND:
            locked.status = status
            locked.gateway_refund_id = gateway_refund_id or locked.gateway_refund_id
            locked.failure_reason = reason[:255]
            locked.save()
        return locked


def payment_charge_back(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    gateway_dispute_id: str = "",
    fee: Decimal = ZERO,
    actor: Any = None,
) -> Refund:
    """The card network took `amount` back (and the gateway a `fee`): posted at once - credit first,
    then the allocations released - and the fee to chargeback fees. Idempotent by dispute id."""
    amount, fee = to_decimal(amount), to_decimal(fee)
    with transaction.atomic():
        locked = _payment_locked(payment)
        if gateway_dispute_id:
            existing = Refund.objects.filter(kind=RefundKind.CHARGEBACK, gateway_refund_id=gateway_dispute_id).first()
            if existing is not None:
                return existing
        if locked.status not in RECEIVED_STATUSES or amount <= ZERO or amount > locked.refundable:
            raise RefundRefused(
                f"Payment {locked.uuid} has {shown(locked.refundable, locked)} that can be charged back, not {amount}."
            )
        refund = Refund(
            payment=locked,
            kind=RefundKind.CHARGEBACK,
            status=RefundStatus.SUCCEEDED,
            amount=amount,
            fee=fee,
            reason=reason[:255] or "chargeback",
            gateway_refund_id=gateway_dispute_id,
            completed_at=timezone.now(),
            created_by=_user(actor),
        )
        refund.idempotency_key = f"chargeback-{refund.uuid}"
        cash = posting.cash_account(locked)
        refund.ledger_transaction = _take_back(
            locked, amount, cash, refund.idempotency_key, f"Chargeback of payment {locked.uuid}: {reason}", actor
        )
        if fee > ZERO:
            refund.settle_transaction = posting.post(
                locked,
                TransactionKind.ADJUSTMENT,
                [Leg(posting.adjustments(locked, posting.CHARGEBACK_FEES), -fee), Leg(cash, fee)],
                f"Chargeback fee on payment {locked.uuid}",
                actor,
            )
        refund.save()
        locked.amount_charged_back += amount
        before, locked.status = locked.status, PaymentStatus.CHARGED_BACK
        locked.save()
        event(locked, "charged_back", before, actor, amount=amount, fee=fee, reason=reason, dispute=gateway_dispute_id)
        audit_record(
            action="payment.charge_back", obj=locked, actor=actor, tenant=locked.tenant, after={"amount": str(amount)}
        )
        return refund


def payment_return(*, payment: Payment, reason: str, code: str = "returned", actor: Any = None) -> Refund:
    """A transfer or cheque recorded as received came back (bounced cheque, returned SEPA transfer):
    everything it brought is taken back - credit first, then its allocations - and the payment is
    failed with the bank's reason, so dunning sees it. Idempotent: a payment returned stays returned."""
    if not reason.strip():
        raise RefundRefused("A returned payment needs the bank's reason.", code="reason_required")
    with transaction.atomic():
        locked = _payment_locked(payment)
        existing = locked.refunds.filter(kind=RefundKind.RETURN).first()
        if existing is not None:
            return existing
        if locked.gateway not in OFFLINE_GATEWAYS or locked.status not in RECEIVED_STATUSES:
            raise RefundRefused("Only a received bank transfer, cash or cheque payment can come back this way.")
        amount = locked.refundable
        if amount <= ZERO:
            raise RefundRefused(f"Payment {locked.uuid} has nothing left to take back.")
        refund = Refund(
            payment=locked,
            kind=RefundKind.RETURN,
            status=RefundStatus.SUCCEEDED,
            amount=amount,
            reason=reason[:255],
            completed_at=timezone.now(),
            created_by=_user(actor),
        )
        refund.idempotency_key = f"return-{locked.uuid}"
        refund.ledger_transaction = _take_back(
            locked, amount, posting.cash_account(locked), refund.idempotency_key, f"Returned: {reason}", actor
        )
        refund.save()
        locked.amount_charged_back += amount
        before, locked.status = locked.status, PaymentStatus.FAILED
        locked.failure_code, locked.failure_reason = code[:60], reason[:255]
        locked.save()
        event(locked, "returned", before, actor, amount=amount, code=code, reason=reason)
        audit_record(action="payment.return", obj=locked, actor=actor, tenant=locked.tenant, after={"reason": reason})
        return refund


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None
