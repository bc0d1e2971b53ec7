"""Credit notes: full or partial corrections of an issued invoice, with a reason, in their own series.

A full credit note credits what is left of every line (amount and tax). A partial one credits chosen
amounts of chosen lines; its tax is computed per rate on the credited amounts like an invoice's
(rounded once per rate, allocated to lines), never more than the tax left on a line. It posts the
mirror of its part to the ledger and lowers the invoice's open amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from accounts.money import to_decimal
from accounts.services import audit_record
from invoicing import selectors, signals
from invoicing.exceptions import CreditNoteRefused
from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceEvent, InvoiceKind, InvoiceLine, InvoiceStatus

from .lifecycle import invoice_lock, settled_status
from .numbering import number_take
from .posting import credit_note_post
from .pricing import HUNDRED, Money, allocate

ZERO = Decimal("0")
CREDITABLE = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.OVERDUE)


def _left_on_lines(invoice: Invoice) -> dict[int, tuple[InvoiceLine, Decimal, Decimal]]:
    """Per line: the line, its amount not yet credited and its tax not yet credited."""
    credited = {
        row["invoice_line_id"]: (row["amount"], row["tax"])
        for row in CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line_id")
        .annotate(amount=Sum("amount"), tax=Sum("tax_amount"))
    }
    left = {}
    for line in invoice.lines.order_by("position"):
        amount, tax = credited.get(line.pk, (ZERO, ZERO))
        left[line.pk] = (line, line.amount - amount, line.tax_amount - tax)
    return left


def _partial(
    left: dict[int, tuple[InvoiceLine, Decimal, Decimal]], parts: Sequence[tuple[int, Decimal]], money: Money
) -> list[tuple[InvoiceLine, Decimal, Decimal]]:
    chosen: list[tuple[InvoiceLine, Decimal, Decimal]] = []
    for line_id, raw in parts:
        amount = to_decimal(raw)
        if line_id not in left:
            raise CreditNoteRefused(f"Line {line_id} is not a line of this invoice.")
        line, amount_left, tax_left = left[line_id]
        if amount <= ZERO or amount != money.round(amount):
            raise CreditNoteRefused(f"Credit a positive amount in whole minor units on line {line.position}.")
        if amount > amount_left:
            raise CreditNoteRefused(f"Line {line.position} has only {amount_left} left to credit, not {amount}.")
        chosen.append((line, amount, tax_left))
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, (line, _amount, _tax_left) in enumerate(chosen):
        by_rate[line.tax_rate].append(index)
    taxes = [ZERO] * len(chosen)
    for rate, indexes in by_rate.items():
        exact = [chosen[i][1] * rate / HUNDRED for i in indexes]
        total = money.round(sum(exact, ZERO))
        for i, tax in zip(indexes, allocate(total, exact, money), strict=True):
            taxes[i] = min(tax, chosen[i][2])
    return [(line, amount, tax) for (line, amount, _left), tax in zip(chosen, taxes, strict=True)]


def _refusal(invoice: Invoice) -> str:
    name, state = invoice.display_number, invoice.get_status_display().lower()
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.APPROVED):
        return f"Invoice {name} is {state}, not issued: cancel a draft instead of crediting it."
    if invoice.status == InvoiceStatus.CREDITED:
        return f"Invoice {name} is credited in full: nothing left to credit."
    return f"Invoice {name} is {state}: it cannot be credited."


def credit_note_create(
    *,
    invoice: Invoice,
    reason: str,
    lines: Sequence[tuple[int, Decimal]] | None = None,
    actor: Any = None,
    issue_date: date | None = None,
) -> CreditNote:
    """Credit `invoice` in full (`lines` None) or the given (invoice line id, amount) parts.

    Locks the invoice, then the credit-note series; numbers the note, posts its mirror to the ledger
    and lowers the invoice's open amount (-> paid / credited when nothing is left open).
    """
    if not reason.strip():
        raise CreditNoteRefused("A credit note needs a reason.", code="reason_required")
    with transaction.atomic():
        locked = invoice_lock(invoice)
        if locked.kind != InvoiceKind.INVOICE:
            raise CreditNoteRefused("A statement charges nothing, so there is nothing to credit.")
        if locked.status not in CREDITABLE:
            raise CreditNoteRefused(_refusal(locked))
        money = Money(locked.currency.decimals, locked.tenant.rounding)
        left = _left_on_lines(locked)
        if lines is None:
            parts = [(line, amount, tax) for line, amount, tax in left.values() if amount or tax]
        else:
            parts = _partial(left, lines, money)
        if not parts:
            raise CreditNoteRefused(f"Invoice {locked.display_number} has nothing left to credit.")
        series = selectors.billing_settings_for(locked.tenant).credit_note_series
        subtotal = sum((amount for _, amount, _ in parts), ZERO)
        tax_total = sum((tax for _, _, tax in parts), ZERO)
        note = CreditNote.objects.create(
            tenant=locked.tenant,
            account=locked.account,
            invoice=locked,
            series=series,
            number=number_take(tenant=locked.tenant, series=series),
            issue_date=issue_date or selectors.tenant_today(locked.tenant),
            reason=reason[:255],
            currency=locked.currency,
            subtotal=subtotal,
            tax_total=tax_total,
            total=subtotal + tax_total,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        CreditNoteLine.objects.bulk_create(
            CreditNoteLine(
                credit_note=note,
                invoice_line=line,
                description=line.description,
                revenue=line.revenue,
                amount=amount,
                tax_rate=line.tax_rate,
                tax_amount=tax,
            )
            for line, amount, tax in parts
        )
        note.ledger_transaction = credit_note_post(credit_note=note, actor=actor)
        note.save(update_fields=["ledger_transaction"])
        before = locked.status
        locked.amount_credited += note.total
        locked.status = settled_status(locked)
        locked.save(update_fields=["amount_credited", "status", "updated_at"])
        InvoiceEvent.objects.create(
            invoice=locked,
            actor=actor if getattr(actor, "pk", None) else None,
            from_status=before,
            to_status=locked.status,
            note=f"Credit note {note.display_number} ({note.total}): {reason}"[:255],
        )
        audit_record(
            action="credit_note.create",
            obj=note,
            actor=actor,
            tenant=locked.tenant,
            after={"invoice": locked.display_number, "total": str(note.total), "reason": reason},
        )
        transaction.on_commit(lambda: signals.credit_note_created.send(sender=CreditNote, credit_note=note))
        return note
