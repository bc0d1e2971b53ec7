"""Account discounts: a percent or an amount off an account's next N invoices.

Catalog discounts belong to a price plan and count periods from the day a subscription went on the
plan. An account discount belongs to one billing account instead and counts *invoices*: it applies to
the first `periods` cycle invoices with a bill date on or after `starts_on` whose lines it can
discount. Promotions, loyalty rewards and operators' goodwill gestures create them
(`services.discounts.account_discount_create`); the engine turns them into discount lines that carry
`InvoiceLine.account_discount`, which is how the next invoice knows how many periods are used
(lines of cancelled invoices do not count, so cancelling a draft gives the period back).
"""

from __future__ import annotations

import uuid

from django.db import models

from .fields import MONEY, RATE
from .invoices import RevenueKind


class AccountDiscount(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+", editable=False)
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="discounts")
    name = models.CharField(max_length=120, help_text="Shown on the invoice line.")
    percent = models.DecimalField(**RATE, null=True, blank=True, help_text="Percent off; or give an amount.")
    amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Amount off each invoice, in the account's currency."
    )
    periods = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many invoices it discounts; empty: every invoice until it ends."
    )
    applies_to = models.CharField(
        max_length=12, choices=RevenueKind.choices, blank=True, help_text="Empty: every line of the invoice."
    )
    product = models.ForeignKey(
        "rating.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only the lines of subscriptions to this product.",
    )
    starts_on = models.DateField(help_text="First bill date it applies to.")
    ends_on = models.DateField(null=True, blank=True, help_text="Last bill date it applies to; empty: open.")
    source = models.CharField(max_length=40, default="operator", help_text="What granted it: promotion, loyalty...")
    reference = models.CharField(max_length=80, blank=True, help_text="e.g. promotion-redemption:12")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(percent__isnull=False) & models.Q(amount__isnull=True))
                | (models.Q(percent__isnull=True) & models.Q(amount__isnull=False)),
                name="account_discount_percent_or_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True) | models.Q(percent__gt=0, percent__lte=100),
                name="account_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="account_discount_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(periods__isnull=True) | models.Q(periods__gt=0), name="account_discount_periods_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="account_discount_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        what = f"{self.percent.normalize()}%" if self.percent is not None else f"{self.amount}"
        return f"{self.name} ({what}) on {self.account_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.tenant_id = self.account.tenant_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]
