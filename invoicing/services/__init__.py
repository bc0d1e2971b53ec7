"""Every write of invoicing, one function per use case; the engine and date math are pure modules.

- `periods` (date math), `pricing` (prices, rounding, tax), `compute` (the engine), `billing_data`
  (its plain input and output) - no database access;
- `generate` (draft invoices for a batch of accounts, the preview, one-off charges and invoices),
  `lifecycle` (transitions), `credit_notes`, `numbering`, `posting` (ledger), `discounts` (account
  discounts for N invoices).
"""

from .credit_notes import credit_note_create
from .discounts import account_discount_create
from .generate import (
    OneOffItem,
    invoice_generate,
    invoice_one_off_create,
    invoice_preview,
    invoices_generate,
    invoices_write,
    one_off_charge_create,
)
from .lifecycle import (
    invoice_approve,
    invoice_cancel,
    invoice_issue,
    invoice_mark_overdue,
    invoice_mark_paid,
    invoice_payment_reverse,
    invoice_write_off,
)

__all__ = [
    "OneOffItem",
    "account_discount_create",
    "credit_note_create",
    "invoice_approve",
    "invoice_cancel",
    "invoice_generate",
    "invoice_issue",
    "invoice_mark_overdue",
    "invoice_mark_paid",
    "invoice_one_off_create",
    "invoice_payment_reverse",
    "invoice_preview",
    "invoice_write_off",
    "invoices_generate",
    "invoices_write",
    "one_off_charge_create",
]
