"""Promo codes and campaigns, and their redemptions.

A promotion belongs to a tenant and can be redeemed by the accounts of that tenant and its resellers.
It grants one thing: a discount on the next N invoices (an `invoicing.AccountDiscount`), free units
into a new item pocket with a validity (e.g. 5 GB for 30 days), or credit into the money pocket.
Limits: `per_customer_limit` redemptions per customer (unique redemption number per customer) and
`total_limit` overall (a counter checked and raised under a row lock on the promotion).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from invoicing.models.fields import MONEY

from .benefits import Benefit


class PromotionKind(models.TextChoices):
    DISCOUNT = "discount", "Discount on the next invoices"
    FREE_UNITS = "free_units", "Free units into an item pocket"
    CREDIT = "credit", "Credit into the money pocket"


class Promotion(Benefit):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="promotions")
    code = models.CharField(max_length=40, help_text="What customers type; stored upper-case, unique per tenant.")
    name = models.CharField(max_length=120, help_text="Shown on invoices and pockets, e.g. 'Spring 20% off'.")
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=PromotionKind.choices)
    active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True, help_text="Redeemable until (exclusive); empty: open.")
    # eligibility
    new_customers_only = models.BooleanField(default=False)
    new_customer_days = models.PositiveSmallIntegerField(
        default=30, help_text="A customer is new for this many days after it was created."
    )
    segment = models.CharField(max_length=40, blank=True, help_text="Only customers of this segment; empty: any.")
    product = models.ForeignKey(
        "rating.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only accounts subscribed to it; a discount then applies to its lines only.",
    )
    # limits
    per_customer_limit = models.PositiveSmallIntegerField(default=1)
    total_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    redemptions_count = models.PositiveIntegerField(default=0, editable=False)
    credit_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Credit, in `currency`.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="promotion_code_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(total_limit__isnull=True) | models.Q(redemptions_count__lte=models.F("total_limit")),
                name="promotion_total_limit_kept",
            ),
            models.CheckConstraint(condition=models.Q(per_customer_limit__gte=1), name="promotion_per_customer_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        errors = {}
        if self.kind == PromotionKind.DISCOUNT:
            errors = self.discount_errors()
        elif self.kind == PromotionKind.FREE_UNITS:
            errors = self.units_errors()
        elif self.kind == PromotionKind.CREDIT and (not self.credit_amount or not self.currency_id):
            errors = {"credit_amount": "A credit needs an amount and its currency."}
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            errors["valid_to"] = "The promotion must end after it starts."
        if errors:
            raise ValidationError(errors)


class PromotionRedemption(models.Model):
    """One redemption of a promotion by a billing account; `number` is the customer's n-th of it."""

    tenant_lookup = "account__tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="+")
    # Denormalised: the per-customer limit is a unique number per customer, enforced by the database.
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    redeemed_at = models.DateTimeField(default=timezone.now)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pocket = models.ForeignKey(
        "accounts.LedgerAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account_discount = models.OneToOneField(
        "invoicing.AccountDiscount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "customer", "number"], name="promotion_redemption_once"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion.code} by {self.account_id} (#{self.number})"
