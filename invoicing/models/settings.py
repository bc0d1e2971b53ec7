"""Per-tenant billing settings, tax rates and the gapless number counters."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Func

from .fields import RATE


class TenantBillingSettings(models.Model):
    """How a tenant bills. A reseller without its own row uses the nearest ancestor's, else the defaults."""

    tenant_lookup = "tenant"

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, related_name="billing_settings")
    thirty_day_months = models.BooleanField(
        default=False,
        help_text="Prorate monthly charges at 1/30 of the price per day of service, never above the month's price. "
        "Off: days of service over the days of the period (14 days of a 31-day month = 14/31).",
    )
    invoice_series = models.CharField(max_length=16, default="INV")
    statement_series = models.CharField(max_length=16, default="ST")
    credit_note_series = models.CharField(max_length=16, default="CN")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tenant billing settings"
        verbose_name_plural = "tenant billing settings"

    def __str__(self) -> str:
        return f"Billing settings of {self.tenant}"


class DateRange(Func):
    function = "DATERANGE"
    output_field = models.DateField()


class TaxRate(models.Model):
    """A tax rate of a tenant for a product category (empty category = the tenant's default rate)."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="tax_rates")
    category = models.CharField(max_length=40, blank=True, help_text="Product / charge tax category; empty = default.")
    name = models.CharField(max_length=80, help_text="As printed on the invoice, e.g. VAT 21%.")
    rate = models.DecimalField(**RATE, help_text="Percent, e.g. 21.0000.")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Last day the rate applies; empty = open-ended.")

    class Meta:
        ordering = ["tenant", "category", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lte=100), name="tax_rate_percent_range"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="tax_rate_dates_ordered",
            ),
            # Two rates for one category on the same day would make the tax ambiguous.
            ExclusionConstraint(
                name="tax_rate_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    ("category", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.category or 'default'})"


class NumberSeries(models.Model):
    """The next number of a tenant's series (invoices, statements, credit notes).

    Taken under SELECT ... FOR UPDATE in the transaction that issues the document, so a rollback
    gives the number back and numbers stay gapless; unique constraints on the documents are the backstop.
    """

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="number_series")
    series = models.CharField(max_length=16)
    next_number = models.PositiveBigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "series"]
        verbose_name_plural = "number series"
        constraints = [models.UniqueConstraint(fields=["tenant", "series"], name="number_series_once_per_tenant")]

    def __str__(self) -> str:
        return f"{self.series} next {self.next_number}"
