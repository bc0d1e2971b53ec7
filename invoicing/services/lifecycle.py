"""Invoice transitions: draft -> approved -> issued -> paid / partially paid / overdue / written off.

A draft (or approved) invoice can be cancelled: its billed periods, usage and one-off charges are
freed for the next invoice. An issued invoice is never edited; corrections are credit notes. Every
transition locks the invoice row, checks the saved state (a wrong state raises InvoiceStateError and
changes nothing), writes an InvoiceEvent and an audit event, and sends its signal after commit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.money import to_decimal
from accounts.services import audit_record
from invoicing import selectors, signals
from invoicing.exceptions import InvoiceStateError
from invoicing.models import BilledCharge, Invoice, InvoiceEvent, InvoiceKind, InvoiceStatus, OneOffCharge
from rating.models import RatedUsage

from .numbering import number_take
from .posting import invoice_post, write_off_post

ZERO = Decimal("0")
S = InvoiceStatus
OPEN_STATUSES = (S.ISSUED, S.PARTIALLY_PAID, S.OVERDUE)


def invoice_lock(invoice: Invoice) -> Invoice:
    """The invoice row, locked and freshly read (with what the transitions need)."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("tenant", "account", "currency")
        .get(pk=invoice.pk)
    )


def _check(invoice: Invoice, allowed: Collection[str], action: str) -> None:
    if invoice.status not in allowed:
        names = ", ".join(S(s).label.lower() for s in allowed)
        raise InvoiceStateError(
            f"Cannot {action} invoice {invoice.display_number}: it is {invoice.get_status_display().lower()}; "
            f"only {names} invoices can be."
        )


def _record(invoice: Invoice, before: str, actor: Any, action: str, note: str = "", **after: Any) -> None:
    InvoiceEvent.objects.create(
        invoice=invoice,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=before,
        to_status=invoice.status,
        note=note[:255],
    )
    audit_record(
        action=f"invoice.{action}",
        obj=invoice,
        actor=actor,
        tenant=invoice.tenant,
        before={"status": before},
        after={"status": invoice.status, **{k: str(v) for k, v in after.items()}},
    )


def invoice_approve(*, invoice: Invoice, actor: Any = None, note: str = "") -> Invoice:
    """draft -> approved: the operator has checked it. Locks the invoice."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        _check(locked, [S.DRAFT], "approve")
        locked.status = S.APPROVED
        locked.save(update_fields=["status", "updated_at"])
        _record(locked, S.DRAFT, actor, "approve", note)
        return locked


def invoice_issue(*, invoice: Invoice, actor: Any = None, issue_date: date | None = None) -> Invoice:
    """approved -> issued: takes the next gapless number of the tenant's series, sets the issue and due
    dates (the account's payment terms) and posts to the ledger (statements post nothing).
    Locks the invoice, then the series counter."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        _check(locked, [S.APPROVED], "issue")
        settings = selectors.billing_settings_for(locked.tenant)
        statement = locked.kind == InvoiceKind.STATEMENT
        locked.series = settings.statement_series if statement else settings.invoice_series
        locked.number = number_take(tenant=locked.tenant, series=locked.series)
        locked.issue_date = issue_date or selectors.tenant_today(locked.tenant)
        locked.due_date = None if statement else locked.issue_date + timedelta(days=locked.account.payment_terms_days)
        locked.status = S.ISSUED
        if not statement:
            locked.ledger_transaction = invoice_post(invoice=locked, actor=actor)
        locked.save()
        _record(locked, S.APPROVED, actor, "issue", number=locked.display_number, total=locked.total)
        transaction.on_commit(lambda: signals.invoice_issued.send(sender=Invoice, invoice=locked))
        return locked


def invoice_cancel(*, invoice: Invoice, actor: Any = None, reason: str = "") -> Invoice:
    """draft/approved -> cancelled: what it billed is free again (billed periods deleted, usage and
    one-off charges unclaimed), so the next invoice bills it. Locks the invoice."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        before = locked.status
        _check(locked, [S.DRAFT, S.APPROVED], "cancel")
        BilledCharge.objects.filter(invoice=locked).delete()
        freed = RatedUsage.objects.filter(invoice_id=locked.pk).update(invoice_id=None)
        OneOffCharge.objects.filter(invoice=locked).update(invoice=None)
        locked.status = S.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        _record(locked, before, actor, "cancel", reason, usage_records_freed=freed)
        transaction.on_commit(lambda: signals.invoice_cancelled.send(sender=Invoice, invoice=locked))
        return locked


def settled_status(invoice: Invoice) -> str:
    """The status an issued invoice has after a payment or credit note changed its open amount."""
    if invoice.open_amount <= ZERO:
        return S.PAID if invoice.amount_paid > ZERO else S.CREDITED
    if invoice.amount_paid > ZERO:
        return S.PARTIALLY_PAID
    return invoice.status


def invoice_mark_paid(*, invoice: Invoice, amount: Decimal, actor: Any = None, note: str = "") -> Invoice:
    """Record `amount` paid against an open invoice (the payments service posts the cash movement and
    calls this in the same transaction): -> partially paid, or paid when nothing is left open; then
    `invoice_paid` is sent after commit (loyalty points, referral rewards listen)."""
    amount = to_decimal(amount)
    with transaction.atomic():
        locked = invoice_lock(invoice)
        before = locked.status
        _check(locked, OPEN_STATUSES, "record a payment on")
        if locked.kind != InvoiceKind.INVOICE or amount <= ZERO:
            raise InvoiceStateError("Only a positive payment on an invoice (not a statement) can be recorded.")
        locked.amount_paid += amount
        locked.status = settled_status(locked)
        locked.save(update_fields=["amount_paid", "status", "updated_at"])
        _record(locked, before, actor, "payment", note, amount=amount)
        if locked.status == S.PAID:
            paid_on = selectors.tenant_today(locked.tenant)
            transaction.on_commit(lambda: signals.invoice_paid.send(sender=Invoice, invoice=locked, paid_on=paid_on))
        return locked


def invoice_mark_overdue(*, invoice: Invoice, as_of: date | None = None, actor: Any = None) -> Invoice:
    """issued/partially paid -> overdue, once the due date has passed with an amount still open."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        before = locked.status
        _check(locked, [S.ISSUED, S.PARTIALLY_PAID], "mark overdue")
        today = as_of or selectors.tenant_today(locked.tenant)
        if locked.due_date is None or today <= locked.due_date or locked.open_amount <= ZERO:
            raise InvoiceStateError(
                f"Invoice {locked.display_number} is not overdue on {today}: due {locked.due_date}, "
                f"open {locked.open_amount}."
            )
        locked.status = S.OVERDUE
        locked.save(update_fields=["status", "updated_at"])
        _record(locked, before, actor, "overdue")
        return locked


def invoice_write_off(*, invoice: Invoice, reason: str, actor: Any = None) -> Invoice:
    """issued/partially paid/overdue -> written off: the open amount leaves the receivable (posted to
    the write-off adjustments account). Locks the invoice."""
    if not reason.strip():
        raise InvoiceStateError("A write-off needs a reason.", code="reason_required")
    with transaction.atomic():
        locked = invoice_lock(invoice)
        before = locked.status
        _check(locked, OPEN_STATUSES, "write off")
        amount = locked.open_amount
        if amount <= ZERO:
            raise InvoiceStateError(f"Invoice {locked.display_number} has nothing open to write off.")
        write_off_post(invoice=locked, amount=amount, actor=actor)
        locked.amount_written_off += amount
        locked.status = S.WRITTEN_OFF
        locked.save(update_fields=["amount_written_off", "status", "updated_at"])
        _record(locked, before, actor, "write_off", reason, amount=amount)
        return locked


def invoice_payment_reverse(*, invoice: Invoice, amount: Decimal, actor: Any = None, note: str = "") -> Invoice:
    """Take back `amount` of what was recorded paid (a payment released, refunded or charged back): the
    invoice is open again -> partially paid, or issued / overdue (past its due date) when nothing is
    left paid. The payments service posts the ledger side in the same transaction. Locks the invoice."""
    amount = to_decimal(amount)
    with transaction.atomic():
        locked = invoice_lock(invoice)
        before = locked.status
        _check(locked, [*OPEN_STATUSES, S.PAID], "take back a payment on")
        if amount <= ZERO or amount > locked.amount_paid:
            raise InvoiceStateError(
                f"Invoice {locked.display_number} has {locked.amount_paid} paid; {amount} cannot be taken back."
            )
        locked.amount_paid -= amount
        if locked.open_amount <= ZERO or locked.amount_paid > ZERO:
            locked.status = settled_status(locked)
        else:
            today = selectors.tenant_today(locked.tenant)
            overdue = locked.due_date is not None and today > locked.due_date
            locked.status = S.OVERDUE if overdue else S.ISSUED
        locked.save(update_fields=["amount_paid", "status", "updated_at"])
        _record(locked, before, actor, "payment_reversed", note, amount=amount)
        return locked
