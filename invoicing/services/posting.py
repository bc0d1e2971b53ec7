"""Ledger postings of invoicing (sign convention of the ledger: credit > 0, debit < 0).

- Issuing an invoice: debit the account's receivable with the total; credit revenue per kind
  (recurring, usage, one-off; discounts and proration credits reduce the kind they belong to) and tax
  payable with the tax total.
- A credit note: the mirror of its part (credit the receivable, debit revenue and tax payable).
- A write-off: credit the receivable with the open amount, debit the write-off adjustments account.
Prepaid statements post nothing: rating already debited the pockets when it rated the usage.
Hence the receivable's balance is minus the open amounts of the account's issued invoices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from accounts.models import LedgerAccountKind, LedgerTransaction
from accounts.models.ledger import TransactionKind
from accounts.services import Leg, account_receivable, ledger_post, ledger_system_account
from invoicing.models import CreditNote, Invoice

ZERO = Decimal("0")
REVENUE_ACCOUNT = {
    "recurring": LedgerAccountKind.REVENUE_RECURRING,
    "usage": LedgerAccountKind.REVENUE_USAGE,
    "one_off": LedgerAccountKind.REVENUE_ONEOFF,
}
WRITE_OFF_CODE = "write_off"


def _legs(invoice: Invoice, receivable: Decimal, revenue: dict[str, Decimal], tax: Decimal, sign: int) -> list[Leg]:
    tenant, unit = invoice.tenant, invoice.currency
    legs = [Leg(account_receivable(account=invoice.account), -sign * receivable)]
    for kind, amount in sorted(revenue.items()):
        legs.append(Leg(ledger_system_account(tenant=tenant, kind=REVENUE_ACCOUNT[kind], unit=unit), sign * amount))
    legs.append(Leg(ledger_system_account(tenant=tenant, kind=LedgerAccountKind.TAX_PAYABLE, unit=unit), sign * tax))
    return [leg for leg in legs if leg.amount != ZERO]


def _revenue(rows: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, amount in rows:
        totals[kind] += amount
    return dict(totals)


def _post(
    invoice: Invoice, document: Invoice | CreditNote, sign: int, kind: str, description: str, actor: Any
) -> LedgerTransaction | None:
    """Post `document` (the invoice itself, sign 1, or a credit note on it, sign -1); None when every leg
    is zero."""
    revenue = _revenue(document.lines.values_list("revenue", "amount"))
    legs = _legs(invoice, document.total, revenue, document.tax_total, sign=sign)
    if len(legs) < 2:
        return None
    return ledger_post(
        tenant=invoice.tenant,
        kind=kind,
        legs=legs,
        description=description,
        reference=f"{document._meta.model_name}:{document.pk}",
        actor=actor,
    )


def invoice_post(*, invoice: Invoice, actor: Any = None) -> LedgerTransaction | None:
    """Post an issued invoice: receivable debited, revenue per kind and tax payable credited."""
    description = f"Invoice {invoice.display_number} ({invoice.account.number})"
    return _post(invoice, invoice, 1, TransactionKind.INVOICE, description, actor)


def credit_note_post(*, credit_note: CreditNote, actor: Any = None) -> LedgerTransaction | None:
    """Post the mirror of the credited part of the invoice."""
    invoice = credit_note.invoice
    description = f"Credit note {credit_note.display_number} on {invoice.display_number}"
    return _post(invoice, credit_note, -1, TransactionKind.CREDIT_NOTE, description, actor)


def write_off_post(*, invoice: Invoice, amount: Decimal, actor: Any = None) -> LedgerTransaction:
    adjustments = ledger_system_account(
        tenant=invoice.tenant, kind=LedgerAccountKind.ADJUSTMENTS, unit=invoice.currency, code=WRITE_OFF_CODE
    )
    return ledger_post(
        tenant=invoice.tenant,
        kind=TransactionKind.ADJUSTMENT,
        legs=[Leg(account_receivable(account=invoice.account), amount), Leg(adjustments, -amount)],
        description=f"Write-off of invoice {invoice.display_number}",
        reference=f"invoice:{invoice.pk}",
        actor=actor,
    )
