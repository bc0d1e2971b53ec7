"""Refused invoicing operations: each a BillingError with a code and a message a person can act on."""

from __future__ import annotations

from accounts.exceptions import BillingError


class InvoiceStateError(BillingError):
    """The transition is not allowed from the invoice's saved state."""

    code = "invalid_invoice_state"
    http_status = 409


class CreditNoteRefused(BillingError):
    code = "credit_note_refused"
    http_status = 409


class InvoiceComputeError(BillingError):
    """The account's data cannot be invoiced as it is (e.g. a plan in another currency)."""

    code = "invoice_compute_error"
    http_status = 422


class OneOffRefused(BillingError):
    code = "one_off_refused"


class AccountDiscountRefused(BillingError):
    code = "account_discount_refused"
