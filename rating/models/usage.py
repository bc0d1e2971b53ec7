"""Rated usage: one row per rated record, kept with what produced its price.

The unique (tenant, record_key) is what makes "never rate a CDR twice" a database fact. Rows are
written in bulk (COPY) by the rating run. `invoice_id` marks the invoice that billed the row; it is a
plain column, not a foreign key, because invoicing sits above rating (dependencies point one way).

This is the system's highest-volume table (a row per call, SMS and data session), so it carries only
the indexes its readers need and one database foreign key, the billing account: a deferred foreign-key
check costs a trigger per row at commit (measured: six of them took 14 s of commit per 200,000 rows).
Tenant, subscription, currency, tariff and file ids are written by the rating pipeline from rows it has
just read, and PROTECT still guards them in the ORM (`db_constraint=False` only drops the database check).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from .catalog import PRICE


class RatedUsage(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="rated_usage")
    subscription = models.ForeignKey(
        "rating.Subscription",
        null=True,
        on_delete=models.PROTECT,
        related_name="rated_usage",
        db_constraint=False,
        db_index=False,
    )
    record_key = models.CharField(max_length=128, help_text="Source record id, unique per tenant.")
    service = models.CharField(max_length=8)
    start = models.DateTimeField()
    destination = models.CharField(max_length=40, blank=True)
    usage = models.BigIntegerField(help_text="Seconds, messages or bytes.")
    covered_usage = models.BigIntegerField(default=0, help_text="Part covered by allowances.")
    charged_usage = models.BigIntegerField(default=0)
    cost = models.DecimalField(**PRICE)
    currency = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    tariff = models.ForeignKey(
        "rating.Tariff", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    prefix = models.CharField(max_length=32, blank=True)
    time_band = models.CharField(max_length=40, blank=True)
    breakdown = models.JSONField(null=True, blank=True, help_text="Steps, increments, allowances used.")
    prepaid = models.BooleanField(default=False, help_text="Already debited from a prepaid pocket.")
    flagged = models.CharField(max_length=40, blank=True, help_text="e.g. insufficient_balance")
    rated_at = models.DateTimeField(auto_now_add=True)
    invoice_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Added by the usage import: where the row came from and what exactly was taken from the customer.
    usage_file = models.ForeignKey(
        "rating.UsageFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    content_hash = models.BigIntegerField(default=0, help_text="Tells a repeated record from a conflicting one.")
    debited = models.DecimalField(**PRICE, default=Decimal("0"), help_text="Taken from the prepaid money pocket.")
    tariff_version = models.DateTimeField(null=True, blank=True, help_text="effective_from of the rates applied.")
    rate_step = models.PositiveIntegerField(null=True, blank=True, help_text="Start of the last rate step charged.")
    call_offset = models.BigIntegerField(default=0, help_text="Usage of the call's earlier legs (continued legs).")

    class Meta:
        ordering = ["account", "start"]
        verbose_name_plural = "rated usage"
        constraints = [models.UniqueConstraint(fields=["tenant", "record_key"], name="rated_usage_once")]
        indexes = [
            models.Index(
                fields=["account", "start"], name="rated_usage_unbilled", condition=models.Q(invoice_id__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.destination} {self.usage} = {self.cost}"
