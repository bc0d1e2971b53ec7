"""What has been billed, so that nothing is billed twice, and what is waiting to be billed.

- `BilledCharge`: one row per subscription charge period put on an invoice (and per correction of it).
  The unique constraint makes "a subscription charge period is billed once" a database fact; the
  rows of a period sum to what the customer has been charged for it, which is how the engine finds
  the credit for the unused part of an in-advance charge after an end, a pause or a plan change.
  Cancelling a draft deletes its rows, freeing the periods.
- `OneOffCharge`: an operator's manual charge (or a device, a fee) pending until an invoice bills it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from .fields import MONEY, PRICE, QUANTITY


class BilledChargeKind(models.TextChoices):
    CHARGE = "charge", "Charge of the period"
    ADJUSTMENT = "adjustment", "Correction of the period (proration credit or re-charge)"


class BilledCharge(models.Model):
    tenant_lookup = "invoice__tenant"

    subscription = models.ForeignKey("rating.Subscription", on_delete=models.PROTECT, related_name="billed_charges")
    charge = models.ForeignKey("rating.Charge", on_delete=models.PROTECT, related_name="+")
    # Set on discount rows: the charge the discount was applied to.
    applies_to_charge = models.ForeignKey(
        "rating.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=BilledChargeKind.choices, default=BilledChargeKind.CHARGE)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the charge period.")
    # The proration covered once this row is counted, and the price it was computed from: corrections
    # re-prorate what was billed, so a later catalog price change never re-prices a billed period.
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    full_price = models.DecimalField(max_digits=24, decimal_places=6, help_text="Price of a full period.")
    percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True, help_text="Discount %.")
    amount = models.DecimalField(**MONEY)
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="billed_charges")
    line = models.ForeignKey(
        "invoicing.InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="billed_charges"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription", "charge", "period_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "charge", "applies_to_charge", "period_start"],
                condition=models.Q(kind="charge"),
                nulls_distinct=False,
                name="billed_charge_period_once",
            ),
            models.UniqueConstraint(
                fields=["subscription", "charge", "applies_to_charge", "period_start", "invoice"],
                condition=models.Q(kind="adjustment"),
                nulls_distinct=False,
                name="billed_charge_adjustment_once_per_invoice",
            ),
        ]
        indexes = [models.Index(fields=["invoice"], name="billed_charge_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.charge_id} {self.period_start}..{self.period_end} = {self.amount}"


class OneOffCharge(models.Model):
    """A charge billed once on the account's next invoice (activation, device, manual operator charge)."""

    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+", editable=False)
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="one_off_charges")
    charge = models.ForeignKey(
        "rating.Charge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Catalog charge it comes from (empty: a manual charge described here).",
    )
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(**QUANTITY, default=Decimal("1"))
    unit_price = models.DecimalField(**PRICE)
    tax_category = models.CharField(max_length=40, blank=True)
    charge_date = models.DateField(help_text="Billed by the first invoice whose bill date is on or after it.")
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="one_off_charges"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "charge_date", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="one_off_quantity_positive")]
        indexes = [
            models.Index(fields=["account"], name="one_off_pending_idx", condition=models.Q(invoice__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.description} x{self.quantity} @ {self.unit_price}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.tenant_id = self.account.tenant_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]
