"""Refused payment operations: each a BillingError with a code and a message a person can act on."""

from __future__ import annotations

from accounts.exceptions import BillingError


class PaymentRefused(BillingError):
    """The payment cannot be recorded or changed as asked (wrong state, account, currency...)."""

    code = "payment_refused"
    http_status = 409


class AllocationRefused(BillingError):
    code = "allocation_refused"
    http_status = 409


class RefundRefused(BillingError):
    code = "refund_refused"
    http_status = 409


class GatewayNotConfigured(BillingError):
    """The gateway is off: Stripe needs STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET for webhooks)."""

    code = "gateway_not_configured"
    http_status = 503


class WebhookRejected(BillingError):
    """A webhook whose signature does not verify (or that is not an event): nothing is changed."""

    code = "webhook_rejected"
    http_status = 400


class StatementRejected(BillingError):
    """A bank statement file that cannot be read; nothing of it is imported."""

    code = "statement_rejected"
    http_status = 400
