"""Loyalty points: the rules that earn them, each grant, the rewards points buy, and each redemption.

Points live in pockets of unit PTS (one per account and expiry day) credited against the tenant's
points liability; a pocket's `valid_to` is when its points expire (`pockets_expire` moves what is left
to breakage). Redeeming for credit converts at the tenant's PTS -> currency `ExchangeRate`.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .benefits import Benefit

POINTS = {"max_digits": 20, "decimal_places": 3}


class LoyaltyRuleKind(models.TextChoices):
    PAID_ON_TIME = "per_currency_paid_on_time", "Per currency unit of an invoice paid on time"
    TENURE_MONTH = "per_tenure_month", "Per month of tenure"
    TOP_UP = "per_top_up", "Per currency unit topped up"


class LoyaltyRule(models.Model):
    """How points are earned; applies to the accounts of its tenant and its resellers."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="loyalty_rules")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=32, choices=LoyaltyRuleKind.choices)
    points = models.DecimalField(
        max_digits=18, decimal_places=6, help_text="Points per currency unit (paid, topped up) or per tenure month."
    )
    expiry_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Points expire this many days after the day they are earned; empty: never."
    )
    active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(default=timezone.now, help_text="Earns for events from this moment on.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tenant", "kind", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(points__gt=0), name="loyalty_rule_points_positive")]

    def __str__(self) -> str:
        return self.name


class LoyaltyGrant(models.Model):
    """Points granted by a rule for one event; the unique key makes every rerun grant nothing."""

    tenant_lookup = "account__tenant"

    rule = models.ForeignKey(LoyaltyRule, on_delete=models.PROTECT, related_name="grants")
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(**POINTS)
    idempotency_key = models.CharField(max_length=120, unique=True)
    reason = models.CharField(max_length=255)
    invoice = models.ForeignKey("invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tenure_month = models.PositiveSmallIntegerField(null=True, blank=True)
    pocket = models.ForeignKey("accounts.LedgerAccount", on_delete=models.PROTECT, related_name="+")
    ledger_transaction = models.ForeignKey("accounts.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rule", "source_transaction"], name="loyalty_grant_source_idx")]

    def __str__(self) -> str:
        return f"{self.points} PTS: {self.reason}"


class LoyaltyRewardKind(models.TextChoices):
    ITEMS = "items", "Items into an item pocket"
    DISCOUNT = "discount", "Discount on the next invoices"


class LoyaltyReward(Benefit):
    """What points buy besides credit: items (e.g. 1 GB for 30 days) or a discount."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="loyalty_rewards")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=LoyaltyRewardKind.choices)
    points = models.DecimalField(**POINTS, help_text="What it costs.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="loyalty_reward_code_per_tenant"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="loyalty_reward_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.points} PTS)"

    def clean(self) -> None:
        errors = self.units_errors() if self.kind == LoyaltyRewardKind.ITEMS else self.discount_errors()
        if errors:
            raise ValidationError(errors)


class LoyaltyRedemptionKind(models.TextChoices):
    CREDIT = "credit", "Credit into the money pocket"
    ITEMS = "items", "Items"
    DISCOUNT = "discount", "Discount"


class LoyaltyRedemption(models.Model):
    """Points spent: the points transaction, and what they bought (credit, items or a discount)."""

    tenant_lookup = "account__tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=LoyaltyRedemptionKind.choices)
    points = models.DecimalField(**POINTS)
    reward = models.ForeignKey(LoyaltyReward, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(
        max_digits=30, decimal_places=10, help_text="Credit or units received, or the discount's amount or percent."
    )
    value_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: a percent.",
    )
    exchange_rate = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)
    points_transaction = models.ForeignKey("accounts.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    value_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account_discount = models.OneToOneField(
        "invoicing.AccountDiscount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.points} PTS -> {self.get_kind_display()}"
