"""Business errors with a machine-readable code and a message a person can act on."""

from __future__ import annotations


class BillingError(Exception):
    """Base of every refused business operation. Nothing was changed when it is raised."""

    code = "billing_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidAmount(BillingError):
    code = "invalid_amount"


class InsufficientFunds(BillingError):
    code = "insufficient_funds"
    http_status = 409


class PocketNotUsable(BillingError):
    code = "pocket_not_usable"
    http_status = 409


class InvalidState(BillingError):
    """The object's saved state does not allow this change (e.g. reopening a closed account)."""

    code = "invalid_state"
    http_status = 409


class LedgerImbalance(BillingError):
    code = "ledger_imbalance"


class NoExchangeRate(BillingError):
    code = "no_exchange_rate"


class IdempotencyConflict(BillingError):
    code = "idempotency_conflict"
    http_status = 422


class TenantMismatch(BillingError):
    code = "tenant_mismatch"
    http_status = 403


class InvalidAccountState(BillingError):
    """The account's saved state does not allow the transition (e.g. reactivating a closed account)."""

    code = "invalid_account_state"
    http_status = 409
