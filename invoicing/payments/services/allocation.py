"""Allocation of payments to open invoices, customer credit applied to new invoices, operator edits.

Order of locks everywhere in payments: the billing account row (the account's money mutex), then the
payments, then the open invoices in pk order, then the ledger accounts (by `ledger_post`, pk order).
Allocation rows are append-only (a release is a negative row), and every row moves the invoice's
`amount_paid` through the invoicing life-cycle services in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from accounts.api.fields import format_amount
from accounts.locks import ledger_accounts_lock
from accounts.models import BillingAccount, LedgerTransaction
from accounts.models.ledger import TransactionKind
from accounts.money import quantize_money, to_decimal
from accounts.services import account_receivable, audit_record
from invoicing.models import Invoice, InvoiceKind
from invoicing.payments.exceptions import AllocationRefused
from invoicing.payments.models import (
    RECEIVED_STATUSES,
    AllocationSource,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    PaymentPurpose,
)
from invoicing.services import invoice_mark_paid, invoice_payment_reverse
from invoicing.services.lifecycle import OPEN_STATUSES

from . import posting

ZERO = Decimal("0")


def account_lock(account: BillingAccount) -> BillingAccount:
    """Lock the billing account row: every payment flow of one account runs one at a time."""
    account_receivable(account=account)  # created before any lock, so issuing never waits on us for it
    return BillingAccount.objects.select_for_update().select_related("tenant", "currency").get(pk=account.pk)


def open_invoices_locked(account: BillingAccount, also: Iterable[int] = ()) -> dict[int, Invoice]:
    """The account's open invoices (plus invoices `also`), locked in pk order, by pk."""
    rows = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(account=account, kind=InvoiceKind.INVOICE)
        .filter(status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    found = {row.pk: row for row in rows}
    extra = sorted(set(also) - set(found))
    if extra:
        for row in Invoice.objects.select_for_update(of=("self",)).filter(pk__in=extra).order_by("pk"):
            found[row.pk] = row
    return found


def allocation_plan(
    amount: Decimal, invoices: Iterable[Invoice], named: int | None = None
) -> list[tuple[Invoice, Decimal]]:
    """Split `amount` over open invoices: the named one first, then the oldest (issue date, number)."""
    ordered = sorted(
        (inv for inv in invoices if inv.status in OPEN_STATUSES and inv.open_amount > ZERO),
        key=lambda inv: (inv.pk != named, inv.issue_date, inv.pk),
    )
    plan: list[tuple[Invoice, Decimal]] = []
    left = amount
    for invoice in ordered:
        if left <= ZERO:
            break
        take = min(left, invoice.open_amount)
        plan.append((invoice, take))
        left -= take
    return plan


def net_allocations(payment: Payment) -> dict[int, Decimal]:
    """What the payment pays on each invoice now (sum of its allocation rows), zeros left out."""
    rows = payment.allocations.values("invoice_id").annotate(total=Sum("amount")).order_by("invoice_id")
    return {row["invoice_id"]: row["total"] for row in rows if row["total"] != ZERO}


def event(payment: Payment, kind: str, before: str = "", actor: Any = None, **detail: Any) -> None:
    PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        from_status=before,
        to_status=payment.status,
        detail={
            k: format_amount(v, payment.currency.decimals) if isinstance(v, Decimal) else v for k, v in detail.items()
        },
        actor=actor if getattr(actor, "pk", None) else None,
    )


def allocation_rows(
    payment: Payment,
    plan: Sequence[tuple[Invoice, Decimal]],
    source: str,
    txn: LedgerTransaction | None,
    actor: Any = None,
    *,
    release: bool = False,
) -> None:
    """Record `plan` as allocations and mark the invoices paid - or, with `release`, as negative rows
    that re-open the invoices by what they lose. The ledger side is `txn`."""
    for invoice, amount in plan:
        note = f"Payment {payment.uuid}" + (" released" if release else "")
        PaymentAllocation.objects.create(
            payment=payment,
            invoice=invoice,
            amount=-amount if release else amount,
            source=source,
            ledger_transaction=txn,
            created_by=_user(actor),
        )
        if release:
            invoice_payment_reverse(
                invoice=invoice, amount=amount, actor=actor, note=f"Payment {payment.uuid} released"
            )
            payment.amount_allocated -= amount
        else:
            invoice_mark_paid(invoice=invoice, amount=amount, actor=actor, note=note)
            payment.amount_allocated += amount


def release_plan(payment: Payment, amount: Decimal) -> list[tuple[Invoice, Decimal]]:
    """Take `amount` back from the payment's invoices, the most recently allocated first."""
    nets = net_allocations(payment)
    invoices = open_invoices_locked(payment.account, also=nets)
    plan: list[tuple[Invoice, Decimal]] = []
    left = amount
    for invoice_id in sorted(nets, reverse=True):
        if left <= ZERO:
            break
        take = min(left, nets[invoice_id])
        plan.append((invoices[invoice_id], take))
        left -= take
    if left > ZERO:
        raise AllocationRefused(
            f"Payment {payment.uuid} has only {shown(amount - left, payment)} allocated to release, not {amount}."
        )
    return plan


def credit_available(payment: Payment) -> Decimal:
    """Customer credit that can be spent now: the main pocket's positive balance (locked)."""
    pocket = posting.credit_pocket(payment)
    locked = ledger_accounts_lock([pocket.pk])[pocket.pk]
    return max(locked.balance, ZERO)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def shown(amount: Decimal, payment: Payment) -> str:
    """An amount of the payment's currency as a person reads it (its minor unit, no trailing zeros)."""
    return f"{quantize_money(amount, payment.currency.decimals)} {payment.currency.code}"


def account_credit_apply(*, account: BillingAccount, actor: Any = None) -> Decimal:
    """Use the account's unallocated payments (customer credit) on its open invoices, oldest first,
    never more than the main pocket holds. Idempotent: nothing left to apply applies nothing.
    Locks the account, its payments with credit, its open invoices, then the ledger accounts."""
    applied = ZERO
    with transaction.atomic():
        account = account_lock(account)
        payments = [
            p
            for p in Payment.objects.select_for_update()
            .filter(account=account, status__in=RECEIVED_STATUSES)
            .exclude(purpose=PaymentPurpose.TOP_UP)
            .select_related("tenant", "account", "currency", "unit")
            .order_by("pk")
            if p.unallocated > ZERO
        ]
        if not payments:
            return ZERO
        invoices = open_invoices_locked(account)
        budget = credit_available(payments[0])
        for payment in payments:
            take_total = min(payment.unallocated, budget)
            plan = allocation_plan(take_total, invoices.values())
            amount = sum((take for _, take in plan), ZERO)
            if amount <= ZERO:
                continue
            txn = posting.post(
                payment,
                TransactionKind.PAYMENT,
                posting.move_legs(payment, to_receivable=amount),
                f"Credit of payment {payment.uuid} applied to invoices",
                actor,
            )
            allocation_rows(payment, plan, AllocationSource.CREDIT, txn, actor)
            payment.save(update_fields=["amount_allocated", "updated_at"])
            event(payment, "credit_applied", payment.status, actor, amount=amount)
            for invoice, _take in plan:
                invoice.refresh_from_db()
            budget -= amount
            applied += amount
        if applied:
            audit_record(action="payment.credit_apply", obj=account, actor=actor, after={"amount": str(applied)})
    return applied


def payment_allocations_set(
    *, payment: Payment, allocations: Sequence[tuple[Invoice, Decimal]], actor: Any = None, note: str = ""
) -> Payment:
    """Operator edit: make the payment's net allocation per invoice exactly `allocations` (invoices not
    named are released to customer credit). Posts a release, then an apply transaction. Refused when
    an invoice is not the account's, an amount exceeds what the invoice has open, or the total exceeds
    what the payment has. Locks the account, the payment, the invoices, the ledger accounts."""
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice, raw in allocations:
        amount = to_decimal(raw)
        if amount < ZERO:
            raise AllocationRefused("Allocate zero or a positive amount to each invoice.")
        wanted[invoice.pk] += amount
    with transaction.atomic():
        account_lock(payment.account)
        payment = (
            Payment.objects.select_for_update()
            .select_related("tenant", "account", "currency", "unit")
            .get(pk=payment.pk)
        )
        if payment.status not in RECEIVED_STATUSES or payment.purpose == PaymentPurpose.TOP_UP:
            raise AllocationRefused(f"Payment {payment.uuid} is {payment.status}: it has nothing to allocate.")
        current = net_allocations(payment)
        invoices = open_invoices_locked(payment.account, also=set(wanted) | set(current))
        _check_targets(payment, wanted, current, invoices)
        before_total = payment.amount_allocated
        releases = [
            (invoices[i], current[i] - wanted.get(i, ZERO)) for i in current if current[i] > wanted.get(i, ZERO)
        ]
        applies = [
            (invoices[i], wanted[i] - current.get(i, ZERO)) for i in sorted(wanted) if wanted[i] > current.get(i, ZERO)
        ]
        released = sum((a for _, a in releases), ZERO)
        added = sum((a for _, a in applies), ZERO)
        if releases:
            txn = posting.post(
                payment, TransactionKind.PAYMENT, posting.move_legs(payment, to_receivable=-released),
                f"Allocation of payment {payment.uuid} released", actor,
            )  # fmt: skip
            allocation_rows(payment, releases, AllocationSource.RELEASE, txn, actor, release=True)
        if applies:
            if credit_available(payment) < added:
                raise AllocationRefused(
                    f"The account's credit is {shown(credit_available(payment), payment)}: {added} cannot be allocated "
                    "(the customer has spent part of it)."
                )
            txn = posting.post(
                payment, TransactionKind.PAYMENT, posting.move_legs(payment, to_receivable=added),
                f"Payment {payment.uuid} allocated by an operator", actor,
            )  # fmt: skip
            allocation_rows(payment, applies, AllocationSource.CREDIT, txn, actor)
        payment.save(update_fields=["amount_allocated", "updated_at"])
        event(payment, "allocations_edited", payment.status, actor, released=released, added=added, note=note)
        audit_record(
            action="payment.allocations_set",
            obj=payment,
            actor=actor,
            tenant=payment.tenant,
            before={"allocated": str(before_total), "per_invoice": {str(k): str(v) for k, v in current.items()}},
            after={
                "allocated": str(payment.amount_allocated),
                "per_invoice": {str(k): str(v) for k, v in wanted.items()},
            },
        )
        return payment


def _check_targets(
    payment: Payment, wanted: dict[int, Decimal], current: dict[int, Decimal], invoices: dict[int, Invoice]
) -> None:
    for invoice_id, amount in wanted.items():
        invoice = invoices.get(invoice_id)
        if invoice is None or invoice.account_id != payment.account_id or invoice.currency_id != payment.currency_id:
            raise AllocationRefused(f"Invoice {invoice_id} is not an invoice of account {payment.account.number}.")
        grows = amount - current.get(invoice_id, ZERO)
        if grows > ZERO and (invoice.status not in OPEN_STATUSES or grows > invoice.open_amount):
            raise AllocationRefused(
                f"Invoice {invoice.display_number} has {shown(invoice.open_amount, payment)} open; "
                f"{shown(grows, payment)} more cannot be allocated."
            )
    total = sum(wanted.values(), ZERO)
    usable = payment.settled_amount - payment.amount_refunded - payment.amount_charged_back
    if total > usable:
        raise AllocationRefused(f"Payment {payment.uuid} has {shown(usable, payment)} to allocate, not {total}.")
