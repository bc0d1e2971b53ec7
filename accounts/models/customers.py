"""Customers, their billing accounts and the billing cycles accounts are assigned to."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class BillingPeriod(models.TextChoices):
    MONTH = "month", "Monthly"
    WEEK = "week", "Weekly"
    YEAR = "year", "Yearly"
    DAY = "day", "Daily"


class BillingCycle(models.Model):
    """When accounts are billed: e.g. monthly on day 1, or weekly on Monday (bill_day 1 = Monday)."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="billing_cycles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    period = models.CharField(max_length=8, choices=BillingPeriod.choices, default=BillingPeriod.MONTH)
    bill_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Day of the month (29-31 fall back to the month's last day), or ISO weekday for weekly.",
    )

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="billing_cycle_code_per_tenant")]

    def __str__(self) -> str:
        return self.name


class CustomerKind(models.TextChoices):
    PERSON = "person", "Person"
    COMPANY = "company", "Company"


class Customer(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(max_length=32, help_text="Customer number, unique per tenant.")
    kind = models.CharField(max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    tax_id = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=8, choices=[("en", "English"), ("es", "Español")], default="en")
    segment = models.CharField(max_length=40, blank=True, db_index=True, help_text="e.g. consumer, business")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="customer_number_per_tenant")]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PaymentMode(models.TextChoices):
    PREPAID = "prepaid", "Prepaid"
    POSTPAID = "postpaid", "Postpaid"
    HYBRID = "hybrid", "Hybrid"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class BillingAccount(models.Model):
    """What gets billed: one currency, one cycle, one payment mode and credit limit."""

    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    # Denormalised from the customer so that mass runs and scoping filter without a join.
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="accounts", editable=False)
    number = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    billing_cycle = models.ForeignKey(
        BillingCycle, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=14)
    payment_mode = models.CharField(max_length=16, choices=PaymentMode.choices, default=PaymentMode.POSTPAID)
    credit_limit = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="How far below zero a postpaid or hybrid money pocket may go.",
    )
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    skip_dunning = models.BooleanField(default=False, help_text="Never chase this account for overdue invoices.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="account_number_per_tenant"),
            models.CheckConstraint(condition=models.Q(credit_limit__gte=0), name="account_credit_limit_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.customer.name})" if self.customer_id else self.number

    def save(self, *args: object, **kwargs: object) -> None:
        self.tenant_id = self.customer.tenant_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if self.currency_id and not self.currency.is_money:
            raise ValidationError({"currency": "An account's currency must be a currency or crypto unit."})
        if self.payment_mode == PaymentMode.PREPAID and self.credit_limit:
            raise ValidationError({"credit_limit": "A prepaid account has no credit limit."})
        if self.billing_cycle_id and self.customer_id and self.billing_cycle.tenant_id != self.customer.tenant_id:
            raise ValidationError({"billing_cycle": "The billing cycle belongs to another tenant."})

    @property
    def floor(self) -> Decimal:
        """The lowest balance a money pocket of this account may reach."""
        return Decimal("0") if self.payment_mode == PaymentMode.PREPAID else -self.credit_limit
