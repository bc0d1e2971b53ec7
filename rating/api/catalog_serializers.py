"""Serializers of the catalog API: products, price plans with their charges (and tiers), tariffs, bands, holidays.

Tenant-owned rows take a `tenant` (yours or one below; defaults to yours; fixed after creation) and keep
their code / name / date unique per tenant, reported on that field. A price plan belongs to its
product's tenant. A usage charge's tariff may come from the plan's tenant or a tenant above it (a
reseller rates with its operator's tariffs) and must rate the charge's service. Units by code ("EUR").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

from accounts.api.mixins import ScopedRelatedField
from accounts.api.serializers import MONEY_UNITS, _UserTenantDefault
from accounts.models import Tenant, Unit
from rating.models import (
    Charge,
    ChargeKind,
    ChargeTier,
    Holiday,
    PricePlan,
    Product,
    RateDeckImport,
    Tariff,
    TariffRateStep,
    TimeBand,
)
from rating.rate_deck_format import MAX_DECIMALS

CURRENCY = {"slug_field": "code", "queryset": MONEY_UNITS, "help_text": "A currency code, e.g. EUR."}


def _unique_in_tenant(serializer: serializers.ModelSerializer[Any], tenant: Tenant, field: str, value: Any) -> None:
    model: type[models.Model] = serializer.Meta.model  # type: ignore[attr-defined]
    twins = model._default_manager.filter(tenant=tenant, **{field: value})
    if serializer.instance is not None:
        twins = twins.exclude(pk=serializer.instance.pk)
    if twins.exists():
        raise serializers.ValidationError({field: f"{value} is already used in tenant {tenant}."})


def _fixed_after_creation(serializer: serializers.Serializer[Any], attrs: dict[str, Any], *fields: str) -> None:
    """On update, refuse an explicit change of `fields` (sending the current value is fine)."""
    if serializer.instance is None:
        return
    for field in fields:
        if field in attrs and attrs.pop(field) != getattr(serializer.instance, field):
            raise serializers.ValidationError({field: "Cannot change after creation."})


class TenantOwnedSerializer(serializers.ModelSerializer[Any]):
    """Base of the rows with their own `tenant` field; `unique_field` is unique per tenant."""

    unique_field = "code"
    tenant = ScopedRelatedField(
        queryset=Tenant.objects.all(),
        default=_UserTenantDefault(),
        help_text="Your tenant or one below it; defaults to your own. Cannot change after creation.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "tenant" not in self.initial_data:
                attrs.pop("tenant", None)  # the default, not a request to move the row
            _fixed_after_creation(self, attrs, "tenant")
            tenant = self.instance.tenant
        else:
            tenant = attrs.get("tenant")
            if tenant is None:
                raise serializers.ValidationError({"tenant": "This field is required for users without a tenant."})
        if self.unique_field in attrs:
            _unique_in_tenant(self, tenant, self.unique_field, attrs[self.unique_field])
        return attrs


class ProductSerializer(TenantOwnedSerializer):
    class Meta:
        model = Product
        fields = ["id", "tenant", "code", "name", "description", "category", "active"]
        validators: list[Any] = []


class ChargeTierSerializer(serializers.ModelSerializer[ChargeTier]):
    class Meta:
        model = ChargeTier
        fields = ["from_quantity", "to_quantity", "unit_price", "flat_fee"]
        validators: list[Any] = []


class ChargeSerializer(serializers.ModelSerializer[Charge]):
    price_plan = ScopedRelatedField(queryset=PricePlan.objects.all(), help_text="Cannot change after creation.")
    tariff = ScopedRelatedField(
        queryset=Tariff.objects.all(),
        include_ancestors=True,
        required=False,
        allow_null=True,
        help_text="Usage charges: the tariff rating the service (the plan's tenant's or one above it).",
    )
    allowance_unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True,
        help_text="Bundles: the item unit granted, e.g. MIN, SMS, MB.",
    )  # fmt: skip
    tiers = ChargeTierSerializer(
        many=True, required=False, help_text="Quantity charges: the tiers. Sent on update, they replace the old ones."
    )

    class Meta:
        model = Charge
        fields = [
            "id", "price_plan", "code", "name", "kind", "amount", "period", "timing", "tax_category",
            "quantity_pricing", "service", "tariff", "allowance_unit", "allowance_quantity", "discount_percent",
            "discount_applies_to", "discount_periods", "tiers",
        ]  # fmt: skip
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _fixed_after_creation(self, attrs, "price_plan")
        plan = attrs.get("price_plan") or getattr(self.instance, "price_plan", None)
        code = attrs.get("code")
        if plan is not None and code and plan.charges.filter(code=code).exclude(pk=getattr(self.instance, "pk", None)):
            raise serializers.ValidationError({"code": f"{code} is already a charge of {plan.code}."})
        kind = attrs.get("kind", getattr(self.instance, "kind", ""))
        tariff = attrs.get("tariff", getattr(self.instance, "tariff", None))
        service = attrs.get("service", getattr(self.instance, "service", ""))
        if kind == ChargeKind.USAGE:
            if tariff is None:
                raise serializers.ValidationError({"tariff": "A usage charge needs the tariff that rates it."})
            if tariff.service != service:
                raise serializers.ValidationError({"tariff": f"{tariff.code} rates {tariff.service}, not {service}."})
            if plan is not None and not plan.tenant.path.startswith(tariff.tenant.path):
                raise serializers.ValidationError({"tariff": "The tariff is not in the plan's tenant or above it."})
        self._check_tiers(attrs.get("tiers"))
        return attrs

    @staticmethod
    def _check_tiers(tiers: list[dict[str, Any]] | None) -> None:
        previous_end: Decimal | None = Decimal(0)
        for index, tier in enumerate(sorted(tiers or [], key=lambda t: t.get("from_quantity", Decimal(0)))):
            start, end = tier.get("from_quantity", Decimal(0)), tier.get("to_quantity")
            if end is not None and end <= start:
                raise serializers.ValidationError(
                    {"tiers": f"Tier {index + 1}: to_quantity must exceed from_quantity."}
                )
            if previous_end is None or start != previous_end:
                raise serializers.ValidationError(
                    {"tiers": f"Tier {index + 1} starts at {start}; tiers must follow each other from 0 without gaps."}
                )
            previous_end = end


class PricePlanSerializer(serializers.ModelSerializer[PricePlan]):
    product = ScopedRelatedField(queryset=Product.objects.all(), help_text="Cannot change after creation.")
    tenant = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The product's tenant.")
    currency = serializers.SlugRelatedField(**CURRENCY)
    charges = ChargeSerializer(many=True, read_only=True, help_text="Written through /rating/charges/.")

    class Meta:
        model = PricePlan
        fields = ["id", "tenant", "product", "code", "name", "currency", "valid_from", "valid_to", "active", "charges"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _fixed_after_creation(self, attrs, "product")
        product = attrs.get("product") or self.instance.product  # type: ignore[union-attr]
        if "code" in attrs:
            _unique_in_tenant(self, product.tenant, "code", attrs["code"])
        valid_from = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        valid_to = attrs.get("valid_to", getattr(self.instance, "valid_to", None))
        if valid_from and valid_to and valid_to < valid_from:
            raise serializers.ValidationError({"valid_to": "Must not be before valid_from."})
        if self.instance is None:
            attrs["tenant"] = product.tenant
        return attrs


class TariffSerializer(TenantOwnedSerializer):
    currency = serializers.SlugRelatedField(**CURRENCY)
    decimals = serializers.IntegerField(min_value=0, max_value=MAX_DECIMALS, required=False)
    steps = serializers.IntegerField(read_only=True, source="step_count", help_text="Rate steps stored.")

    class Meta:
        model = Tariff
        fields = [
            "id", "tenant", "code", "name", "service", "currency", "rounding", "decimals", "max_cost",
            "min_charge", "min_charge_on_zero", "tiered", "revision", "steps",
        ]  # fmt: skip
        read_only_fields = ["revision"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Its steps are in the service's units (seconds, messages or bytes): they would not mean the same.
        _fixed_after_creation(self, attrs, "service")
        return super().validate(attrs)


class TariffRateStepSerializer(serializers.ModelSerializer[TariffRateStep]):
    time_band = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = TariffRateStep
        fields = [
            "id", "prefix", "destination", "time_band", "effective_from", "interval_start", "connect_fee", "rate",
            "rate_unit", "increment", "rounding", "decimals", "max_cost",
        ]  # fmt: skip
        read_only_fields = fields


class TimeBandSerializer(TenantOwnedSerializer):
    unique_field = "name"
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, help_text="0 = Monday .. 6 = Sunday."
    )

    class Meta:
        model = TimeBand
        fields = ["id", "tenant", "name", "weekdays", "start", "end", "holidays_only"]
        validators: list[Any] = []

    def validate_weekdays(self, value: list[int]) -> list[int]:
        return sorted(set(value))


class HolidaySerializer(TenantOwnedSerializer):
    unique_field = "date"

    class Meta:
        model = Holiday
        fields = ["id", "tenant", "date", "name"]
        validators: list[Any] = []


class RateDeckImportSerializer(serializers.ModelSerializer[RateDeckImport]):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RateDeckImport
        fields = [
            "id", "tenant", "tariff", "file_name", "checksum", "size", "source", "lines_read", "lines_loaded",
            "lines_unchanged", "lines_rejected", "report", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class RateDeckUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The rate-deck CSV (UTF-8, header line first); see docs/rating.md.")
