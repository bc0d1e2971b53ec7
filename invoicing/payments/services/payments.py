"""A payment's life: created (pending) -> started at the gateway -> succeeded / failed / unknown.

Money moves in the ledger once, when the payment succeeds (`payment_succeed`): cash of the gateway
debited, the open invoices paid (the named one first, then the oldest) and the rest kept as customer
credit in the main pocket. Offline payments (bank transfer, cash, cheque) are recorded by an operator
already succeeded. Gateway payments are created first, then sent outside any transaction by
`payment_execute`, and their outcome recorded afterwards; an answer that never came leaves them
`unknown` until reconciliation asks the gateway again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import BillingAccount, Unit
from accounts.models.ledger import TransactionKind
from accounts.money import quantize_money, to_decimal
from accounts.services import audit_record
from accounts.services.ledger import exchange_rate_for
from invoicing.models import Invoice, InvoiceKind
from invoicing.payments.exceptions import PaymentRefused
from invoicing.payments.models import (
    OFFLINE_GATEWAYS,
    UNSETTLED_STATUSES,
    AllocationSource,
    Payment,
    PaymentPurpose,
    PaymentStatus,
)

from . import posting
from .allocation import account_lock, allocation_plan, allocation_rows, event, open_invoices_locked

ZERO = Decimal("0")
S = PaymentStatus


def _convert(
    *,
    account: BillingAccount,
    amount: Decimal,
    unit: Unit,
    rate: Decimal | None,
    source: str,
    at: datetime,
) -> tuple[Decimal, Decimal | None, str, datetime | None]:
    """(settled amount, rate, source, time) of `amount` of `unit` in the account's currency. A rate
    given by the gateway is used as is; otherwise the tenant's exchange rate in force at `at`. The
    result is rounded down to the currency's minor unit: the customer is never credited more."""
    if unit.pk == account.currency_id:
        return amount, None, "", None
    if rate is None:
        found = exchange_rate_for(tenant=account.tenant, from_unit=unit, to_unit=account.currency, at=at)
        rate, source, at = found.rate, found.source or f"exchange rate #{found.pk}", found.valid_from
    elif not source:
        raise PaymentRefused("An exchange rate given with the payment needs its source.", code="rate_source_required")
    settled = quantize_money(amount * rate, account.currency.decimals, ROUND_DOWN)
    if settled <= ZERO:
        raise PaymentRefused(f"{amount} {unit.code} is worth less than one {account.currency.code} minor unit.")
    return settled, rate, source, at


def payment_create(
    *,
    account: BillingAccount,
    amount: Decimal,
    gateway: str,
    method: str,
    unit: Unit | None = None,
    invoice: Invoice | None = None,
    purpose: str = PaymentPurpose.INVOICE,
    reference: str = "",
    payer: str = "",
    exchange_rate: Decimal | None = None,
    exchange_rate_source: str = "",
    exchange_rate_at: datetime | None = None,
    idempotency_key: str = "",
    auto_pay: bool = False,
    actor: Any = None,
) -> Payment:
    """Record a payment that has not moved money yet (status pending). Idempotent by `idempotency_key`
    (default `pay-<uuid>`): the same key returns the first payment; with other figures it is refused."""
    amount = to_decimal(amount)
    unit = unit or account.currency
    if amount <= ZERO:
        raise PaymentRefused("A payment amount must be positive.", code="invalid_amount")
    if amount != quantize_money(amount, unit.decimals):
        raise PaymentRefused(f"{amount} has more decimals than {unit.code} allows ({unit.decimals}).")
    if invoice is not None and (invoice.account_id != account.pk or invoice.kind != InvoiceKind.INVOICE):
        raise PaymentRefused(f"Invoice {invoice.display_number} is not an invoice of account {account.number}.")
    if purpose == PaymentPurpose.TOP_UP and invoice is not None:
        raise PaymentRefused("A top-up credits the money pocket; it names no invoice.")
    if idempotency_key:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.account_id != account.pk or existing.amount != amount or existing.unit_id != unit.pk:
                raise PaymentRefused("This idempotency key was used for another payment.", code="idempotency_conflict")
            return existing
    at = exchange_rate_at or timezone.now()
    settled, rate, source, rate_at = _convert(
        account=account, amount=amount, unit=unit, rate=exchange_rate, source=exchange_rate_source, at=at
    )
    payment = Payment(
        tenant_id=account.tenant_id,
        account=account,
        gateway=gateway,
        method=method,
        purpose=purpose,
        invoice=invoice,
        amount=amount,
        unit=unit,
        settled_amount=settled,
        currency_id=account.currency_id,
        exchange_rate=rate,
        exchange_rate_source=source,
        exchange_rate_at=rate_at,
        reference=reference[:200],
        payer=payer[:200],
        auto_pay=auto_pay,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    payment.idempotency_key = idempotency_key or f"pay-{payment.uuid}"
    try:
        with transaction.atomic():
            payment.save()
            event(payment, "created", "", actor, amount=amount, unit=unit.code, settled=settled)
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent request with the same key inserted first: answer with its payment.
        return Payment.objects.get(idempotency_key=idempotency_key)
    return payment


def payment_record_offline(
    *,
    account: BillingAccount,
    amount: Decimal,
    gateway: str,
    received_at: datetime | None = None,
    actor: Any = None,
    **fields: Any,
) -> Payment:
    """An operator records money already received by bank transfer, cash or cheque: created and
    succeeded (ledger posted, invoices paid) in one transaction. Idempotent by `idempotency_key`."""
    if gateway not in OFFLINE_GATEWAYS:
        raise PaymentRefused(f"{gateway} is not an offline gateway (bank transfer, cash, cheque).")
    with transaction.atomic():
        payment = payment_create(account=account, amount=amount, gateway=gateway, method=gateway, actor=actor, **fields)
        return payment_succeed(payment=payment, received_at=received_at, actor=actor)


def payment_mark_started(*, payment: Payment, actor: Any = None, **gateway_fields: str) -> Payment:
    """pending/unknown -> started: sent to the gateway (ids and checkout URL kept when known)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in UNSETTLED_STATUSES:
            return locked
        before = locked.status
        locked.status = S.STARTED
        for name, value in gateway_fields.items():
            if value:
                setattr(locked, name, value)
        locked.save()
        event(locked, "started", before, actor, **gateway_fields)
        return locked


def payment_succeed(
    *,
    payment: Payment,
    received_at: datetime | None = None,
    gateway_payment_id: str = "",
    actor: Any = None,
    detail: dict[str, Any] | None = None,
) -> Payment:
    """The money arrived: post it and allocate it (named invoice, then oldest open; the rest is credit;
    a top-up is all credit). Idempotent: a payment already succeeded is returned unchanged, so a
    webhook replayed or a reconciliation that races the webhook pays once. Locks the account, the
    payment, the open invoices, the ledger accounts."""
    with transaction.atomic():
        account_lock(payment.account)
        locked = (
            Payment.objects.select_for_update()
            .select_related("tenant", "account", "currency", "unit")
            .get(pk=payment.pk)
        )
        # A failed PaymentIntent can still succeed later (the customer completes it): money that
        # arrived is always recorded. Anything received before (even if since returned) is left as is.
        never_received = locked.status == S.FAILED and locked.ledger_transaction_id is None
        if locked.status not in UNSETTLED_STATUSES and not never_received:
            return locked
        before = locked.status
        invoices = open_invoices_locked(locked.account) if locked.purpose == PaymentPurpose.INVOICE else {}
        plan = allocation_plan(locked.settled_amount, invoices.values(), named=locked.invoice_id)
        allocated = sum((take for _, take in plan), ZERO)
        if gateway_payment_id:
            locked.gateway_payment_id = gateway_payment_id
        locked.status = S.SUCCEEDED
        locked.received_at = received_at or timezone.now()
        locked.failure_code = locked.failure_reason = ""
        locked.ledger_transaction = posting.post(
            locked,
            TransactionKind.PAYMENT if locked.purpose == PaymentPurpose.INVOICE else TransactionKind.TOP_UP,
            posting.receipt_legs(locked, to_receivable=allocated, to_credit=locked.settled_amount - allocated),
            f"{locked.get_gateway_display()} payment {locked.reference or locked.uuid} ({locked.account.number})",
            actor,
        )
        allocation_rows(locked, plan, AllocationSource.RECEIPT, locked.ledger_transaction, actor)
        locked.save()
        event(
            locked,
            "succeeded",
            before,
            actor,
            **{**(detail or {}), "allocated": allocated, "credit": locked.unallocated},
        )
        audit_record(
            action="payment.succeed",
            obj=locked,
            actor=actor,
            tenant=locked.tenant,
            before={"status": before},
            after={"status": locked.status, "settled": str(locked.settled_amount), "allocated": str(allocated)},
        )
        return locked


def payment_fail(
    *, payment: Payment, code: str, reason: str, actor: Any = None, detail: dict[str, Any] | None = None
) -> Payment:
    """The gateway refused (declined card, failed auto-pay, expired checkout): nothing was posted; the
    reason is kept for the customer, the operator and dunning. Idempotent; a success is never undone
    here (a returned transfer or a chargeback is its own service)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in UNSETTLED_STATUSES:
            return locked
        before = locked.status
        locked.status = S.FAILED
        locked.failure_code = (code or "failed")[:60]
        locked.failure_reason = (reason or code or "Failed at the gateway")[:255]
        locked.save()
        event(locked, "failed", before, actor, **{**(detail or {}), "code": code, "reason": locked.failure_reason})
        return locked


def payment_mark_unknown(*, payment: Payment, reason: str, actor: Any = None) -> Payment:
    """The gateway timed out or answered garbage: neither paid nor failed until reconciliation asks."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in UNSETTLED_STATUSES:
            return locked
        before = locked.status
        locked.status = S.UNKNOWN
        locked.save(update_fields=["status", "updated_at"])
        event(locked, "unknown", before, actor, reason=reason[:255])
        return locked
