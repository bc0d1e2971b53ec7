"""Serializers of the tenancy and customer side of the API: units, tenants, customers, billing accounts.

Writes go through the services (`customer_create`, `account_open`, `account_update`...); these
serializers validate input shape and scope, the services keep the business rules. Related objects are
referenced by id through `ScopedRelatedField`, so an id of another tenant's row is refused like an id
that does not exist. Units are referenced by their code ("EUR").
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import BillingAccount, BillingCycle, Customer, Tenant, Unit, UnitKind
from accounts.models.customers import AccountStatus

from .fields import UnitAmountField
from .mixins import ScopedRelatedField

MONEY_UNITS = Unit.objects.filter(kind__in=[UnitKind.CURRENCY, UnitKind.CRYPTO])


class UnitSerializer(serializers.ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "decimals", "symbol"]


class TenantSerializer(serializers.ModelSerializer[Tenant]):
    default_currency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Tenant
        fields = [
            "id", "uuid", "parent", "kind", "code", "name", "legal_name", "tax_id",
            "default_currency", "rounding", "path", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class _UserTenantDefault:
    """Defaults a new customer's tenant to the requesting user's own tenant."""

    requires_context = True

    def __call__(self, field: serializers.Field) -> Tenant | None:
        return getattr(field.context["request"].user, "tenant", None)  # type: ignore[no-any-return]


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    tenant = ScopedRelatedField(
        queryset=Tenant.objects.all(),
        default=_UserTenantDefault(),
        help_text="Your tenant or one below it; defaults to your own tenant. Cannot change after creation.",
    )

    class Meta:
        model = Customer
        fields = [
            "id", "uuid", "tenant", "number", "kind", "name", "email", "phone", "address_line1",
            "address_line2", "postal_code", "city", "country", "tax_id", "language", "segment", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "created_at"]
        # The (tenant, number) rule is checked in validate() so that the error names `number`.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            # On update the default must not move the customer: only an explicit, different tenant is an error.
            tenant = attrs.pop("tenant", None)
            if "tenant" in self.initial_data and tenant != self.instance.tenant:
                raise serializers.ValidationError({"tenant": "A customer cannot move to another tenant."})
            tenant = self.instance.tenant
        else:
            tenant = attrs.get("tenant")
            if tenant is None:
                raise serializers.ValidationError({"tenant": "This field is required for users without a tenant."})
        if "number" in attrs:
            twins = Customer.objects.filter(tenant=tenant, number=attrs["number"])
            if self.instance is not None:
                twins = twins.exclude(pk=self.instance.pk)
            if twins.exists():
                raise serializers.ValidationError({"number": "Another customer of this tenant has this number."})
        return attrs


class BillingAccountSerializer(serializers.ModelSerializer[BillingAccount]):
    """Opens an account (POST) and shows one. Terms change through `BillingAccountUpdateSerializer`."""

    customer = ScopedRelatedField(queryset=Customer.objects.all())
    currency = serializers.SlugRelatedField(slug_field="code", queryset=MONEY_UNITS)
    billing_cycle = ScopedRelatedField(queryset=BillingCycle.objects.all(), required=False, allow_null=True)
    credit_limit = UnitAmountField(
        unit_source="currency",
        max_digits=18,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text="How far below zero a postpaid or hybrid main pocket may go; 0 for prepaid. Send as a string.",
    )

    class Meta:
        model = BillingAccount
        fields = [
            "id", "uuid", "customer", "tenant", "number", "name", "currency", "billing_cycle",
            "payment_terms_days", "payment_mode", "credit_limit", "status", "skip_dunning", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "tenant", "status", "skip_dunning", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # account_open leaves the (tenant, number) constraint to the database; say it on the field instead.
        customer = attrs["customer"]
        if BillingAccount.objects.filter(tenant_id=customer.tenant_id, number=attrs["number"]).exists():
            raise serializers.ValidationError({"number": "Another account of this tenant already has this number."})
        return attrs


class BillingAccountUpdateSerializer(serializers.Serializer):
    """The mutable terms of an account (PATCH). Number, customer, currency and payment mode are fixed."""

    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    credit_limit = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=0, required=False, help_text='Send as a string, e.g. "250.00".'
    )
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    skip_dunning = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(
        choices=AccountStatus.choices, required=False, help_text="active <-> suspended, either -> closed (final)."
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True, help_text="Why the status changes (audit)."
    )
