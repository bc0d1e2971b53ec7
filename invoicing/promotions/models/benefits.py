"""The fields of what a promotion or a loyalty reward grants, shared by both (abstract model)."""

from __future__ import annotations

from django.db import models

from invoicing.models.fields import MONEY, QUANTITY, RATE
from invoicing.models.invoices import RevenueKind


class Benefit(models.Model):
    """A discount on the next invoices, or free units into a new item pocket with a validity."""

    # Money amounts are in `currency`: an account in another currency cannot receive them.
    currency = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    discount_percent = models.DecimalField(**RATE, null=True, blank=True)
    discount_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Amount off each invoice.")
    discount_periods = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Invoices discounted; empty: every invoice."
    )
    discount_applies_to = models.CharField(
        max_length=12, choices=RevenueKind.choices, blank=True, help_text="Empty: every line."
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Free units' unit.",
    )
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    validity_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Free units last this long.")

    class Meta:
        abstract = True

    def discount_errors(self) -> dict[str, str]:
        if (self.discount_percent is None) == (self.discount_amount is None):
            return {"discount_percent": "A discount needs a percent or an amount (not both)."}
        if self.discount_percent is not None and not 0 < self.discount_percent <= 100:
            return {"discount_percent": "A percent must be above 0 and at most 100."}
        if self.discount_amount is not None and not self.currency_id:
            return {"currency": "An amount discount needs its currency."}
        return {}

    def units_errors(self) -> dict[str, str]:
        if not self.unit_id or not self.quantity or not self.validity_days:
            return {"unit": "Free units need a unit, a quantity and a validity in days."}
        if self.unit.is_money:
            return {"unit": "Units go into an item pocket; grant money as credit."}
        return {}
