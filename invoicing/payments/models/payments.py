"""Payments, their allocations to invoices, refunds / chargebacks and the history of each payment.

Amounts: `amount` is what the payer sent, in `unit` (EUR, or BTC for a crypto payment); `settled_amount`
is its worth in the account's currency (`currency`), the amount the ledger and the invoices see. When
the two units differ the exchange rate used, its source and time are kept on the payment.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from accounts.money import quantize_money
from invoicing.models.fields import MONEY

ZERO = Decimal("0")
EXCHANGE_RATE = {"max_digits": 30, "decimal_places": 12}


class Gateway(models.TextChoices):
    """Where the money arrives; each has its own cash ledger account (kind cash, code = gateway)."""

    STRIPE = "stripe", "Stripe"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"


OFFLINE_GATEWAYS = (Gateway.BANK_TRANSFER, Gateway.CASH, Gateway.CHEQUE)
OFFLINE_GATEWAY_CHOICES = [(g.value, g.label) for g in OFFLINE_GATEWAYS]


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card (saved payment method)"
    CHECKOUT = "checkout", "Stripe Checkout"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"


class PaymentPurpose(models.TextChoices):
    INVOICE = "invoice", "Pay invoices"
    TOP_UP = "top_up", "Prepaid top-up"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending (not sent yet)"
    STARTED = "started", "Started (awaiting the gateway)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown (gateway did not answer; reconciliation asks again)"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    CHARGED_BACK = "charged_back", "Charged back"


# Statuses in which the money arrived (the ledger holds it, minus refunds and chargebacks).
RECEIVED_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
    PaymentStatus.CHARGED_BACK,
)
# Statuses a gateway answer can still change.
UNSETTLED_STATUSES = (PaymentStatus.PENDING, PaymentStatus.STARTED, PaymentStatus.UNKNOWN)


class Payment(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    purpose = models.CharField(max_length=8, choices=PaymentPurpose.choices, default=PaymentPurpose.INVOICE)
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="named_by_payments",
        help_text="The invoice the payer named; allocated first, the rest to the oldest open invoices.",
    )
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = models.DecimalField(**MONEY, help_text="What the payer sent, in `unit`.")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    settled_amount = models.DecimalField(**MONEY, help_text="Its worth in the account's currency.")
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    exchange_rate = models.DecimalField(**EXCHANGE_RATE, null=True, blank=True)
    exchange_rate_source = models.CharField(max_length=80, blank=True)
    exchange_rate_at = models.DateTimeField(null=True, blank=True)
    amount_allocated = models.DecimalField(**MONEY, default=ZERO)
    amount_refunded = models.DecimalField(**MONEY, default=ZERO, help_text="Refunds succeeded or in flight.")
    amount_charged_back = models.DecimalField(**MONEY, default=ZERO)
    gateway_payment_id = models.CharField(max_length=120, blank=True, help_text="Stripe PaymentIntent id.")
    gateway_session_id = models.CharField(max_length=120, blank=True, help_text="Stripe Checkout Session id.")
    checkout_url = models.URLField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True, help_text="Bank reference, cheque number...")
    payer = models.CharField(max_length=200, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    auto_pay = models.BooleanField(default=False, help_text="Charged by auto-pay, not by the customer.")
    received_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(settled_amount__gt=0), name="payment_settled_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    settled_amount__gte=models.F("amount_allocated")
                    + models.F("amount_refunded")
                    + models.F("amount_charged_back")
                ),
                name="payment_never_over_used",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_payment_id"],
                condition=~models.Q(gateway_payment_id=""),
                name="payment_gateway_id_once",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="payment_account_status_idx"),
            models.Index(fields=["tenant", "status", "received_at"], name="payment_tenant_received_idx"),
        ]

    def __str__(self) -> str:
        amount = quantize_money(self.amount, self.unit.decimals) if self.unit_id else self.amount
        return f"{self.get_gateway_display()} {amount} {self.unit_id and self.unit.code} ({self.status})"

    @property
    def unallocated(self) -> Decimal:
        """Customer credit left from this payment (held in the account's main pocket)."""
        if self.status not in RECEIVED_STATUSES:
            return ZERO
        return self.settled_amount - self.amount_allocated - self.amount_refunded - self.amount_charged_back

    @property
    def refundable(self) -> Decimal:
        if self.status not in RECEIVED_STATUSES:
            return ZERO
        return self.settled_amount - self.amount_refunded - self.amount_charged_back


class AllocationSource(models.TextChoices):
    RECEIPT = "receipt", "From the payment as received"
    CREDIT = "credit", "From customer credit"
    RELEASE = "release", "Released back to customer credit"
    REFUND = "refund", "Released for a refund or chargeback"


class PaymentAllocation(models.Model):
    """Part of a payment applied to an invoice. Append-only: a negative row releases an earlier one,
    so the net allocation of a payment to an invoice is the sum of its rows."""

    tenant_lookup = "payment__tenant"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payment_allocations")
    amount = models.DecimalField(**MONEY, help_text="Positive applies, negative releases.")
    source = models.CharField(max_length=8, choices=AllocationSource.choices)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payment", "id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="allocation_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to invoice {self.invoice_id}"


class RefundKind(models.TextChoices):
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"
    RETURN = "return", "Returned by the bank (bounced transfer or cheque)"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending (reserved, not sent yet)"
    STARTED = "started", "Started (awaiting the gateway)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (money back to customer credit)"
    UNKNOWN = "unknown", "Unknown (gateway did not answer)"


class Refund(models.Model):
    """Money going back to the payer: a refund we send, a chargeback the card network takes, or a
    transfer or cheque the bank returned."""

    tenant_lookup = "payment__tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=12, choices=RefundKind.choices, default=RefundKind.REFUND)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    amount = models.DecimalField(**MONEY, help_text="In the account's currency.")
    fee = models.DecimalField(**MONEY, default=ZERO, help_text="Chargeback fee the gateway charged.")
    reason = models.CharField(max_length=255)
    gateway_refund_id = models.CharField(max_length=120, blank=True, help_text="Stripe refund or dispute id.")
    idempotency_key = models.CharField(max_length=120, unique=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settle_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["kind", "gateway_refund_id"],
                condition=~models.Q(gateway_refund_id=""),
                name="refund_gateway_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.status})"


class PaymentEvent(models.Model):
    """What happened to a payment and what the gateway answered: the page's history."""

    tenant_lookup = "payment__tenant"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status or '-'} -> {self.to_status or '-'}"
