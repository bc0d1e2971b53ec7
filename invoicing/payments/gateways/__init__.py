"""The gateway interface: how a payment reaches the money, and what came back.

A gateway never writes to our database: it takes a payment or refund, talks to the outside world
(or not, for offline gateways) and returns a `GatewayResult`. The services record the outcome in
their own transactions, so no gateway call ever runs inside a transaction or under a row lock.
Implementations: `OfflineGateway` (bank transfer, cash, cheque: the operator already has the money)
and `StripeGateway` (cards and Checkout through the official `stripe` library).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from invoicing.payments.models import OFFLINE_GATEWAYS, Gateway, Payment, PaymentStatus, Refund


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    STARTED = "started"  # accepted, result later (Checkout page open, 3-D Secure, bank processing)
    FAILED = "failed"
    UNKNOWN = "unknown"  # no usable answer (timeout, garbage): ask again later


@dataclass(frozen=True)
class GatewayResult:
    outcome: Outcome
    gateway_id: str = ""  # PaymentIntent / refund id
    session_id: str = ""  # Checkout Session id
    redirect_url: str = ""
    failure_code: str = ""
    failure_reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    code: str

    def charge(self, payment: Payment) -> GatewayResult:
        """Move the payment's money (or open the page where the customer does)."""

    def refund(self, refund: Refund) -> GatewayResult:
        """Send `refund.amount` back to the payer."""

    def status(self, payment: Payment) -> GatewayResult:
        """Ask again what became of the payment (reconciliation of unknown payments)."""


class OfflineGateway:
    """Bank transfer, cash, cheque: recorded by an operator once the money is there."""

    def __init__(self, code: str) -> None:
        self.code = code

    def charge(self, payment: Payment) -> GatewayResult:
        return GatewayResult(Outcome.SUCCEEDED, detail={"recorded_by": "operator"})

    def refund(self, refund: Refund) -> GatewayResult:
        return GatewayResult(Outcome.SUCCEEDED, detail={"paid_out_by": "operator"})

    def status(self, payment: Payment) -> GatewayResult:
        known = {PaymentStatus.FAILED: Outcome.FAILED, PaymentStatus.PENDING: Outcome.STARTED}
        return GatewayResult(known.get(payment.status, Outcome.SUCCEEDED))


def gateway_for(code: str) -> PaymentGateway:
    if code in OFFLINE_GATEWAYS:
        return OfflineGateway(code)
    if code == Gateway.STRIPE:
        from .stripe import StripeGateway

        return StripeGateway()
    raise ValueError(f"No gateway {code!r}")
