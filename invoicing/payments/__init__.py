"""payments: money in and out of billing accounts - Stripe and offline gateways, allocation, refunds.

A Django app of its own (label `payments`) inside `invoicing`, so its migrations and admin stay apart
from the invoice engine's. Owns payments (card through Stripe, bank transfer, cash, cheque, bank
statement imports), their allocation to open invoices, customer credit (overpayments kept in the
account's main pocket and used on the next invoice), refunds and chargebacks, auto-pay with retries,
Stripe webhooks and the reconciliation report.
Invariants: money moves in the ledger only when a payment succeeded (cash debited, receivable and
pocket credited), once per payment (idempotency keys on the ledger legs and on every gateway call);
Stripe is never called inside a database transaction; a payment's settled amount = allocated +
unallocated credit + refunded + charged back; an invoice's amount paid = its net allocations.
"""
