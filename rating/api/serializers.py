"""Serializers of the subscriptions API: a subscription with its nested service identifiers.

Writing `identifiers`: an item without `id` adds an identifier, an item with the `id` of one of the
subscription's identifiers changes it (typically to set `valid_to` and release the number); identifiers
not mentioned are kept, because usage history is matched through them.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from accounts.api.mixins import ScopedRelatedField
from accounts.models import BillingAccount
from rating.models import Product, ServiceIdentifier, Subscription


class ServiceIdentifierSerializer(serializers.ModelSerializer[ServiceIdentifier]):
    id = serializers.IntegerField(
        required=False, help_text="Send it to change one of the subscription's identifiers; omit it to add one."
    )
    valid_from = serializers.DateTimeField(
        required=False, help_text="Defaults to the start of the subscription's start date."
    )

    class Meta:
        model = ServiceIdentifier
        fields = ["id", "kind", "value", "valid_from", "valid_to"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        valid_from, valid_to = attrs.get("valid_from"), attrs.get("valid_to")
        if valid_from and valid_to and valid_to <= valid_from:
            raise serializers.ValidationError({"valid_to": "Must be after valid_from."})
        return attrs


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    account = ScopedRelatedField(queryset=BillingAccount.objects.all(), help_text="Cannot change after creation.")
    product = ScopedRelatedField(
        queryset=Product.objects.all(),
        include_ancestors=True,
        help_text="A product of the account's tenant or of a tenant above it. Cannot change after creation.",
    )
    quantity = serializers.IntegerField(min_value=1, required=False, default=1)
    identifiers = ServiceIdentifierSerializer(many=True, required=False)

    class Meta:
        model = Subscription
        fields = [
            "id", "uuid", "account", "product", "quantity", "start_date", "end_date", "status",
            "identifiers", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            for field in ("account", "product"):
                if field in attrs and attrs.pop(field) != getattr(self.instance, field):
                    raise serializers.ValidationError(
                        {field: "Cannot change after creation; end it and subscribe anew."}
                    )
        start_date = attrs.get("start_date") or getattr(self.instance, "start_date", None)
        if start_date is not None:
            day_start = timezone.make_aware(datetime.combine(start_date, time.min))
            for identifier in attrs.get("identifiers", []):
                if identifier.get("valid_from") is None:
                    identifier["valid_from"] = day_start
        return attrs
