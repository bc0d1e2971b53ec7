"""Tariffs for usage: rate steps per destination prefix and time band, as a rate deck holds them.

One TariffRateStep row per step, mirroring the rate-deck CSV
(prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,
rounding,decimals,max_cost), so an import is a bulk insert and the rows group into the engine's
`rating.engine.Rate` objects by (prefix, time band, effective_from). Effective dates keep old rates,
so old usage can be re-rated as it was.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models

from .catalog import PRICE, SERVICE_CHOICES


class RoundingMethod(models.TextChoices):
    UP = "up", "Up"
    HALF_UP = "half_up", "Half up"
    DOWN = "down", "Down"


class Tariff(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="tariffs")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    service = models.CharField(max_length=8, choices=SERVICE_CHOICES)
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    rounding = models.CharField(max_length=8, choices=RoundingMethod.choices, default=RoundingMethod.HALF_UP)
    decimals = models.PositiveSmallIntegerField(default=4)
    max_cost = models.DecimalField(**PRICE, null=True, blank=True)
    min_charge = models.DecimalField(**PRICE, null=True, blank=True)
    min_charge_on_zero = models.BooleanField(default=False)
    tiered = models.BooleanField(default=False, help_text="Steps are volume tiers over the billing cycle.")
    # Bumped by every change to the tariff, its steps or its tenant's bands and holidays (rating.signals):
    # rating processes compare it with the revision of the deck they compiled and recompile when it moved.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="tariff_code_per_tenant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.service})"


class TimeBand(models.Model):
    """A tenant's named slice of the week (e.g. peak Mon-Fri 08:00-20:00); weekdays 0 = Monday."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="time_bands")
    name = models.SlugField(max_length=40)
    weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list, help_text="0=Mon .. 6=Sun")
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 = midnight; an end before the start wraps past midnight.")
    holidays_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["tenant", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="time_band_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["tenant", "date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="holiday_once_per_tenant")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TariffRateStep(models.Model):
    tenant_lookup = "tariff__tenant"

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="steps")
    prefix = models.CharField(max_length=32, help_text="Digits, or * for the catch-all.")
    destination = models.CharField(max_length=120, blank=True)
    time_band = models.ForeignKey(TimeBand, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateTimeField()
    # Big: volume tiers of data tariffs start beyond 2 GB of cumulative bytes in the cycle.
    interval_start = models.PositiveBigIntegerField(
        default=0, help_text="Seconds, messages or bytes into the record (into the cycle when tiered)."
    )
    connect_fee = models.DecimalField(**PRICE, default=Decimal("0"))
    rate = models.DecimalField(**PRICE, help_text="Price per rate unit.")
    rate_unit = models.PositiveIntegerField(help_text="e.g. 60 s, 1 SMS, 1048576 bytes.")
    increment = models.PositiveIntegerField(help_text="Billing increment, e.g. 60, 6, 1 s or 1024 bytes.")
    rounding = models.CharField(max_length=8, choices=RoundingMethod.choices, blank=True)
    decimals = models.PositiveSmallIntegerField(null=True, blank=True)
    max_cost = models.DecimalField(**PRICE, null=True, blank=True)

    class Meta:
        ordering = ["tariff", "prefix", "effective_from", "interval_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "prefix", "time_band", "effective_from", "interval_start"],
                name="tariff_step_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=models.Q(rate_unit__gt=0, increment__gt=0), name="tariff_step_units"),
        ]
        indexes = [models.Index(fields=["tariff", "effective_from"], name="tariff_step_effective")]

    def __str__(self) -> str:
        return f"{self.prefix} @{self.interval_start}s {self.rate}/{self.rate_unit}"
