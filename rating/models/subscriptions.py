"""Subscriptions of billing accounts to products, and the service identifiers that map usage to them."""

from __future__ import annotations

import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Func


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Subscription(models.Model):
    tenant_lookup = "account__tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey("rating.Product", on_delete=models.PROTECT, related_name="subscriptions")
    price_plan = models.ForeignKey(
        "rating.PricePlan", null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions"
    )
    quantity = models.PositiveIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day of service; empty = open-ended.")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    # A plan or quantity change ends this row and starts a new one that `replaces` it; billing follows the
    # chain (one-off plan charges are not billed again, discount periods keep counting on the same plan).
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="subscription_dates_ordered",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="subscription_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product} x{self.quantity} ({self.account.number})"

    def clean(self) -> None:
        # A reseller's account may subscribe to its own products or those of a tenant above it.
        if self.product_id and self.account_id and not self.account.tenant.path.startswith(self.product.tenant.path):
            raise ValidationError({"product": "The product is not in the catalog of the account's tenant."})


class SubscriptionPause(models.Model):
    """Days on which a subscription is suspended and not charged: [start_date, end_date], end empty = open."""

    tenant_lookup = "subscription__account__tenant"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="pauses")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last paused day; empty = until resumed.")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="subscription_pause_dates_ordered",
            ),
            models.UniqueConstraint(fields=["subscription", "start_date"], name="subscription_pause_start_once"),
        ]

    def __str__(self) -> str:
        return f"pause {self.start_date}..{self.end_date or ''}"


class ServiceIdentifierKind(models.TextChoices):
    MSISDN = "msisdn", "MSISDN (phone number)"
    IMSI = "imsi", "IMSI"
    SIP_USER = "sip_user", "SIP user"
    DEVICE_ID = "device_id", "Device id"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


class ServiceIdentifier(models.Model):
    """An identifier through which usage reaches a subscription. Unique per kind at any instant."""

    tenant_lookup = "subscription__account__tenant"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=ServiceIdentifierKind.choices)
    value = models.CharField(max_length=64)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "value", "valid_from"]
        indexes = [models.Index(fields=["kind", "value"], name="service_identifier_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="service_identifier_window_ordered",
            ),
            # The database, not just code, refuses the same MSISDN on two subscriptions at once.
            ExclusionConstraint(
                name="service_identifier_no_overlap",
                expressions=[
                    ("kind", RangeOperators.EQUAL),
                    ("value", RangeOperators.EQUAL),
                    (TsTzRange("valid_from", "valid_to", models.Value("[)")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
