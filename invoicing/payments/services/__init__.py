"""Every write of payments, one function per use case.

- `payments`: create, send, succeed / fail / unknown, offline payments recorded by an operator;
- `allocation`: allocation to invoices, customer credit applied, operator edits;
- `refunds`: refunds (offline at once, Stripe reserved then settled) and chargebacks;
- `posting`: the ledger legs; `stripe_flows`, `webhooks`, `auto_pay`, `reconcile`: the gateway side.
"""

from .allocation import account_credit_apply, payment_allocations_set
from .payments import (
    payment_create,
    payment_fail,
    payment_mark_started,
    payment_mark_unknown,
    payment_record_offline,
    payment_succeed,
)
from .refunds import payment_charge_back, payment_return, refund_create, refund_fail, refund_succeed

__all__ = [
    "account_credit_apply",
    "payment_allocations_set",
    "payment_charge_back",
    "payment_create",
    "payment_fail",
    "payment_mark_started",
    "payment_mark_unknown",
    "payment_record_offline",
    "payment_return",
    "payment_succeed",
    "refund_create",
    "refund_fail",
    "refund_succeed",
]
