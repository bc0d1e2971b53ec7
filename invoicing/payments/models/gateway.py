"""What we keep of the gateways: Stripe customers, saved payment methods, webhook events received,
and the auto-pay policy and attempts."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class StripeCustomer(models.Model):
    """The Stripe customer of a billing account (created once, idempotency key per account)."""

    tenant_lookup = "account__tenant"

    account = models.OneToOneField("accounts.BillingAccount", on_delete=models.PROTECT, related_name="stripe_customer")
    stripe_id = models.CharField(max_length=120, unique=True)
    auto_pay = models.BooleanField(default=True, help_text="Charge the default payment method when invoices fall due.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.stripe_id


class SavedPaymentMethod(models.Model):
    """A card saved through a SetupIntent; the default one is charged by auto-pay (off session)."""

    tenant_lookup = "account__tenant"

    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="payment_methods")
    stripe_id = models.CharField(max_length=120, unique=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "-is_default", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_default=True), name="one_default_payment_method"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand or 'card'} **** {self.last4 or '????'}"


class WebhookEvent(models.Model):
    """Every gateway event received, stored before it is handled; the event id makes handling once."""

    tenant_lookup = "tenant"

    gateway = models.CharField(max_length=16, default="stripe")
    event_id = models.CharField(max_length=120, unique=True)
    type = models.CharField(max_length=80, db_index=True)
    tenant = models.ForeignKey("accounts.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_events"
    )
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveIntegerField(default=1, help_text="How many times the gateway sent it.")
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


def default_retry_days() -> list[int]:
    return [1, 3, 7]


class AutoPayCharge(models.TextChoices):
    ON_ISSUE = "issue", "When the invoice is issued"
    ON_DUE = "due", "On the due date"


class AutoPayPolicy(models.Model):
    """How a tenant's auto-pay charges saved cards; resellers without one use the nearest ancestor's."""

    tenant_lookup = "tenant"

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, related_name="auto_pay_policy")
    enabled = models.BooleanField(default=True)
    charge_on = models.CharField(max_length=8, choices=AutoPayCharge.choices, default=AutoPayCharge.ON_DUE)
    retry_days = ArrayField(
        models.PositiveSmallIntegerField(),
        default=default_retry_days,
        blank=True,
        help_text="Days after each failed attempt before the next one, e.g. 1,3,7 (three retries).",
    )

    class Meta:
        verbose_name_plural = "auto-pay policies"

    def __str__(self) -> str:
        return f"Auto-pay of {self.tenant}"


class AutoPayAttemptStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    STARTED = "started", "Started"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown (reconciliation decides)"
    SKIPPED = "skipped", "Skipped (nothing open, or no card)"


class AutoPayAttempt(models.Model):
    """One auto-pay charge of an invoice; attempt n+1 is scheduled from the policy when n fails."""

    tenant_lookup = "invoice__tenant"

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="auto_pay_attempts")
    number = models.PositiveSmallIntegerField()
    scheduled_for = models.DateField(db_index=True)
    status = models.CharField(
        max_length=10, choices=AutoPayAttemptStatus.choices, default=AutoPayAttemptStatus.SCHEDULED
    )
    payment = models.OneToOneField(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="auto_pay_attempt"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "number"]
        constraints = [models.UniqueConstraint(fields=["invoice", "number"], name="auto_pay_attempt_once")]

    def __str__(self) -> str:
        return f"Auto-pay #{self.number} of invoice {self.invoice_id} ({self.status})"
